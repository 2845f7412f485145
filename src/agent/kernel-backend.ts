// The node side of the agent: the NodeBackend that works on this host's kernel (the unit tests
// give the agent fakes). setup() = one transaction: under its lock the host is read once, the
// spec parsed and validated against that read (nothing on the host changes when it is invalid)
// → canonical config → plan from the same read, journalled kernel work, DHCP leases,
// connectivity check, rollback on loss → persisted running config. observe() reads the kernel
// back; superviseDhcp() restarts DHCP clients that died; restoreAtBoot() finishes or undoes an
// interrupted transaction and restores the persisted config when the kernel lacks it.
import type { Logger } from 'pino';
import { DEFAULT_STATE_DIR } from '../api/constants.js';
import { Transactions, type ApplyOutcome } from '../apply/transaction.js';
import { BusyError, Locks } from '../apply/lock.js';
import {
  capabilities,
  hasQos,
  HostObserver,
  StandbyIpDump,
  kernelConfig,
  observeHost,
  readLldp,
  StatisticsSampler,
} from '../observe/index.js';
import { LldpSupervisor } from '../apply/lldpd.js';
import { lldpFor } from '../observe/lldp.js';
import { lldpNics } from '../model/lldpd.js';
import type { Lldp } from '../api/status.js';
import { driftBase } from '../plan/drift.js';
import { checkSpecOnHost, formatValidationErrors, specHasQos, specNics } from '../plan/host-validation.js';
import { loadRunningConfig } from '../persist/running-config.js';
import { runningConfigStore } from '../persist/running-config-store.js';
import type { Observation, SetupResult } from '../report/results.js';
import { PROBE_PARTS, type Trace } from '../util/trace.js';
import type { ConnectivityVerifier } from '../verify/connectivity.js';
import type { NodeBackend } from './backend.js';

/** How long, after a rollback, the API server gets to answer on the old configuration. */
const API_RECHECK_MS = 15_000;

export interface KernelBackendOptions {
  /** Where the running config, journal, origins and DHCP client state live. */
  stateDir?: string;
  /** The agent runs inside the node's network namespace already; no other is supported. */
  netns?: undefined;
  log: Logger;
  /** resolv.conf to manage (default /etc/resolv.conf). */
  resolvConf?: string;
  /** How long DHCP networks wait for a lease at apply and boot restore (default 30 s). */
  dhcpTimeoutMs?: number;
  /**
   * The process's locks (default: the backend's own, enough while it is the only locker of stateDir in the process).
   */
  locks?: Locks;
  /**
   * LLDP reception (lldpd, apply/lldpd.ts): 'receive' listens on every NIC, 'transmit' announces
   * the node too; read every intervalMs (the statistics interval). Absent or 'off': no daemon.
   */
  lldp?: { mode: LldpMode; intervalMs: number };
  /** Told how long each part of an apply takes (TransactionOptions.trace; the benchmark's breakdown). */
  trace?: Trace;
}

export const LLDP_MODES = ['off', 'receive', 'transmit'] as const;
export type LldpMode = (typeof LLDP_MODES)[number];

export class KernelBackend implements NodeBackend {
  readonly stateDir: string;
  readonly tx: Transactions;
  private readonly sampler = new StatisticsSampler();
  // Reuses per-device sysfs facts of devices the handler does not own between passes: the
  // agent observes every few seconds, and most of a node's devices do not change.
  private readonly observer: HostObserver;
  private readonly lldpd: LldpSupervisor;
  /** The NICs of the last observation (what lldpd listens on) and the last LLDP read, kept between reads. */
  private nics: string[] = [];
  private lldpRead: { at: number; lldp: Lldp; nics: string } | undefined;

  constructor(private readonly o: KernelBackendOptions) {
    if (o.netns !== undefined) throw new Error('KernelBackend runs in the network namespace of its own process');
    this.stateDir = o.stateDir ?? DEFAULT_STATE_DIR;
    // Status reads the resolv.conf that validation and the transactions read and write.
    // Each pass's ip dump goes to a process started between passes (observe/standby.ts).
    this.observer = new HostObserver({
      stateDir: this.stateDir,
      ipDump: new StandbyIpDump().dump,
      ...(o.resolvConf ? { resolvConf: o.resolvConf } : {}),
    });
    const stateDir = this.stateDir;
    this.lldpd = new LldpSupervisor({ stateDir });
    this.tx = new Transactions({
      stateDir,
      store: runningConfigStore(stateDir),
      locks: o.locks ?? new Locks(),
      // The agent applies again and again: each transaction's ip session is started between them.
      standbySession: true,
      ...(o.trace ? { trace: o.trace } : {}),
      ...(o.resolvConf ? { resolvConf: o.resolvConf } : {}),
      ...(o.dhcpTimeoutMs !== undefined ? { dhcpTimeoutMs: o.dhcpTimeoutMs } : {}),
      log: (msg) => o.log.info(msg),
      onProgress: (p) => o.log.debug({ done: p.done, total: p.total }, p.step),
    });
  }

  async restoreAtBoot(): Promise<string | undefined> {
    return this.tx.restoreAtBoot();
  }

  /**
   * Starts again the DHCP clients of the running config that died; skipped while a transaction holds the lock (it
   * starts its own).
   */
  async superviseDhcp(): Promise<string[]> {
    try {
      const restarted = await this.tx.superviseDhcpLocked(await loadRunningConfig(this.stateDir));
      if (restarted.length) this.o.log.warn({ restarted }, 'DHCP clients were not running and were started again');
      return restarted;
    } catch (e) {
      if (!(e instanceof BusyError)) this.o.log.warn({ err: (e as Error).message }, 'DHCP supervision failed');
      return [];
    }
  }

