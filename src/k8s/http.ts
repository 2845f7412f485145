// JSON over HTTPS to the API server, with a deadline on every request: a connection accepted
// while the API server restarts may never be served, and a request waiting on it would keep the
// agent from seeing spec changes. Here nothing waits longer than it is told.
import { Agent, request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { HANDLER_NAME } from '../api/constants.js';
import { bareHostname, type ApiConnection } from './connection.js';

/** The API server answered with an error status; body is its Status object when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
    method: string,
    path: string,
  ) {
    super(`${method} ${path}: HTTP ${code}${statusMessage(body) ? `: ${statusMessage(body)}` : ''}`);
    this.name = 'ApiError';
  }
}

function statusMessage(body: unknown): string {
  return body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : '';
}

export interface CallOptions {
  body?: unknown;
  contentType?: string;
  /** The whole exchange, connect to last byte. */
  timeoutMs?: number;
}

export interface StreamOptions {
  /** Until the response headers arrive. */
  headersTimeoutMs: number;
  /** Longest silence after them before the stream is given up. */
  idleTimeoutMs: number;
}

export interface Stream {
  abort(): void;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export class ApiHttp {
  // Few sockets: the agent makes one call at a time plus its watch.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 2, timeout: 60_000 });

  constructor(
    readonly conn: ApiConnection,
    private readonly userAgent = HANDLER_NAME,
  ) {
    if (conn.server.protocol !== 'https:')
      throw new Error(`API server ${conn.server.href}: only https is supported (${conn.source})`);
  }

  /** Sends a request and parses the JSON answer; ApiError for HTTP ≥ 300, Error for transport trouble. */
  async call<T>(method: string, path: string, o: CallOptions = {}): Promise<T> {
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    const opts = await this.options(method, path, {
      Accept: 'application/json',
      ...(payload
        ? { 'Content-Type': o.contentType ?? 'application/json', 'Content-Length': String(payload.length) }
        : {}),
    });
    return new Promise<T>((resolve, reject) => {
      // Settled exactly once, by whichever comes first: the answer, an error, or the deadline.
      // The deadline rejects by itself: destroying a request whose socket is already gone emits
      // nothing, so a rejection left to destroy()'s events might never come.
      let done = false;
      const settle = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        f();
      };
      let answered = false;
      const req = request(opts, (res) => {
        answered = true;
        readBody(res).then(
          (text) =>
            settle(() => {
              if ((res.statusCode ?? 0) >= 300) reject(apiError(res, text, method, path));
              else resolve(parseJson(text) as T);
            }),
          (e: Error) => settle(() => reject(e)),
        );
      });
      const timer = setTimeout(
        () =>
          settle(() => {
            reject(new Error(`${method} ${path}: no answer from the API server within ${timeoutMs / 1000} s`));
            req.destroy();
          }),
        timeoutMs,
      );
      req.on('error', (e) => settle(() => reject(e)));
      // Closed before any answer (the body's own end or early close is readBody's to report).
      req.on('close', () => {
        if (!answered) settle(() => reject(new Error(`${method} ${path}: the connection closed without an answer`)));
      });
      req.end(payload);
    });
  }

  /**
   * A streaming GET (a watch): onLine gets every complete line (a throw ends the stream with that
   * error); done is called once, with an error unless the server ended the stream. abort() ends
   * it without calling done.
   */
  async stream(
    path: string,
    o: StreamOptions,
    onLine: (line: string) => void,
    done: (err?: Error) => void,
  ): Promise<Stream> {
    const opts = await this.options('GET', path, { Accept: 'application/json' });
    let finished = false;
    let aborted = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      clearTimeout(timer);
      if (finished) return;
      finished = true;
      if (!aborted) done(err);
    };
    const req = request(opts, (res) => {
      if ((res.statusCode ?? 0) >= 300) {
        void readBody(res).then((text) => {
          finish(apiError(res, text, 'GET', path));
          req.destroy();
        }, finish);
        return;
      }
      arm(o.idleTimeoutMs, 'the watch was silent');
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        arm(o.idleTimeoutMs, 'the watch was silent');
        rest += chunk;
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, nl);
          rest = rest.slice(nl + 1);
          if (!line.trim() || finished) continue;
          try {
            onLine(line);
          } catch (e) {
            finish(e as Error);
            req.destroy();
            return;
          }
        }
      });
      res.on('end', () => finish());
      res.on('error', finish);
      res.on('close', () => finish(res.complete ? undefined : new Error('the watch connection closed')));
    });
    // As in call(): the deadline ends the stream by itself rather than through destroy()'s events.
    const arm = (ms: number, what: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        finish(new Error(`${what} for ${ms / 1000} s`));
        req.destroy();
      }, ms);
    };
    arm(o.headersTimeoutMs, 'no answer to the watch');
    req.on('error', finish);
    req.end();
    return {
      abort: () => {
        aborted = true;
        clearTimeout(timer);
        req.destroy();
      },
    };
  }

  private async options(method: string, path: string, headers: Record<string, string>): Promise<RequestOptions> {
    const auth = await this.conn.requestOptions();
    const { server } = this.conn;
    const base = server.pathname.replace(/\/+$/, '');
    return {
      ...auth,
      method,
      protocol: server.protocol,
      hostname: bareHostname(server),
      port: server.port || 443,
      path: `${base}${path}`,
      headers: { ...headers, ...auth.headers, 'User-Agent': this.userAgent },
      agent: this.agent,
    };
  }

  close(): void {
    this.agent.destroy();
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    res.on('data', (c: Buffer) => parts.push(c));
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(new Error('the API server closed the response early'));
    });
  });
}

/** An error status with the API server's Status object as body (or the start of whatever it sent). */
function apiError(res: IncomingMessage, text: string, method: string, path: string): ApiError {
  return new ApiError(res.statusCode ?? 0, parseJson(text) ?? text.slice(0, 500), method, path);
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
