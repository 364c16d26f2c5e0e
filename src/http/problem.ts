/**
 * Every error leaves as an RFC 9457 problem (`application/problem+json`) with a code from src/errors.ts:
 * AppErrors from services, Elysia's own validation / parse / not-found errors, and anything unexpected (500,
 * logged with its stack, never shown to the client). Unknown path with a known route under another method → 405.
 */
import { Elysia, ValidationError } from 'elysia'
import { AppError, appErrorIn, type ErrorCode, type FieldProblem } from '../errors'
import type { Logger } from '../platform/observability/logger'
import { requestIdOf } from './request-context'
import { refusalOf } from './strict-input.model'
import { pathOf } from './url-path'

type RouteLike = { method: string; path: string }

export type ProblemBody = {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  code: ErrorCode
  requestId: string
  errors?: FieldProblem[]
}

/** The body of `error`'s problem; also the source of the document's examples (./openapi.ts). */
export function problemBody(error: AppError, instance: string, requestId: string): ProblemBody {
  return {
    type: `https://marketplace.example/problems/${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    instance,
    code: error.code,
    requestId,
    ...(error.options.errors ? { errors: error.options.errors } : {}),
  }
}

export function problemResponse(request: Request, error: AppError, requestId: string): Response {
  const body = problemBody(error, pathOf(request.url), requestId)
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'x-request-id': requestId,
    ...error.options.headers,
  }
  if (error.status === 401) headers['www-authenticate'] = 'Bearer realm="marketplace"'
  return new Response(JSON.stringify(body), { status: error.status, headers })
}

function fieldProblems(error: ValidationError, fallbackField: string): FieldProblem[] {
  const seen = new Set<string>()
  const problems: FieldProblem[] = []
  for (const issue of error.all) {
    const path = 'path' in issue && typeof issue.path === 'string' ? issue.path : ''
    const field = path.replace(/^\//, '').replaceAll('/', '.') || fallbackField
    // our strict kinds (./strict-input.model.ts) say why; TypeBox would only say "Expected kind 'Text'"
    const reason = 'schema' in issue ? refusalOf(issue.schema, issue.value) : undefined
    const message = reason ?? ('message' in issue && issue.message ? String(issue.message) : 'is invalid')
    const key = `${field}:${message}`
    if (seen.has(key)) continue
    seen.add(key)
    problems.push({ field, message })
    if (problems.length >= 20) break
  }
  return problems
}

/** Compiles route templates once, to tell 405 (path exists, other method) from 404. */
function methodIndex(routes: () => RouteLike[]) {
  let compiled: { pattern: RegExp; method: string }[] | undefined
  return (pathname: string): string[] => {
    compiled ??= routes().map((r) => ({
      method: r.method,
      pattern: new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}/?$`),
    }))
    return [...new Set(compiled.filter((r) => r.pattern.test(pathname)).map((r) => r.method))]
  }
}

function toAppError(
  code: unknown,
  error: unknown,
  request: Request,
  allowedMethods: (p: string) => string[],
) {
  const wrapped = appErrorIn(error)
  if (wrapped) return wrapped
  if (error instanceof ValidationError) {
    if (error.type === 'response') return undefined // our own bug: the handler broke its declared contract
    const errors = fieldProblems(error, error.type)
    const where =
      error.type === 'params' || error.type === 'query'
        ? `parameter ${[...new Set(errors.map((e) => e.field))].join(', ')}`
        : error.type
    return new AppError('VALIDATION_FAILED', `Request ${where} is invalid`, { errors })
  }
  switch (code) {
    case 'PARSE':
      return new AppError('MALFORMED_REQUEST', 'The request body could not be parsed')
    case 'INVALID_FILE_TYPE':
      return new AppError('INVALID_FILE_TYPE')
    case 'NOT_FOUND': {
      const allowed = allowedMethods(pathOf(request.url)).filter((m) => m !== request.method)
      if (allowed.length > 0) {
        return new AppError('METHOD_NOT_ALLOWED', `Use ${allowed.join(', ')}`, {
          headers: { allow: allowed.join(', ') },
        })
      }
      return new AppError('NOT_FOUND', 'No resource at this path')
    }
  }
  // Bun/Elysia surface oversized bodies as errors with status 413
  if (error && typeof error === 'object' && 'status' in error && error.status === 413) {
    return new AppError('PAYLOAD_TOO_LARGE')
  }
  return undefined
}

export function problemHandler(logger: Logger, routes: () => RouteLike[]) {
  const allowedMethods = methodIndex(routes)
  return new Elysia({ name: 'problem-handler' }).onError(
    { as: 'global' },
    ({ code, error, request, set }) => {
      let appError = toAppError(code, error, request, allowedMethods)
      if (!appError) {
        logger.error({ err: error, requestId: requestIdOf(set, request), code }, 'unhandled error')
        appError = new AppError('INTERNAL_ERROR', 'An unexpected error occurred')
      }
      set.status = appError.status // what the access log and http metrics record
      return problemResponse(request, appError, requestIdOf(set, request))
    },
  )
}