  async observe(): Promise<Observation> {
    const running = await loadRunningConfig(this.stateDir);
    const host = await this.observer.observe(running);
    const kc = kernelConfig(host, running, (await this.tx.origins.load()).routeTables);
    const caps = capabilities(host, running);
    this.nics = Object.keys(caps.nics).sort();
    const lldp = await this.readLldp();
    return {
      capabilities: caps as unknown as Record<string, unknown>,
      kernelConfig: kc,
      statistics: this.sampler.sample(host) as unknown as Record<string, unknown>,
      statisticsTime: host.sampleTime,
      drifted: driftBase(running, kc).drifted,
      ...(lldp ? { lldp } : {}),
    };
  }

  /**
   * status.lldp, read from lldpd on the statistics interval (sooner when the NICs changed); in
   * between, the last read. A failed read keeps the last one (logged): a switch's frames or a
   * restarting daemon should not fail the node's observation.
   */
  private async readLldp(): Promise<Lldp | undefined> {
    const l = this.o.lldp;
    if (!l) return undefined;
    // Off: every NIC reported disabled (VDSM's shape for a NIC without LLDP), never left out — the
    // reporter keeps a field the observation leaves out, so an agent switched to --lldp off would
    // go on showing the switches an earlier run heard (found by bench/lldp.ts).
    if (l.mode === 'off') return lldpFor(this.nics, new Set(), new Map());
    const key = this.nics.join(',');
    const prev = this.lldpRead;
    if (prev && prev.nics === key && Date.now() - prev.at < l.intervalMs) return prev.lldp;
    try {
      const lldp = await readLldp(this.stateDir, this.nics);
      this.lldpRead = { at: Date.now(), lldp, nics: key };
      return lldp;
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'reading LLDP neighbors failed');
      return prev?.lldp;
    }
  }

  async superviseLldp(): Promise<void> {
    const l = this.o.lldp;
    const on = !!l && l.mode !== 'off';
    const nics = on ? lldpNics(this.nics) : [];
    if (await this.lldpd.ensure({ nics, transmit: l?.mode === 'transmit' })) {
      this.o.log.info({ nics, transmit: l?.mode === 'transmit' }, 'lldpd started');
      // Read it afresh at the next observation: the NICs it listens on changed.
      this.lldpRead = undefined;
    }
  }

  async confirmDrift(): Promise<string[]> {
    const running = await loadRunningConfig(this.stateDir);
    const host = await observeHost(
      { stateDir: this.stateDir, ...(this.o.resolvConf ? { resolvConf: this.o.resolvConf } : {}) },
      Object.keys(running.nics ?? {}),
      hasQos(running),
    );
    return driftBase(running, kernelConfig(host, running, (await this.tx.origins.load()).routeTables)).drifted;
  }

  async setup(spec: unknown, verifier: ConnectivityVerifier | undefined): Promise<SetupResult> {
    const t0 = Date.now();
    const ms = () => Date.now() - t0;
    let removing = false;
    let r: ApplyOutcome | { stop: SetupResult };
    try {
      // Validated against the host the transaction reads under its lock and plans from: one read.
      r = await this.tx.applyPrepared<SetupResult>(
        async (host, running) => {
          const t1 = performance.now();
          const v = checkSpecOnHost(spec, host, running);
          this.o.trace?.('validate', performance.now() - t1);
          if ('errors' in v)
            return {
              stop: {
                ok: false,
                reason: 'InvalidSpec',
                message: formatValidationErrors(v.errors),
                rolledBack: false,
                durationMs: ms(),
              },
            };
          removing = !Object.keys(v.config.networks).length && !Object.keys(v.config.bondings).length;
          // Only a valid spec is probed for. The probe changes no configuration, so the plan
          // still comes from the read above (a host that changes meanwhile fails an operation
          // and is rolled back, as one changing between any read and the kernel work).
          const t2 = performance.now();
          const pre = await verifier?.preflight();
          if (verifier) this.o.trace?.(PROBE_PARTS.preflight, performance.now() - t2);
          if (pre && !pre.apiReachable) {
            // An API server that is away before the apply would make any apply look like a lost
            // node and be rolled back: leave the host alone and apply when it answers again.
            return {
              stop: {
                ok: false,
                reason: 'ApiUnreachable',
                message:
                  'the API server did not answer before the apply; the host was not changed, and the spec is applied ' +
                  'when it answers again',
                rolledBack: false,
                retry: true,
                durationMs: ms(),
              },
            };
          }
          return { apply: { to: v.config, ...(verifier ? { verify: () => verifier.check() } : {}) } };
        },
        specNics(spec),
        specHasQos(spec),
      );
    } catch (e) {
      return {
        ok: false,
        reason: removing ? 'RemovalFailed' : 'SetupFailed',
        message: (e as Error).message,
        rolledBack: false,
        durationMs: ms(),
      };
    }
    if ('stop' in r) return r.stop;
    if (r.ok) return { ok: true, changed: r.changed, steps: r.steps, durationMs: ms(), summary: r.summary };
    const reason = r.reason === 'ConnectivityLost' ? 'ConnectivityLost' : removing ? 'RemovalFailed' : 'SetupFailed';
    if (reason === 'ConnectivityLost' && verifier && !(await verifier.apiReachable(API_RECHECK_MS))) {
      // Rolled back, and the old configuration does not reach the API server either: the outage
      // was not the spec's doing, so the spec is not marked as the culprit; it is applied again.
      return {
        ok: false,
        reason,
        message:
          `${r.message} The API server does not answer with the previous configuration either, so the apply ` +
          `is retried when it does.`,
        rolledBack: true,
        retry: true,
        durationMs: ms(),
      };
    }
    return { ok: false, reason, message: r.message, rolledBack: r.rolledBack, durationMs: ms() };
  }
}
