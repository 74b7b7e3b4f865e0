/**
 * Health checks answered on the socket, before Node's HTTP machinery.
 *
 * HAProxy checks every member with `OPTIONS /primary` (or `/replica`) on a
 * connection of its own, and the answer is a bare status line followed by a
 * close, as Patroni's. Through node:http, each of those connections also
 * pays for a parser, an IncomingMessage, a ServerResponse and the server's
 * connection tracking: measured, 6,200 checks a second on one core against
 * 10,600 for a bare socket that writes the same line.
 *
 * So a plain-HTTP listener reads the first chunk of a new connection itself.
 * When that chunk is exactly a whole request head, without a body, asking
 * for a bare-status answer (HEAD, OPTIONS, GET /liveness, GET /readiness:
 * `bareStatus` decides, the same function the HTTP handler uses), the line
 * is written and the socket closed. Anything else — another method or path,
 * a head split over several chunks, a body or a pipelined request, a request
 * line that does not look like HTTP/1.x — is put back on
 * the socket and handed to the HTTP server's own connection listener, which
 * then sees the connection exactly as if it had been first.
 *
 * Until the hand-over the connection is bounded by the header timeout (a
 * client that connects and sends nothing is closed) and its errors are
 * swallowed (the client is gone; nothing was promised to it).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_LINES } from './http-io.js';

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const REQUEST_LINE = /^(HEAD|OPTIONS|GET) (\/[!-~]*) HTTP\/1\.[01]$/;
const HEADER_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t -~\x80-\xff]*$/;
/** A request announcing a body (anything but `Content-Length: 0`): its body may still be on the way. */
const BODY_HEADER = /^(?:transfer-encoding\s*:|content-length\s*:(?!\s*0+\s*$))/i;

export type BareStatus = (method: string, url: string) => 200 | 503 | undefined;

/**
 * The status for a complete request head in `chunk`, or undefined when
 * the HTTP server must read it. Exported for tests.
 */
export function fastPathStatus(chunk: Buffer, bareStatus: BareStatus): 200 | 503 | undefined {
  const end = chunk.indexOf(HEAD_END);
  // Only a head and nothing after it: a body or a pipelined request goes to the HTTP server.
  if (end < 0 || end + HEAD_END.length !== chunk.length) return undefined;
  const lines = chunk.toString('latin1', 0, end).split('\r\n');
  const requestLine = REQUEST_LINE.exec(lines[0] ?? '');
  if (requestLine === null) return undefined;
  for (let index = 1; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (!HEADER_LINE.test(line) || BODY_HEADER.test(line)) return undefined;
  }
  try {
    return bareStatus(requestLine[1] ?? '', requestLine[2] ?? '');
  } catch {
    return undefined; // the HTTP server's handler answers it, and reports the failure
  }
}

export interface FastPathOptions {
  /** How long a new connection may stay silent before it is closed. */
  readonly headersTimeoutMs: number;
  /**
   * TCP keepalive for connections handed to the HTTP server (create the
   * server without `keepAlive` and `noDelay`): a health check is answered and
   * closed at once, so the five setsockopt calls those options cost on every
   * accepted socket (a tenth of the server's CPU under load, measured) are
   * spent only on connections that may stay open.
   */
  readonly keepAliveInitialDelayMs: number;
}

/**
 * Put the fast path in front of `server`'s connection listener (plain HTTP
 * only: a TLS server's first bytes are a handshake). Does nothing when the
 * server does not have exactly one connection listener, Node's own.
 */
export function answerHealthChecksOnSocket(server: Server, bareStatus: BareStatus, options: FastPathOptions): void {
  const { headersTimeoutMs, keepAliveInitialDelayMs } = options;
  const listeners = server.listeners('connection');
  const httpConnectionListener = listeners[0] as ((socket: Socket) => void) | undefined;
  if (listeners.length !== 1 || httpConnectionListener === undefined) return;
  server.removeListener('connection', httpConnectionListener);
  server.on('connection', (socket: Socket) => {
    // Before the hand-over this listener owns the connection: errors end it, a
    // client that closes without a request is closed, one that sends nothing times out.
    const onError = (): void => {
      socket.destroy();
    };
    const onEnd = (): void => {
      // Not after the answer: ending twice builds an error object (with its stack) per connection.
      if (!socket.writableEnded) socket.end();
    };
    const onTimeout = (): void => {
      socket.destroy();
    };
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.setTimeout(headersTimeoutMs, onTimeout);
    socket.once('data', (chunk: Buffer) => {
      const status = fastPathStatus(chunk, bareStatus);
      if (status !== undefined) {
        // Answered, and closed once the line is sent, as Patroni does (shutdown, then
        // close): the request was read whole and announced no body, so nothing more
        // is expected and the client's own close need not be waited for.
        socket.end(STATUS_LINES[status], () => socket.destroy());
        return;
      }
      socket.pause();
      socket.setTimeout(0);
      socket.removeListener('timeout', onTimeout);
      socket.removeListener('error', onError);
      socket.removeListener('end', onEnd);
      socket.unshift(chunk);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, keepAliveInitialDelayMs);
      httpConnectionListener.call(server, socket);
      socket.resume();
    });
  });
}
