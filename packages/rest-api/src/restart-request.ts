/**
 * `POST /restart` bodies (spec/rest-api.md §8.1) validated key by key in the
 * order given, with Patroni's messages. The restart conditions
 * (spec/ha-loop.md §12.2) are judged by the agent's decide() (core,
 * rules `request.restart.*`).
 */
import type { RestartRequest, ScheduledRestartRequest } from './controller.js';
import type { JsonObject } from './http-io.js';
import { parseDurationSeconds, postgresVersionToInt } from './parse-values.js';
import { parseSchedule } from './schedule.js';

const ROLES: Readonly<Record<string, string>> = {
  primary: 'primary',
  master: 'primary',
  standby_leader: 'standby_leader',
  replica: 'replica',
};

export type RestartParse =
  | { readonly ok: true; readonly request: RestartRequest | ScheduledRestartRequest; readonly scheduled: boolean }
  | { readonly ok: false; readonly status: number; readonly message: string };

function fail(status: number, message: string): RestartParse {
  return { ok: false, status, message };
}

export function parseRestartRequest(body: JsonObject, nowMs: number): RestartParse {
  let schedule: string | undefined;
  const request: { role?: string; postgresVersion?: string; restartPending?: boolean; timeoutSeconds?: number } = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'schedule') {
      const parsed = parseSchedule(value, 'restart', nowMs);
      if (!parsed.ok) return fail(parsed.status, parsed.message);
      schedule = parsed.iso;
    } else if (key === 'role') {
      const role = typeof value === 'string' ? ROLES[value] : undefined;
      if (role === undefined) return fail(400, 'PostgreSQL role should be either primary, standby_leader, or replica');
      request.role = role;
    } else if (key === 'postgres_version') {
      try {
        postgresVersionToInt(String(value));
      } catch (error) {
        return fail(400, (error as Error).message);
      }
      request.postgresVersion = String(value);
    } else if (key === 'timeout') {
      const seconds = parseDurationSeconds(value);
      if (seconds === undefined || seconds <= 0) return fail(400, 'Timeout should be a positive number of seconds');
      request.timeoutSeconds = seconds;
    } else if (key === 'restart_pending') {
      request.restartPending = true;
    } else {
      return fail(400, `Unknown filter for the scheduled restart: ${key}`);
    }
  }
  if (schedule === undefined) return { ok: true, request, scheduled: false };
  return { ok: true, request: { ...request, schedule }, scheduled: true };
}
