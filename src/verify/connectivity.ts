// The connectivity check after an apply: the API server over a fresh connection (always), and,
// when the object asks, the default gateway (ping) and DNS (resolve a name through the node's
// resolvers). A probe that already failed before the apply is not held against it — a node
// without DNS is not rolled back for DNS (a known kubernetes-nmstate complaint) — and the
// preflight is one quick attempt per probe, not a minutes-long stall.
import { Resolver } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { run, sleep } from '../util/exec.js';
import type { ConnectivityVerifier } from '../handler/backend.js';

export interface Probe {
  name: string;
  attempt(timeoutMs: number): Promise<void>;
}

export interface ConnectivityOptions {
  timeoutMs: number;
  intervalMs?: number;
  probes: Probe[];
  log?: (msg: string) => void;
}

export class Connectivity implements ConnectivityVerifier {
  private active: Probe[] = [];

  constructor(private readonly o: ConnectivityOptions) {}

  async preflight(): Promise<void> {
    const results = await Promise.all(this.o.probes.map(async (p) => {
      try {
        await p.attempt(2000);
        return p;
      } catch (e) {
        this.o.log?.(`probe ${p.name} fails before the apply (${(e as Error).message}); it will not decide a rollback`);
        return undefined;
      }
    }));
    // The API server probe is kept even if it fails now: losing the API is what must never stick.
    this.active = this.o.probes.filter((p, i) => results[i] || p.name === 'api-server');
  }

  async check(): Promise<string | undefined> {
    const deadline = Date.now() + this.o.timeoutMs;
    const pending = new Map(this.active.map((p) => [p.name, p]));
    const lastError = new Map<string, string>();
    while (pending.size) {
      for (const [name, p] of pending) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        try {
          await p.attempt(Math.min(5000, left));
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
    return [...pending.keys()].map((n) => `${n}: ${lastError.get(n) ?? 'no answer'}`).join('; ') + ` (within ${Math.round(this.o.timeoutMs / 1000)} s)`;
  }
}

/** Pings the current IPv4 default gateway (read anew each attempt: the apply may have moved it). */
export function gatewayProbe(netns?: string): Probe {
  const wrap = (argv: string[]) => (netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv);
  return {
    name: 'default-gateway',
    async attempt(timeoutMs) {
      const r = await run(wrap(['ip', '-json', '-4', 'route', 'show', 'default']));
      const gw = (JSON.parse(r.stdout || '[]') as { gateway?: string }[])[0]?.gateway;
      if (!gw) throw new Error('no IPv4 default route');
      const secs = Math.max(1, Math.floor(timeoutMs / 1000));
      await run(wrap(['ping', '-n', '-q', '-c', '1', '-W', String(secs), gw]), { timeoutMs: timeoutMs + 1000 });
    },
  };
}

/** Resolves host through the nameservers in resolv.conf (read anew each attempt). */
export function dnsProbe(host: string, resolvConf = '/etc/resolv.conf'): Probe {
  return {
    name: 'dns',
    async attempt(timeoutMs) {
      const text = await readFile(resolvConf, 'utf8').catch(() => '');
      const servers = text.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => !!s);
      if (!servers.length) throw new Error('no nameserver configured');
      const r = new Resolver({ timeout: timeoutMs, tries: 1 });
      r.setServers(servers);
      await r.resolve4(host);
    },
  };
}
