// The connectivity check after an apply: the API server over a fresh connection (always), and,
// when the object asks, the default gateway (ping) and DNS (resolve a name through the node's
// resolvers). A probe that already failed before the apply is not held against it — a node
// without DNS is not rolled back for DNS (a known kubernetes-nmstate complaint) — and the
// preflight is one quick attempt per probe, not a minutes-long stall.
import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { readFile } from 'node:fs/promises';
import { DEFAULT_RESOLV_CONF } from '../api/constants.js';
// ip -json prints device names raw: a foreign device's control characters must not break the check.
import { escapeRawControls } from '../observe/parse.js';
import { inNetns, run, sleep } from '../util/exec.js';
import { resolvNameservers } from '../util/resolv.js';

/**
 * Checks run after an apply; the node backend (src/agent) rolls back when it reports a failure.
 * Defined here, beside its implementation, so the check does not depend on the agent.
 */
export interface ConnectivityVerifier {
  /**
   * Called before applying: notes which probes work now (only those are held against the apply),
   * and says whether the API server answers — if not, nothing is applied until it does.
   */
  preflight(): Promise<{ apiReachable: boolean }>;
  /** After a rollback: does the API server answer on the previous configuration (within timeoutMs)? */
  apiReachable(timeoutMs: number): Promise<boolean>;
  /** Resolves with undefined when connectivity is confirmed, else with why it is not. */
  check(): Promise<string | undefined>;
}

/** The probe every check has: the API server over a new connection (src/verify/api-server.ts). */
export const API_PROBE = 'api-server';

/** Before the apply (the preflight) or after it (the check, and the re-check after a rollback). */
export type ProbePhase = 'before' | 'after';

/**
 * One probe: an attempt resolves when the destination really answered, and rejects (with why)
 * otherwise — never "reachable, but not serving": a refused or reset connection is no answer.
 */
export interface Probe {
  name: string;
  attempt(timeoutMs: number, phase: ProbePhase): Promise<void>;
}

export interface ConnectivityOptions {
  timeoutMs: number;
  intervalMs?: number;
  probes: Probe[];
  log?: (msg: string) => void;
}

/** The least time left for which a probe that already failed is tried again within a check. */
const MIN_RETRY_MS = 500;

export class Connectivity implements ConnectivityVerifier {
  private active: Probe[] = [];

  constructor(private readonly o: ConnectivityOptions) {}

  async preflight(): Promise<{ apiReachable: boolean }> {
    const results = await Promise.all(
      this.o.probes.map(async (p) => {
        try {
          await p.attempt(2000, 'before');
          return p;
        } catch (e) {
          this.o.log?.(
            `probe ${p.name} fails before the apply (${(e as Error).message}); it will not decide a rollback`,
          );
          return undefined;
        }
      }),
    );
    // The API server probe is kept even if it fails now: losing the API is what must never stick.
    this.active = this.o.probes.filter((p, i) => results[i] || p.name === API_PROBE);
    return { apiReachable: this.o.probes.some((p, i) => p.name === API_PROBE && results[i]) };
  }

  async apiReachable(timeoutMs: number): Promise<boolean> {
    const api = this.o.probes.find((p) => p.name === API_PROBE);
    if (!api) return true;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await api.attempt(Math.max(500, Math.min(5000, deadline - Date.now())), 'after');
        return true;
      } catch {
        // not yet
      }
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
    }
  }

  async check(): Promise<string | undefined> {
    const deadline = Date.now() + this.o.timeoutMs;
    const pending = new Map(this.active.map((p) => [p.name, p]));
    const lastError = new Map<string, string>();
    while (pending.size) {
      for (const [name, p] of pending) {
        const left = deadline - Date.now();
        // A probe that already answered (wrongly) is not tried again on a sliver of time: that
        // attempt could only time out, and its "no answer within 1 ms" would hide the real reason.
        if (left <= 0) break;
        if (left < MIN_RETRY_MS && lastError.has(name)) continue;
        try {
          // Only a real answer keeps the apply. An API server restarting through the whole check
          // is rolled back too, but not blamed on the spec: the backend re-checks the previous
          // configuration (apiReachable) and, if that cannot reach it either, applies again later.
          await p.attempt(Math.min(5000, left), 'after');
          pending.delete(name);
        } catch (e) {
          lastError.set(name, (e as Error).message);
        }
      }
      if (!pending.size) return undefined;
      if (Date.now() >= deadline) break;
      await sleep(Math.min(this.o.intervalMs ?? 1000, Math.max(0, deadline - Date.now())));
    }
    if (!pending.size) return undefined;
    return (
      [...pending.keys()].map((n) => `${n}: ${lastError.get(n) ?? 'no answer'}`).join('; ') +
      ` (within ${Math.round(this.o.timeoutMs / 1000)} s)`
    );
  }
}

