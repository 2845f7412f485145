// The HTTP server of a process's /metrics and the two probes (/healthz, /readyz) the kubelet
// calls: one server for the agent and the policy controller. /metrics may sit behind
// authentication (metrics-auth.ts), over TLS then; the probes never do.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Registry } from 'prom-client';
import type { AuthResult } from './metrics-auth.js';

export interface HealthSource {
  /** The agent's loop ran recently. */
  healthy(): boolean;
  /** The agent has its object and a watch. */
  ready(): boolean;
}

export interface MetricsServerOptions {
  port: number;
  /** The address to bind: '' for every address (IPv6 and IPv4, as node_exporter listens), or an IP. */
  host: string;
  /** Who may read /metrics; without it, anyone who reaches the port. Never the probes. */
  auth?: { check(authorization: string | undefined, path: string): Promise<AuthResult> };
  /** Serve HTTPS with this key and certificate (required with auth: a bearer token never travels in clear). */
  tls?: { key: string; cert: string };
  /** A review that could not be made (the API server unreachable): answered 503, reported here. */
  onAuthError?: (e: Error) => void;
}

/** What /metrics serves: a prom-client registry. */
export interface MetricsSource {
  readonly registry: Registry;
}

/** /metrics of a registry and the two probes (the agent's and the policy controller's). */
export function serveMetrics(metrics: MetricsSource, health: HealthSource, o: MetricsServerOptions): Promise<Server> {
  if (o.auth && !o.tls) throw new Error('metrics authentication needs TLS: a bearer token must not travel in clear');
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/metrics') answerMetrics(metrics, o, req.headers.authorization, res);
    else answerProbe(path, health, res);
  };
  const server = o.tls ? createHttpsServer({ key: o.tls.key, cert: o.tls.cert }, handler) : createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // No host: Node listens on :: (accepting IPv4 too) where IPv6 exists, else on 0.0.0.0.
    if (o.host === '') server.listen(o.port, () => resolve(server));
    else server.listen(o.port, o.host, () => resolve(server));
  });
}

/** /metrics: the registry's text, after the credentials passed the review when there is one. */
function answerMetrics(
  metrics: MetricsSource,
  o: Pick<MetricsServerOptions, 'auth' | 'onAuthError'>,
  authorization: string | undefined,
  res: ServerResponse,
): void {
  if (!o.auth) {
    void writeRegistry(metrics.registry, res);
    return;
  }
  o.auth.check(authorization, '/metrics').then(
    (r) => {
      if (r.ok) return writeRegistry(metrics.registry, res);
      res.writeHead(r.code, {
        'Content-Type': 'text/plain',
        ...(r.code === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
      });
      res.end(`${r.code === 401 ? 'Unauthorized' : 'Forbidden'}: ${r.reason}\n`);
      return undefined;
    },
    (e: Error) => {
      o.onAuthError?.(e);
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('the API server could not review the credentials\n');
    },
  );
}

function writeRegistry(registry: Registry, res: ServerResponse): Promise<void> {
  return registry.metrics().then(
    (body) => {
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(body);
    },
    (e: Error) => {
      res.writeHead(500);
      res.end(e.message);
    },
  );
}

/** /healthz and /readyz (never behind authentication: the kubelet probes without credentials); 404 else. */
function answerProbe(path: string, health: HealthSource, res: ServerResponse): void {
  const ok = path === '/healthz' ? health.healthy() : path === '/readyz' ? health.ready() : undefined;
  if (ok === undefined) {
    res.writeHead(404);
    res.end('not found\n');
    return;
  }
  res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
  res.end(ok ? 'ok\n' : 'not ok\n');
}
