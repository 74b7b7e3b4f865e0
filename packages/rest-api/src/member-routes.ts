/**
 * Requests for this member's cycle (spec/rest-api.md §6.3, §8, §9):
 * restart (now or scheduled), cancel a scheduled restart, reinitialize,
 * reload, and the failsafe handshake from a leader that lost the DCS.
 */
import type { FailsafeRequest } from './controller.js';
import { textReply, type Reply } from './http-io.js';
import { parseBoolean } from './parse-values.js';
import { parseRestartRequest } from './restart-request.js';
import type { Route, RouteContext } from './route-types.js';

async function handleRestart(context: RouteContext): Promise<Reply> {
  // Patroni refuses a schedule while paused before validating anything else.
  if (context.view.snapshot.paused && 'schedule' in context.body) {
    return textReply(500, "Can't schedule restart in the paused state");
  }
  const parsed = parseRestartRequest(context.body, context.now());
  if (!parsed.ok) return textReply(parsed.status, parsed.message);
  context.logger.info({ request: parsed.request }, 'received restart request');
  if (parsed.scheduled && 'schedule' in parsed.request) {
    const accepted = await context.controller.scheduleRestart(parsed.request);
    return accepted ? textReply(202, 'Restart scheduled') : textReply(409, 'Another restart is already scheduled');
  }
  try {
    const outcome = await context.controller.restart(parsed.request);
    return textReply(outcome.ok ? 200 : 503, outcome.message);
  } catch (error) {
    context.logger.error({ error: (error as Error).message }, 'exception during restart');
    return textReply(400, 'restart failed');
  }
}

const REINITIALIZE_FIELDS = new Set(['force', 'from_leader']);

async function handleReinitialize(context: RouteContext): Promise<Reply> {
  const flags = { force: false, from_leader: false };
  for (const [key, value] of Object.entries(context.body)) {
    if (!REINITIALIZE_FIELDS.has(key)) return textReply(400, `Unknown field in the reinitialize request: ${key}`);
    const parsed = value === null ? false : parseBoolean(value);
    if (parsed === undefined) return textReply(400, `${key} must be a boolean`);
    flags[key as 'force' | 'from_leader'] = parsed;
  }
  context.logger.info(flags, 'received reinitialize request');
  const outcome = await context.controller.reinitialize({ force: flags.force, fromLeader: flags.from_leader });
  return outcome.ok ? textReply(200, 'reinitialize started') : textReply(503, outcome.message);
}

function readFailsafeRequest(body: Record<string, unknown>): FailsafeRequest | undefined {
  const { name, conn_url: connUrl, api_url: apiUrl, slots } = body;
  if (typeof name !== 'string' || name === '') return undefined;
  if (connUrl !== undefined && typeof connUrl !== 'string') return undefined;
  if (apiUrl !== undefined && typeof apiUrl !== 'string') return undefined;
  if (slots !== undefined && (typeof slots !== 'object' || slots === null || Array.isArray(slots))) return undefined;
  if (slots !== undefined && Object.values(slots).some((lsn) => typeof lsn !== 'number')) return undefined;
  return {
    name,
    ...(connUrl !== undefined ? { conn_url: connUrl } : {}),
    ...(apiUrl !== undefined ? { api_url: apiUrl } : {}),
    ...(slots !== undefined ? { slots: slots as Record<string, number> } : {}),
  };
}

function handleFailsafe(context: RouteContext): Reply {
  if (!context.view.snapshot.failsafeMode) return textReply(502, 'Bad Gateway: failsafe mode is not enabled');
  const request = readFailsafeRequest(context.body);
  if (request === undefined) {
    return textReply(400, 'Bad Request: failsafe body needs a name, and strings conn_url/api_url, numeric slots');
  }
  const outcome = context.controller.acceptFailsafe(request);
  if (!outcome.accepted) return textReply(500, outcome.message);
  return { status: 200, body: 'Accepted', ...(outcome.lsn !== undefined ? { headers: { lsn: String(outcome.lsn) } } : {}) };
}

const protectedRoute = (body: Route['body'], handle: Route['handle']): Route => ({
  protected: true,
  allowlistMembers: true,
  body,
  handle,
});

export const memberRoutes: Readonly<Record<string, Route>> = {
  'POST restart': protectedRoute('optional', handleRestart),
  'DELETE restart': protectedRoute('none', async (context) =>
    (await context.controller.cancelScheduledRestart())
      ? textReply(200, 'scheduled restart deleted')
      : textReply(404, 'no restarts are scheduled'),
  ),
  'POST reinitialize': protectedRoute('optional', handleReinitialize),
  'POST reload': protectedRoute('none', (context) => {
    context.controller.reload();
    return textReply(202, 'reload scheduled');
  }),
  // 4.x: the failsafe handshake ignores allowlist_include_members (members may be unknown without the DCS).
  'POST failsafe': { protected: true, allowlistMembers: false, body: 'required', handle: handleFailsafe },
  // Windows test hook in Patroni: accepted, does nothing here.
  'POST sigterm': protectedRoute('none', () => textReply(202, 'shutdown scheduled')),
  // MPP (Citus) coordinator events: not supported by pgwarden; acknowledged as Patroni does for non-coordinators.
  'POST citus': protectedRoute('required', () => textReply(200, 'OK')),
  'POST mpp': { protected: false, allowlistMembers: false, body: 'required', handle: () => textReply(200, 'OK') },
};
