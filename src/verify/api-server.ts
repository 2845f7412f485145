// The API server probe of the connectivity check. A real answer only: a TLS handshake completed
// with the API server, its certificate verified against the CA the agent's own connection trusts
// and for the name that connection uses (src/k8s/connection.ts). A refused connection, a reset, a
// timeout or a TLS failure is no answer — a spec that routes the address to anything that resets,
// or puts it on the node where nothing (or something else) listens, cuts the node off however
// quickly that "answer" comes. Nor is the address turning local to the node by the apply: the
// packets then never leave the node, whatever answers there.
//
// Cheap on purpose (it runs on every apply): one `ip route get` and one handshake, concurrently;
// no HTTP request, no authentication, no read from the datastore.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
// ip -json prints device names raw: a foreign device's control characters must not break the check.
import { escapeRawControls } from '../observe/parse.js';
import { inNetns, run } from '../util/exec.js';
import { API_PROBE, type Probe, type ProbePhase } from './connectivity.js';

/** What the handshake is given: the agent connection's own TLS settings. */
export type ApiTls = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'>;

/** Where the API server is and how to reach it (src/cli/run.ts builds it from the agent's connection). */
export interface ApiEndpoint {
  /** A host name or an address literal (IPv6 without brackets), as in the connection's URL. */
  host: string;
  port: number;
  tls: () => Promise<ApiTls>;
}

/**
 * Whether `ip -json route get ADDR` says the kernel delivers ADDR locally (pure). The kernel's
 * own answer, not a list of interface addresses: it covers an address on a bridge without
 * carrier (which getifaddrs-based lists such as os.networkInterfaces() leave out) and local
 * routes of any kind.
 */
export function routeIsLocal(ipRouteGetJson: string): boolean {
  const routes = JSON.parse(escapeRawControls(ipRouteGetJson || '[]')) as { type?: string }[];
  return routes[0]?.type === 'local';
}

/**
 * The verdict on the address being local (pure). Local before the apply is the node's own
 * business — kube-proxy in IPVS mode puts every ClusterIP (the in-cluster API address) on
 * kube-ipvs0, a control-plane node runs the API server itself — and the handshake decides. Local
 * only after the apply is the spec's doing: a failure, whatever answers on the node.
 */
export function localVerdict(addr: string, localNow: boolean, localBefore: boolean): string | undefined {
  return localNow && !localBefore
    ? `${addr} is an address of this node since the apply: connections to the API server no longer leave the node`
    : undefined;
}

/**
 * The verdict on a completed handshake (pure). `verify` false only where the connection itself
 * skips verification (a kubeconfig's insecure-skip-tls-verify): then any completed handshake is
 * what the agent's own requests would accept.
 */
export function handshakeVerdict(
  h: { authorized: boolean; authorizationError?: Error | string | null },
  verify: boolean,
): string | undefined {
  if (h.authorized || !verify) return undefined;
  return (
    `TLS handshake completed but the certificate is not the API server's: ` +
    `${String(h.authorizationError ?? 'not verified')}`
  );
}

/** One TLS handshake to addr:port, resolved when it completes and verifies, rejected otherwise. */
export function tlsHandshake(
  addr: string,
  port: number,
  identity: string,
  tls: ApiTls,
  timeoutMs: number,
): Promise<void> {
  // The name the certificate must carry: the connection's tls-server-name, else its URL's host
  // name (sent as SNI too); for an address literal, the address (no SNI), as node:https does.
  const servername = tls.servername ?? (isIP(identity) ? undefined : identity);
  const verify = tls.rejectUnauthorized !== false;
  return new Promise<void>((resolve, reject) => {
    // Settled once, by whichever comes first; the socket is always destroyed.
    let settled = false;
    const finish = (err?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(new Error(err));
      else resolve();
    };
    const sock = connect({
      host: addr,
      port,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: verify,
      // Also the name the certificate is checked against (node:tls uses servername, else host).
      ...(servername ? { servername } : {}),
    });
    const timer = setTimeout(() => finish(`no TLS handshake within ${timeoutMs} ms`), timeoutMs);
    sock.once('secureConnect', () =>
      finish(handshakeVerdict({ authorized: sock.authorized, authorizationError: sock.authorizationError }, verify)),
    );
    sock.once('error', (e: NodeJS.ErrnoException) => finish(`${e.code ? `${e.code}: ` : ''}${tlsReason(e.message)}`));
    sock.once('close', () => finish('the connection closed before the TLS handshake completed'));
  });
}

/**
 * OpenSSL's reason from its error string ("…:SSL routines:func:wrong version number:file:line:"),
 * else the message.
 */
export function tlsReason(message: string): string {
  return /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message;
}

/**
 * The API server probe. Each attempt resolves the host, asks the kernel whether the address is
 * local and shakes hands with it; before the apply it notes whether the address was local then
 * (the baseline the attempts after the apply are judged against).
 */
export function apiServerProbe(ep: ApiEndpoint, netns?: string): Probe {
  let localBefore = false;
  return {
    name: API_PROBE,
    async attempt(timeoutMs: number, phase: ProbePhase) {
      const addr = isIP(ep.host) ? ep.host : (await lookup(ep.host)).address;
      const [local, shake] = await Promise.allSettled([
        run(inNetns(netns, ['ip', '-json', 'route', 'get', addr]), { allowFailure: true })
          // No route at all is not "local": the handshake fails on it, with the kernel's reason.
          .then((r) => r.code === 0 && routeIsLocal(r.stdout)),
        ep.tls().then((tls) => tlsHandshake(addr, ep.port, ep.host, tls, timeoutMs)),
      ]);
      const isLocal = local.status === 'fulfilled' && local.value;
      if (phase === 'before') localBefore = isLocal;
      const why = phase === 'after' ? localVerdict(addr, isLocal, localBefore) : undefined;
      if (why) throw new Error(why);
      if (shake.status === 'rejected') throw new Error(`${addr}:${ep.port}: ${(shake.reason as Error).message}`);
    },
  };
}
