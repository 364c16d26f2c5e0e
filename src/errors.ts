/**
 * One error vocabulary (SPEC §8): every failure the API reports is an AppError with a code from this table.
 * Framework-free: services throw these, and src/http/problem.ts turns them into RFC 9457 problem details.
 */

export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_REQUEST: 400,
  INVALID_CURSOR: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  TOKEN_EXPIRED: 401,
  ACCESS_DENIED: 403,
  NOT_FOUND: 404,
  PRODUCT_NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  CATEGORY_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  EMAIL_ALREADY_EXISTS: 409,
  PRODUCT_OUT_OF_STOCK: 409,
  INVALID_ORDER_STATUS_TRANSITION: 409,
  REQUEST_IN_PROGRESS: 409,
  VERSION_MISMATCH: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_MISMATCH: 422,
  BUSINESS_NUMBER_REQUIRED: 422,
  MAX_IMAGES_EXCEEDED: 422,
  INVALID_FILE_TYPE: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  PAYMENT_UNAVAILABLE: 503,
  SERVICE_UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode]

const TITLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'Validation failed',
  MALFORMED_REQUEST: 'Malformed request',
  INVALID_CURSOR: 'Invalid cursor',
  UNAUTHENTICATED: 'Authentication required',
  INVALID_CREDENTIALS: 'Invalid credentials',
  TOKEN_EXPIRED: 'Token expired',
  ACCESS_DENIED: 'Access denied',
  NOT_FOUND: 'Not found',
  PRODUCT_NOT_FOUND: 'Product not found',
  ORDER_NOT_FOUND: 'Order not found',
  MEMBER_NOT_FOUND: 'Member not found',
  CATEGORY_NOT_FOUND: 'Category not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  EMAIL_ALREADY_EXISTS: 'Email already exists',
  PRODUCT_OUT_OF_STOCK: 'Product out of stock',
  INVALID_ORDER_STATUS_TRANSITION: 'Invalid order status transition',
  REQUEST_IN_PROGRESS: 'Request in progress',
  VERSION_MISMATCH: 'Version mismatch',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  IDEMPOTENCY_KEY_MISMATCH: 'Idempotency key reused with another request',
  BUSINESS_NUMBER_REQUIRED: 'Business number required',
  MAX_IMAGES_EXCEEDED: 'Too many images',
  INVALID_FILE_TYPE: 'Invalid file type',
  RATE_LIMITED: 'Too many requests',
  INTERNAL_ERROR: 'Internal error',
  PAYMENT_UNAVAILABLE: 'Payment unavailable',
  SERVICE_UNAVAILABLE: 'Service unavailable',
}

export type FieldProblem = { field: string; message: string }

export class AppError extends Error {
  readonly status: ErrorStatus
  readonly title: string

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly options: { errors?: FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? TITLES[code])
    this.status = ERROR_STATUS[code]
    this.title = TITLES[code]
  }
}

/**
 * The AppError `error` is or wraps: Elysia wraps what a body parser throws (ParseError), Drizzle what its driver
 * throws (DrizzleQueryError, e.g. the libSQL deadline's 503), each as `cause`.
 */
export function appErrorIn(error: unknown): AppError | undefined {
  for (let depth = 0; depth < 4 && error instanceof Error; depth++, error = error.cause) {
    if (error instanceof AppError) return error
  }
  return undefined
}

/** 503 SERVICE_UNAVAILABLE that asks the client to try again in a second (a database late or contended). */
export function serviceBusy(detail: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', `${detail}; try again`, { headers: { 'retry-after': '1' } })
}
