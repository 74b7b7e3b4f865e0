/**
 * Render haproxy.cfg for a live cluster and print it (or write it).
 *
 *   npx tsx render-haproxy.ts --etcd http://127.0.0.1:2379 --scope demo [--primary-port 5000] [--replica-port 5001] [--output FILE]
 *
 * The primary route checks each member's `OPTIONS /primary`, the replicas
 * route `OPTIONS /replica`; see @pgwarden/haproxy-gen for every option. With
 * --output the file is written only if `haproxy -c` accepts it, atomically,
 * and HAProxy is not reloaded (use reload: { method: 'signal', pidFile } for that).
 */
import { parseArgs } from 'node:util';
import { createEtcdDcs } from '@pgwarden/dcs-etcd';
import { installHaproxyConfig, renderHaproxyConfig } from '@pgwarden/haproxy-gen';

const { values } = parseArgs({
  options: {
    etcd: { type: 'string', default: 'http://127.0.0.1:2379' },
    scope: { type: 'string', default: 'demo' },
    namespace: { type: 'string', default: '/service/' },
    'primary-port': { type: 'string', default: '5000' },
    'replica-port': { type: 'string', default: '5001' },
    output: { type: 'string' },
  },
});

const dcs = createEtcdDcs({
  hosts: values.etcd.split(','),
  scope: values.scope,
  namespace: values.namespace,
  name: 'render-haproxy-example',
  retryTimeoutSeconds: 5,
  watchCache: false,
});
try {
  const result = await dcs.getCluster();
  if (!result.ok) throw new Error(`cannot read the cluster: ${result.message}`);
  const text = renderHaproxyConfig(result.value, {
    primary: { port: Number(values['primary-port']) },
    replicas: { port: Number(values['replica-port']) },
  });
  if (values.output === undefined) {
    process.stdout.write(text);
  } else {
    const installed = await installHaproxyConfig(text, { path: values.output, reload: { method: 'none' } });
    process.stdout.write(`${values.output}: ${installed.changed ? 'written' : 'unchanged'}\n`);
  }
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await dcs.close();
}
