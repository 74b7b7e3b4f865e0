/**
 * Raw access to etcd for the tests, through its JSON gateway with plain
 * fetch: deliberately not the adapter's own client, so that a test's view of
 * the keys does not share the code under test.
 */
const base64 = (text: string): string => Buffer.from(text).toString('base64');

/** POST `body` to `<endpoint>/v3<path>`; throws with etcd's message on an error answer. */
export async function gatewayPost(endpoint: string, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const headers = token !== undefined ? { authorization: token } : undefined;
  const response = await fetch(`${endpoint}/v3${path}`, { method: 'POST', body: JSON.stringify(body), ...(headers ? { headers } : {}) });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`etcd ${path}: ${String(answer['message'] ?? response.status)}`);
  return answer;
}

/** The first answer of the endpoints in turn (a test may have stopped some of them). */
async function firstAnswer(endpoints: readonly string[], path: string, body: unknown): Promise<Record<string, unknown>> {
  let lastError: unknown;
  for (const endpoint of endpoints) {
    try {
      return await gatewayPost(endpoint, path, body);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** The value of `key` (UTF-8), or undefined when absent. */
export async function readKey(endpoints: readonly string[], key: string): Promise<string | undefined> {
  const answer = await firstAnswer(endpoints, '/kv/range', { key: base64(key) });
  const kvs = answer['kvs'] as Array<{ value?: string }> | undefined;
  const first = kvs?.[0];
  return first === undefined ? undefined : Buffer.from(first.value ?? '', 'base64').toString('utf8');
}

export async function writeKey(endpoints: readonly string[], key: string, value: string): Promise<void> {
  await firstAnswer(endpoints, '/kv/put', { key: base64(key), value: base64(value) });
}

/**
 * Turn auth on: a root user, and a user `name` whose role may read and write
 * only under `prefix`.
 */
export async function enableAuth(endpoint: string, user: { name: string; password: string; prefix: string }): Promise<void> {
  const rangeEnd = Buffer.from(user.prefix);
  rangeEnd[rangeEnd.length - 1]! += 1;
  await gatewayPost(endpoint, '/auth/role/add', { name: 'root' });
  await gatewayPost(endpoint, '/auth/user/add', { name: 'root', password: 'root-secret' });
  await gatewayPost(endpoint, '/auth/user/grant', { user: 'root', role: 'root' });
  await gatewayPost(endpoint, '/auth/role/add', { name: user.name });
  await gatewayPost(endpoint, '/auth/role/grant', {
    name: user.name,
    perm: { permType: 'READWRITE', key: base64(user.prefix), range_end: rangeEnd.toString('base64') },
  });
  await gatewayPost(endpoint, '/auth/user/add', { name: user.name, password: user.password });
  await gatewayPost(endpoint, '/auth/user/grant', { user: user.name, role: user.name });
  await gatewayPost(endpoint, '/auth/enable', {});
}

/** Switch auth off and on again as root: etcd forgets every token it handed out. */
export async function invalidateAuthTokens(endpoint: string): Promise<void> {
  const { token } = await gatewayPost(endpoint, '/auth/authenticate', { name: 'root', password: 'root-secret' });
  await gatewayPost(endpoint, '/auth/disable', {}, String(token));
  await gatewayPost(endpoint, '/auth/enable', {});
}