/** Pings the current IPv4 default gateway (read anew each attempt: the apply may have moved it). */
export function gatewayProbe(netns?: string): Probe {
  const wrap = (argv: string[]) => inNetns(netns, argv);
  return {
    name: 'default-gateway',
    async attempt(timeoutMs) {
      const r = await run(wrap(['ip', '-json', '-4', 'route', 'show', 'default']));
      const gw = (JSON.parse(escapeRawControls(r.stdout || '[]')) as { gateway?: string }[])[0]?.gateway;
      if (!gw) throw new Error('no IPv4 default route');
      const secs = Math.max(1, Math.floor(timeoutMs / 1000));
      await run(wrap(['ping', '-n', '-q', '-c', '1', '-W', String(secs), gw]), { timeoutMs: timeoutMs + 1000 });
    },
  };
}

/**
 * Pings host (the API server's address) with a packet exactly as large as the MTU of the device
 * the route to it leaves by, with fragmentation forbidden. A jumbo MTU the switch does not carry
 * keeps small packets (and TCP, whose segments follow the peer's MSS) working while large frames
 * vanish: this probe fails on it where an HTTPS request alone would pass.
 */
export function pathMtuProbe(host: string, netns?: string, port?: number): Probe {
  const wrap = (argv: string[]) => inNetns(netns, argv);
  return {
    name: 'path-mtu',
    async attempt(timeoutMs) {
      const named = isIP(host) ? host : (await lookup(host)).address;
      // In a cluster the address is the kubernetes Service's ClusterIP, which answers no ping:
      // probe the endpoint kube-proxy translates it to, as the agent's own connection shows.
      const nat = port ? await run(wrap(['cat', '/proc/net/nf_conntrack']), { allowFailure: true }) : undefined;
      const addr = (nat?.code === 0 ? natEndpoint(nat.stdout, named, port!) : undefined) ?? named;
      const v6 = isIP(addr) === 6;
      const r = await run(wrap(['ip', '-json', 'route', 'get', addr]));
      const dev = (JSON.parse(escapeRawControls(r.stdout || '[]')) as { dev?: string }[])[0]?.dev;
      if (!dev) throw new Error(`no route to ${addr}`);
      const mtu = Number((await run(wrap(['cat', `/sys/class/net/${dev}/mtu`]))).stdout.trim());
      const size = mtu - (v6 ? 48 : 28);
      const secs = Math.max(1, Math.floor(timeoutMs / 1000));
      const p = await run(
        wrap([
          'ping',
          v6 ? '-6' : '-4',
          '-n',
          '-q',
          '-c',
          '1',
          '-M',
          'do',
          '-s',
          String(size),
          '-W',
          String(secs),
          addr,
        ]),
        { timeoutMs: timeoutMs + 1000, allowFailure: true },
      );
      if (p.code !== 0)
        throw new Error(`${addr} does not answer a ${mtu}-byte packet (MTU of ${dev}) with fragmentation forbidden`);
    },
  };
}

/**
 * The address a connection to addr:port really reaches when the node translates it (kube-proxy's
 * DNAT of a ClusterIP): the source of the reply direction of a conntrack entry whose original
 * direction goes to addr:port. undefined when there is none, or it is not translated (pure).
 */
export function natEndpoint(conntrack: string, addr: string, port: number): string | undefined {
  for (const line of conntrack.split('\n')) {
    const kv = [...line.matchAll(/\b(src|dst|sport|dport)=(\S+)/g)].map((m) => [m[1], m[2]] as const);
    const orig = Object.fromEntries(kv.slice(0, 4));
    const reply = Object.fromEntries(kv.slice(4, 8));
    if (orig.dst === addr && orig.dport === String(port) && reply.src && reply.src !== addr) return reply.src;
  }
  return undefined;
}

/** Resolves host through the nameservers in resolv.conf (read anew each attempt). */
export function dnsProbe(host: string, resolvConf = DEFAULT_RESOLV_CONF): Probe {
  return {
    name: 'dns',
    async attempt(timeoutMs) {
      const text = await readFile(resolvConf, 'utf8').catch(() => '');
      const servers = resolvNameservers(text);
      if (!servers.length) throw new Error('no nameserver configured');
      const r = new Resolver({ timeout: timeoutMs, tries: 1 });
      r.setServers(servers);
      await r.resolve4(host);
    },
  };
}
