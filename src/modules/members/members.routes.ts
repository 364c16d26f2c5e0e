import { Elysia } from 'elysia'
import type { authGuard } from '../../http/auth'
import { problems } from '../../http/common.model'
import { Member, MemberListQuery, MemberPage, UpdateMyProfileBody } from './members.model'
import type { MembersService } from './members.service'

export function membersRoutes(guard: ReturnType<typeof authGuard>, members: MembersService) {
  return new Elysia({ name: 'members-routes', prefix: '/api/v1' })
    .use(guard)
    .get('/members/me', ({ principal }) => members.getMember(principal.memberId), {
      auth: 'any',
      response: { 200: Member, ...problems(401, 404) },
      detail: {
        tags: ['Members'],
        summary: 'My profile',
        description: 'The member the access token belongs to.',
      },
    })
    .patch('/members/me', ({ principal, body }) => members.updateMyProfile(principal.memberId, body), {
      auth: 'any',
      body: UpdateMyProfileBody,
      parse: 'json',
      response: { 200: Member, ...problems(400, 401, 404, 413, 415) },
      detail: {
        tags: ['Members'],
        summary: 'Update my name or phone',
        description:
          'Only `name` and `phone` change; any other field (role, email…) is ignored, never written.',
      },
    })
    .get('/admin/members', ({ query }) => members.listMembers({ page: query.page, size: query.size }), {
      auth: ['ADMIN'],
      query: MemberListQuery,
      response: { 200: MemberPage, ...problems(400, 401, 403) },
      detail: {
        tags: ['Members'],
        summary: 'All members, newest first (admin)',
        description: 'Every member of every role, in offset pages.',
      },
    })
}
