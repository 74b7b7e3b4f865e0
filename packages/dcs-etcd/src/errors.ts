/**
 * Classification of what a request to etcd's JSON gateway can fail with.
 * Only a few answers are definitive (the lease is gone, the credentials are
 * refused, the request is malformed); everything else — connection failures,
 * timeouts, "no leader", HTTP errors from something that is not etcd, and
 * anything we do not recognise — is "transient" and may be retried on
 * another endpoint. Nothing here ever means "the lock is lost": only a
 * transaction that etcd answered can say that.
 *
 * The gateway reports a gRPC status in the body of an HTTP 4xx/5xx answer,
 * `{"error": "...", "code": N, "message": "..."}` (3.4, 3.5), or
 * `{"code": N, "message": "..."}` (3.6); on a stream, after the answer has
 * begun, as a line `{"error": {"grpc_code": N, "message": "..."}}`.
 */

export type ErrorKind = 'lease-gone' | 'auth' | 'invalid' | 'transient';

/** gRPC status codes the classification looks at. */
export const grpcCode = {
  invalidArgument: 3,
  notFound: 5,
  permissionDenied: 7,
  failedPrecondition: 9,
  unavailable: 14,
  unauthenticated: 16,
} as const;

/** etcd answered, with a gRPC status (or an HTTP error without one). */
export class EtcdGatewayError extends Error {
  constructor(
    message: string,
    /** gRPC status code; undefined when the answer carried none (not etcd, or not JSON). */
    readonly code: number | undefined,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = 'EtcdGatewayError';
  }
}

/** The token we sent is not (or no longer) accepted: authenticate again and retry once. */
export function needsNewToken(error: unknown): boolean {
  if (!(error instanceof EtcdGatewayError)) return false;
  return (
    error.code === grpcCode.unauthenticated ||
    /invalid auth token|revision of auth store is old|user name is empty/.test(error.message)
  );
}

/** authenticate answered that auth is off: requests go without a token. */
export function isAuthNotEnabled(error: unknown): boolean {
  return error instanceof EtcdGatewayError && /authentication is not enabled/.test(error.message);
}

const authMessage = /authentication failed|permission denied|user name not found|user name is empty|invalid auth token|auth store is old/;

export function classifyEtcdError(error: unknown): ErrorKind {
  if (!(error instanceof EtcdGatewayError)) return 'transient';
  if (error.message.includes('requested lease not found')) return 'lease-gone';
  if (error.code === grpcCode.unauthenticated || error.code === grpcCode.permissionDenied || authMessage.test(error.message)) {
    return 'auth';
  }
  if (error.code === grpcCode.invalidArgument) return 'invalid';
  return 'transient';
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
