/**
 * Reading request bodies and writing responses. Bodies are bounded
 * (`maxBodyBytes`, 413 beyond) and must be JSON objects; a body that is not
 * is refused before any handler runs, so a malformed request changes nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toPythonJson } from '@pgwarden/core';

/** What a handler answers; the server adds Content-Type and the extra headers. */
export interface Reply {
  readonly status: number;
  readonly body: string;
  /** Default `text/html`, as Patroni labels its plain messages. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type JsonObject = Record<string, unknown>;

export type BodyMode = 'none' | 'required' | 'optional';

export type BodyResult = { readonly ok: true; readonly value: JsonObject } | { readonly ok: false; readonly reply: Reply };

export function textReply(status: number, body: string): Reply {
  return { status, body };
}

export function jsonReply(status: number, value: unknown): Reply {
  return { status, body: toPythonJson(value), contentType: 'application/json' };
}

function refuse(status: number, body: string): BodyResult {
  return { ok: false, reply: textReply(status, body) };
}

/** Read up to `maxBytes`; undefined when the body exceeded it. */
function collect(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

/**
 * Patroni's _read_json_content: a required body needs Content-Length (411);
 * an optional one may be absent or empty (= `{}`); the JSON must be an
 * object, non-empty when required (400).
 */
export async function readJsonBody(request: IncomingMessage, mode: BodyMode, maxBytes: number): Promise<BodyResult> {
  if (mode === 'none') return { ok: true, value: {} };
  const lengthHeader = request.headers['content-length'];
  if (lengthHeader === undefined && request.headers['transfer-encoding'] === undefined) {
    return mode === 'required' ? refuse(411, 'Length Required: a JSON body is required') : { ok: true, value: {} };
  }
  if (lengthHeader !== undefined && Number(lengthHeader) > maxBytes) {
    return refuse(413, `Payload Too Large: the body exceeds ${maxBytes} bytes`);
  }
  const raw = await collect(request, maxBytes);
  if (raw === undefined) return refuse(413, `Payload Too Large: the body exceeds ${maxBytes} bytes`);
  if (raw.length === 0) {
    return mode === 'optional' ? { ok: true, value: {} } : refuse(400, 'Bad Request: a JSON object body is required');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    return refuse(400, `Bad Request: invalid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return refuse(400, 'Bad Request: the body must be a JSON object');
  }
  if (mode === 'required' && Object.keys(parsed).length === 0) {
    return refuse(400, 'Bad Request: the JSON object must not be empty');
  }
  return { ok: true, value: parsed as JsonObject };
}

export function writeReply(
  response: ServerResponse,
  reply: Reply,
  extraHeaders: Readonly<Record<string, string>>,
): void {
  const body = Buffer.from(reply.body, 'utf8');
  const headers: Record<string, string | number> = {
    'Content-Type': reply.contentType ?? 'text/html',
    'Content-Length': body.length,
    ...reply.headers,
    ...extraHeaders,
  };
  if (reply.status === 413) headers['Connection'] = 'close';
  response.writeHead(reply.status, headers);
  response.end(body);
}

/** The whole answer to a HEAD/OPTIONS/liveness/readiness request: a status line and nothing else. */
export const STATUS_LINES: Readonly<Record<200 | 503, Buffer>> = {
  200: Buffer.from('HTTP/1.0 200 OK\r\n\r\n', 'latin1'),
  503: Buffer.from('HTTP/1.0 503 Service Unavailable\r\n\r\n', 'latin1'),
};

/**
 * HEAD, OPTIONS, /liveness and /readiness answer with a bare status line
 * and close the connection, as Patroni does (HAProxy reads the status only).
 */
export function writeStatusLineOnly(response: ServerResponse, status: 200 | 503): void {
  const socket = response.socket;
  if (socket === null) return;
  // Bypass ServerResponse: no headers at all; the closed socket ends the exchange.
  socket.end(STATUS_LINES[status]);
}
