/**
 * Classification of what the etcd client throws. Only a few answers are
 * definitive (the lease is gone, the credentials are refused, the request is
 * malformed); everything else — connection failures, timeouts, "no leader",
 * and anything we do not recognise — is "unreachable" and may be retried on
 * another endpoint. Nothing here ever means "the lock is lost": only a
 * transaction that etcd answered can say that.
 */
import {
  EtcdAuthenticationFailedError,
  EtcdLeaseInvalidError,
  EtcdPermissionDeniedError,
  EtcdUserNotFoundError,
  GRPCInvalidArgumentError,
} from 'etcd3';

export type ErrorKind = 'lease-gone' | 'auth' | 'invalid' | 'transient';

export function classifyEtcdError(error: unknown): ErrorKind {
  if (error instanceof EtcdLeaseInvalidError) return 'lease-gone';
  if (
    error instanceof EtcdAuthenticationFailedError ||
    error instanceof EtcdPermissionDeniedError ||
    error instanceof EtcdUserNotFoundError
  ) {
    return 'auth';
  }
  if (error instanceof GRPCInvalidArgumentError) return 'invalid';
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('requested lease not found')) return 'lease-gone';
  return 'transient';
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.replace(/ Please report this error at \S+/, '');
  return String(error);
}
