// The adapter's logger is the one every pgwarden library shares.
export { silentLogger, type Logger } from '@pgwarden/core';
