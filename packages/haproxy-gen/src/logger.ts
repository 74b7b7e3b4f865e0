/**
 * The structured logger haproxy-gen writes to: pino-shaped (fields first,
 * message second) so the agent can pass its pino instance unchanged. The
 * library never writes to the console; without a logger it stays silent.
 */
export interface HaproxyGenLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: HaproxyGenLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
