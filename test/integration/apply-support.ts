// Support for the apply integration tests: namespaces with a DHCP server on this machine, running
// the CLI inside them, and the node's observed state in a comparable form. Also runnable as a
// script inside a namespace (`node apply-support.js observe [--loose]`) to print that state.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { Locks } from '../../src/apply/lock.js';
import { Transactions } from '../../src/apply/transaction.js';
import { validateForHost } from '../../src/cli/apply.js';
import { observeHost } from '../../src/observe/index.js';
import { loadRunningConfig, saveRunningConfig } from '../../src/persist/running-config.js';
import type { HostState } from '../../src/model/host-state.js';
import { run, sleep, waitFor, type RunOptions, type RunResult } from '../../src/util/exec.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(ROOT, 'bin', 'ovirt-node-network-handler.js');
const SELF = fileURLToPath(import.meta.url);

/** Bridge attributes that are clocks or follow traffic, not configuration. */
const VOLATILE_BRIDGE = /timer$|^topology_change|^root_port$|^root_path_cost$/;

/**
 * The observed state of a host without what changes by itself (counters, ifindex, timers, link
 * speed) — equal before and after anything the handler undid. `loose` also drops the MAC of
 * bridges without ports (a re-created one gets a new random MAC: the kernel keeps a portless
 * bridge with a user-set MAC without carrier) and what derives from it (bridge ids, link-local).
 */
export function comparable(host: HostState, loose = false): unknown {
  const links: Record<string, unknown> = {};
  for (const l of Object.values(host.links)) {
    const portless = l.kind === 'bridge' && !Object.values(host.links).some((p) => p.master === l.name);
    const bridge = l.bridge
      ? Object.fromEntries(Object.entries(l.bridge).filter(([k]) => !VOLATILE_BRIDGE.test(k) && !(loose && portless && /_id$/.test(k))).sort())
      : undefined;
    links[l.name] = {
      kind: l.kind, slaveKind: l.slaveKind, linkType: l.linkType, flags: [...l.flags].sort(), mtu: l.mtu,
      hwaddr: loose && portless ? undefined : l.hwaddr, master: l.master, parent: l.parent, vlanId: l.vlanId,
      // (A portless bridge's IPv6 link-local address derives from its MAC.)
      addresses: l.addresses.filter((a) => !(loose && portless && a.scope === 'link'))
        .map((a) => `${a.local}/${a.prefixlen} ${a.scope}${a.dynamic ? ' dynamic' : ''}`).sort(),
      bonding: l.bonding ? Object.fromEntries(Object.entries(l.bonding).filter(([k]) => !/^ad_|mii_status|active_slave/.test(k)).sort()) : undefined,
      bridge, ipv6: l.ipv6,
    };
  }
  const routes = host.routes
    .filter((r) => r.type !== 'multicast' && r.protocol !== 'ra')
    .map((r) => `${r.family} ${r.table} ${r.dst} via ${r.gateway ?? '-'} dev ${r.dev ?? '-'} proto ${r.protocol ?? '-'} metric ${r.metric ?? '-'}`)
    .sort();
  return { links, routes, nameservers: host.nameservers };
}

/** Two namespaces: the node (NICs e1, e2) and a switch with dnsmasq serving 10.77.0.0/24 and fd00:77::/64. */
export class NetnsRig {
  readonly id = randomBytes(3).toString('hex');
  readonly node = `ovnh-t-apply-${this.id}`;
  readonly srv = `ovnh-t-apsrv-${this.id}`;
  readonly dir = join(ROOT, '.tmp-tests', `apply-${this.id}`);
  readonly stateDir = join(this.dir, 'state');
  private dnsmasqPid: number | undefined;

