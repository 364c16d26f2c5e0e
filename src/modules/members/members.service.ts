/** Members: profiles and the admin list. Password hashes never leave this module's rows-to-DTO mapping. */
import type { Role } from '../../../db/schema'
import { AppError } from '../../errors'
import type { ReadRouter } from '../../platform/db/read-routing'
import { type Paged, type PageRequest, toPage } from '../../platform/paging/pages'
import type { Member, UpdateMyProfile } from './members.model'
import {
  findMemberByEmail,
  findMemberById,
  insertMember,
  listMembers,
  type MemberRow,
  updateMemberProfile,
} from './members.repository'

export function toMember(row: MemberRow): Member {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    phone: row.phone,
    role: row.role,
    businessNumber: row.businessNumber,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

export type Credentials = { id: number; role: Role; passwordHash: string }

/** Told after a member's name changed (the catalog shows sellers' names and caches them). */
export type NameChangeListener = (memberId: number) => Promise<void>

export class MembersService {
  constructor(
    /** members are read from, and written to, the primary: a signup must be able to log in at once */
    private readonly reads: ReadRouter,
    private readonly onNameChanged: NameChangeListener = async () => {},
  ) {}

  /** A taken email → 409, the answer registerMember gives; cheap (one indexed lookup), so callers ask first. */
  async refuseTakenEmail(email: string): Promise<void> {
    if (await findMemberByEmail(this.reads.primary, email)) throw emailTaken()
  }

  /** Creates a member; a taken email → 409. The password must already be hashed. */
  async registerMember(input: {
    email: string
    passwordHash: string
    name: string
    phone?: string | null
    role: Role
    businessNumber?: string | null
  }): Promise<Member> {
    const row = await insertMember(this.reads.primary, {
      email: input.email,
      passwordHash: input.passwordHash,
      name: input.name,
      phone: input.phone ?? null,
      role: input.role,
      businessNumber: input.role === 'SELLER' ? (input.businessNumber ?? null) : null,
    })
    if (!row) throw emailTaken()
    return toMember(row)
  }

  async findCredentials(email: string): Promise<Credentials | undefined> {
    const row = await findMemberByEmail(this.reads.primary, email)
    return row && { id: row.id, role: row.role, passwordHash: row.passwordHash }
  }

  /** The member's current role, or undefined when the account no longer exists. */
  async findRole(memberId: number): Promise<Role | undefined> {
    return (await findMemberById(this.reads.primary, memberId))?.role
  }

  async getMember(memberId: number): Promise<Member> {
    const row = await findMemberById(this.reads.primary, memberId)
    if (!row) throw new AppError('MEMBER_NOT_FOUND')
    return toMember(row)
  }

  async updateMyProfile(memberId: number, changes: UpdateMyProfile): Promise<Member> {
    const patch: { name?: string; phone?: string | null } = {}
    if (changes.name !== undefined) patch.name = changes.name.trim()
    if (changes.phone !== undefined) patch.phone = changes.phone
    const row = await updateMemberProfile(this.reads.primary, memberId, patch)
    if (!row) throw new AppError('MEMBER_NOT_FOUND')
    if (patch.name !== undefined) await this.onNameChanged(memberId)
    return toMember(row)
  }

  async listMembers(request: PageRequest): Promise<Paged<Member>> {
    const { rows, total } = await listMembers(this.reads.primary, request.page * request.size, request.size)
    return toPage(rows.map(toMember), request, total)
  }
}

function emailTaken(): AppError {
  return new AppError('EMAIL_ALREADY_EXISTS', 'An account with this email already exists')
}
