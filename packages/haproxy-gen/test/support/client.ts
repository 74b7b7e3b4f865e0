/** A client connection through HAProxy: learns which member it reached, and notices when it is cut. */
import { createConnection, type Socket } from 'node:net';

export interface ThroughConnection {
  /** Name the member greeted us with. */
  readonly reached: string;
  readonly socket: Socket;
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  /** Send a line and wait for its echo: proves the path is still open. */
  echo(text: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** Connect to `port` and wait for the member's greeting; rejects if HAProxy closes without one. */
export function connectThrough(port: number, timeoutMs = 5_000): Promise<ThroughConnection> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(port, '127.0.0.1');
    let buffer = '';
    const closed = new Promise<void>((resolveClosed) => socket.once('close', () => resolveClosed()));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no greeting through port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', () => undefined);
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString();
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      const reached = buffer.slice(0, newline);
      resolve({
        reached,
        socket,
        closed,
        close: () => socket.destroy(),
        echo: (text, echoTimeoutMs = 2_000) =>
          new Promise((resolveEcho, rejectEcho) => {
            let answer = '';
            const echoTimer = setTimeout(() => rejectEcho(new Error('no echo')), echoTimeoutMs);
            const listener = (data: Buffer): void => {
              answer += data.toString();
              if (answer.includes('\n')) {
                clearTimeout(echoTimer);
                socket.off('data', listener);
                resolveEcho(answer.trim());
              }
            };
            socket.on('data', listener);
            socket.once('close', () => rejectEcho(new Error('connection closed')));
            socket.write(`${text}\n`);
          }),
      });
    };
    socket.on('data', onData);
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`connection through port ${port} closed before a greeting`));
    });
  });
}

/** Retry connecting until `predicate` holds for the member reached; returns elapsed ms. */
export async function waitUntilReached(port: number, predicate: (name: string) => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last = '(none)';
  while (Date.now() - started < timeoutMs) {
    try {
      const connection = await connectThrough(port, 1_000);
      connection.close();
      last = connection.reached;
      if (predicate(connection.reached)) return Date.now() - started;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not reached within ${timeoutMs} ms through port ${port}; last: ${last}`);
}
