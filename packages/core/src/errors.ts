/**
 * One error class for all of pgwarden. `code` says what kind of failure it is
 * so that callers branch on data, not on message text; `cause` keeps the
 * original error for the logs.
 */
export class PgwardenError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PgwardenError';
    this.code = code;
  }
}

/** True when `error` is a PgwardenError, optionally of the given code. */
export function isPgwardenError(error: unknown, code?: string): error is PgwardenError {
  return error instanceof PgwardenError && (code === undefined || error.code === code);
}

/**
 * Code of the error a PostgreSQL adapter throws when the `pre_promote`
 * script refused a promotion: the runtime hands it to decide() as the cause
 * of the failed `promote` (rule `primary.pre-promote-failed`).
 */
export const PRE_PROMOTE_FAILED = 'pg-pre-promote-failed';