  async up(): Promise<void> {
    // A test run that is stopped (SIGTERM/SIGINT) still removes its namespaces and processes.
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void this.down().finally(() => process.exit(130)));
    await mkdir(this.dir, { recursive: true });
    await run(['ip', 'netns', 'add', this.node]);
    await run(['ip', 'netns', 'add', this.srv]);
    const lines = [
      `-n ${this.node} link set lo up`,
      `-n ${this.node} link add e1 type veth peer name s1 netns ${this.srv}`,
      `-n ${this.node} link add e2 type veth peer name s2 netns ${this.srv}`,
      `-n ${this.node} link set e1 up`,
      `-n ${this.node} link set e2 up`,
      `-n ${this.srv} link add sw type bridge`,
      `-n ${this.srv} link set s1 master sw`,
      `-n ${this.srv} link set s2 master sw`,
      `-n ${this.srv} addr add 10.77.0.1/24 dev sw`,
      `-n ${this.srv} addr add fd00:77::1/64 dev sw nodad`,
      `-n ${this.srv} link set s1 up`,
      `-n ${this.srv} link set s2 up`,
      `-n ${this.srv} link set sw up`,
    ];
    for (const l of lines) await run(['ip', ...l.split(' ')]);
    // `ip netns exec` shows this file as the node's /etc/resolv.conf.
    await mkdir(`/etc/netns/${this.node}`, { recursive: true });
    await writeFile(`/etc/netns/${this.node}/resolv.conf`, 'nameserver 10.77.0.1\n');
    const pidFile = join(this.dir, 'dnsmasq.pid');
    await run([
      'ip', 'netns', 'exec', this.srv, 'dnsmasq', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--user=root', '--port=0',
      '--bind-interfaces', '--interface=sw', '--except-interface=lo', '--no-ping', '--dhcp-authoritative',
      '--dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h', '--dhcp-range=fd00:77::100,fd00:77::1ff,64,1h', '--enable-ra',
      `--dhcp-leasefile=${join(this.dir, 'dnsmasq.leases')}`, `--pid-file=${pidFile}`, `--log-facility=${join(this.dir, 'dnsmasq.log')}`,
    ]);
    this.dnsmasqPid = await waitFor('dnsmasq pid', async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || undefined, 5000);
  }

  async down(): Promise<void> {
    // DHCP clients this rig's state dir started (pid files), then dnsmasq, then the namespaces.
    const dhcpDir = join(this.stateDir, 'dhcp');
    for (const f of await readdir(dhcpDir).catch(() => [] as string[])) {
      if (!f.endsWith('.pid')) continue;
      const pid = Number((await readFile(join(dhcpDir, f), 'utf8')).trim());
      // The whole process group: dhcpcd's privilege-separation helpers too.
      if (pid > 0) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    }
    if (this.dnsmasqPid) try { process.kill(this.dnsmasqPid, 'SIGTERM'); } catch { /* gone */ }
    await sleep(100);
    await run(['ip', 'netns', 'del', this.node], { allowFailure: true });
    await run(['ip', 'netns', 'del', this.srv], { allowFailure: true });
    await rm(`/etc/netns/${this.node}`, { recursive: true, force: true });
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The CLI inside the node namespace. */
  cli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.node, process.execPath, BIN, ...args], { allowFailure: true, ...opts });
  }

  async apply(spec: unknown, extra: string[] = [], opts: RunOptions = {}): Promise<RunResult> {
    return this.cli(['apply', '-f', '-', '--state-dir', this.stateDir, '-q', '--dhcp-timeout', '15', ...extra], { input: JSON.stringify(spec), ...opts });
  }

  /** The node's comparable observed state. */
  async observed(loose = false): Promise<unknown> {
    const r = await run(['ip', 'netns', 'exec', this.node, process.execPath, SELF, 'observe', ...(loose ? ['--loose'] : [])]);
    return JSON.parse(r.stdout);
  }

  /**
   * The observed state once the kernel has settled: carrier on a new bridge, then its IPv6
   * link-local address after DAD, come a moment after the configuration (two equal reads in a row).
   */
  async settled(loose = false, timeoutMs = 10_000): Promise<unknown> {
    // In one process inside the node (one start instead of one a read: the crash test reads
    // settled states hundreds of times).
    const r = await run(['ip', 'netns', 'exec', this.node, process.execPath, SELF, 'settled', String(timeoutMs), ...(loose ? ['--loose'] : [])]);
    return JSON.parse(r.stdout);
  }

  /** `show --json` inside the node: capabilities and kernelConfig for the persisted running config. */
  async show(): Promise<{ kernelConfig: unknown; capabilities: Record<string, unknown> }> {
    const r = await this.cli(['show', '--json', '--state-dir', this.stateDir]);
    if (r.code !== 0) throw new Error(`show failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { kernelConfig: unknown; capabilities: Record<string, unknown> };
  }

  async runningConfig(): Promise<unknown> {
    try {
      return JSON.parse(await readFile(join(this.stateDir, 'running-config.json'), 'utf8'));
    } catch {
      return { networks: {}, bondings: {} };
    }
  }

  /** KernelBackend.setup whose connectivity check fails: the SetupResult (and how often preflight ran). */
  async setupLosingConnectivity(spec: unknown): Promise<{ ok: boolean; reason?: string; message?: string; rolledBack?: boolean; preflights: number }> {
    const r = await run(['ip', 'netns', 'exec', this.node, process.execPath, SELF, 'lose-connectivity', this.stateDir, JSON.stringify(spec)]);
    return JSON.parse(r.stdout) as { ok: boolean; reason?: string; message?: string; rolledBack?: boolean; preflights: number };
  }

  /**
   * KernelBackend.setup of each spec in turn in one process, as the agent applies them (each
   * after the first in the standby ip session the one before left), a connectivity check that
   * passes; per spec the SetupResult and what backend.observe() reads back.
   */
  async setups(specs: unknown[]): Promise<{ ok: boolean; message?: string; kernelConfig: unknown; drifted: string[] }[]> {
    const r = await run(['ip', 'netns', 'exec', this.node, process.execPath, SELF, 'setups', this.stateDir, JSON.stringify(specs)]);
    return JSON.parse(r.stdout) as { ok: boolean; message?: string; kernelConfig: unknown; drifted: string[] }[];
  }

  /** A transaction whose NIC `nic` is deleted between planning and the kernel work. */
  async applyWhileNicVanishes(spec: unknown, nic: string): Promise<{ ok: boolean; message?: string; rolledBack?: boolean }> {
    const r = await run(['ip', 'netns', 'exec', this.node, process.execPath, SELF, 'vanish', this.stateDir, JSON.stringify(spec), nic]);
    return JSON.parse(r.stdout) as { ok: boolean; message?: string; rolledBack?: boolean };
  }

  ns(...argv: string[]): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.node, ...argv]);
  }
}

/**
 * A namespace of its own with one veth NIC e1 (its peer beside it in the namespace), a state dir
 * and a resolv.conf the CLI is pointed at: the rig of the tests of one NIC's own properties
 * (ethtool, QoS, odd device names). down() removes the namespace and the files, also when the
 * run is stopped.
 */
export class VethNamespace {
  readonly id = randomBytes(3).toString('hex');
  readonly ns: string;
  readonly dir: string;
  readonly stateDir: string;
  readonly resolv: string;

  constructor(kind: string, private readonly o: { peer?: string; loUp?: boolean; peerUp?: boolean; nicUp?: boolean } = {}) {
    this.ns = `ovnh-t-${kind}-${this.id}`;
    this.dir = join(ROOT, '.tmp-tests', `${kind}-${this.id}`);
    this.stateDir = join(this.dir, 'state');
    this.resolv = join(this.dir, 'resolv.conf');
  }

  async up(): Promise<void> {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void this.down().finally(() => process.exit(130)));
    const peer = this.o.peer ?? 'p1';
    await mkdir(this.stateDir, { recursive: true });
    await writeFile(this.resolv, 'nameserver 192.0.2.53\n');
    await run(['ip', 'netns', 'add', this.ns]);
    const lines = [
      ...(this.o.loUp ? ['link set lo up'] : []),
      `link add e1 type veth peer name ${peer}`,
      ...(this.o.nicUp === false ? [] : ['link set e1 up']),
      ...(this.o.peerUp ? [`link set ${peer} up`] : []),
    ];
    await run(['ip', '-n', this.ns, '-batch', '-'], { input: lines.join('\n') + '\n' });
  }

  async down(): Promise<void> {
    await run(['ip', 'netns', 'del', this.ns], { allowFailure: true });
    await rm(this.dir, { recursive: true, force: true });
  }

  /** A command inside the namespace. */
  exec(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.ns, ...argv], opts);
  }

  /** The CLI inside the namespace (its exit code is the caller's to check). */
  cli(args: string[], input?: string): Promise<RunResult> {
    return this.exec([process.execPath, BIN, ...args], { allowFailure: true, ...(input !== undefined ? { input } : {}) });
  }
}

/** Lower-level entry for a test: a transaction whose NIC vanishes after it was planned. */
async function applyWhileNicVanishes(stateDir: string, spec: unknown, nic: string): Promise<void> {
  const running = await loadRunningConfig(stateDir);
  const v = await validateForHost(spec, running);
  if ('errors' in v) throw new Error(JSON.stringify(v.errors));
  const tx = new Transactions({
    stateDir,
    store: { load: () => loadRunningConfig(stateDir), save: (c) => saveRunningConfig(c, stateDir) },
    locks: new Locks(),
    beforeExecute: async () => void (await run(['ip', 'link', 'del', 'dev', nic])),
  });
  process.stdout.write(JSON.stringify(await tx.apply({ to: v.config })));
}

/** KernelBackend.setup with a connectivity check that fails after the kernel work (as a lost API server would). */
async function setupLosingConnectivity(stateDir: string, spec: unknown): Promise<void> {
  const { KernelBackend } = await import('../../src/agent/kernel-backend.js');
  const { default: pino } = await import('pino');
  const backend = new KernelBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 5000 });
  let preflights = 0;
  const r = await backend.setup(spec, {
    preflight: async () => {
      preflights++;
      return { apiReachable: true };
    },
    check: async () => 'the API server did not answer within 1 s',
    // The spec is the culprit: the old configuration reaches the API server again.
    apiReachable: async () => true,
  });
  process.stdout.write(JSON.stringify({ ...r, preflights }));
}

/** RigNetns.setups' child: one backend, the specs one after another. */
async function setupsInTurn(stateDir: string, specs: unknown[]): Promise<void> {
  const { KernelBackend } = await import('../../src/agent/kernel-backend.js');
  const { default: pino } = await import('pino');
  const backend = new KernelBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 5000 });
  const out: unknown[] = [];
  for (const spec of specs) {
    const r = await backend.setup(spec, {
      preflight: async () => ({ apiReachable: true }),
      check: async () => undefined,
      apiReachable: async () => true,
    });
    const o = await backend.observe();
    out.push({ ok: r.ok, ...(r.ok ? {} : { message: r.message }), kernelConfig: o.kernelConfig, drifted: o.drifted });
  }
  process.stdout.write(JSON.stringify(out));
}

/** The comparable state once two reads 250 ms apart agree (or the deadline passes: the last read). */
async function settledHere(loose: boolean, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let prev = comparable(await observeHost(), loose);
  for (;;) {
    await sleep(250);
    const cur = comparable(await observeHost(), loose);
    if (isDeepStrictEqual(cur, prev) || Date.now() > deadline) return cur;
    prev = cur;
  }
}

if (process.argv[1] === SELF && process.argv[2] === 'observe') {
  const host = await observeHost();
  process.stdout.write(JSON.stringify(comparable(host, process.argv.includes('--loose'))));
} else if (process.argv[1] === SELF && process.argv[2] === 'settled') {
  process.stdout.write(JSON.stringify(await settledHere(process.argv.includes('--loose'), Number(process.argv[3]))));
} else if (process.argv[1] === SELF && process.argv[2] === 'lose-connectivity') {
  await setupLosingConnectivity(process.argv[3]!, JSON.parse(process.argv[4]!));
} else if (process.argv[1] === SELF && process.argv[2] === 'setups') {
  await setupsInTurn(process.argv[3]!, JSON.parse(process.argv[4]!) as unknown[]);
} else if (process.argv[1] === SELF && process.argv[2] === 'vanish') {
  await applyWhileNicVanishes(process.argv[3]!, JSON.parse(process.argv[4]!), process.argv[5]!);
}
