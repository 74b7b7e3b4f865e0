/**
 * Free loopback ports for test servers. The OS picks a port for a listener
 * bound to port 0; we close it and hand the number out, remembering what we
 * handed out in this process so that two servers of one test never collide.
 */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, host, () => {
        const address = server.address();
        const chosen = typeof address === 'object' && address !== null ? address.port : 0;
        server.close(() => resolve(chosen));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export async function getFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  for (let index = 0; index < count; index++) ports.push(await getFreePort(host));
  return ports;
}
