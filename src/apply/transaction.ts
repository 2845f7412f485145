// A transaction from the running config (or what the kernel has) to a desired config:
// compile → journal + execute → wait for DHCP leases → verify → commit (running config and
// origins persisted, journal dropped). A failure anywhere before the commit puts the host back.
// Also the recovery of an interrupted transaction and the boot-time restore.
import { isDeepStrictEqual } from 'node:util';
import type { RunningConfig } from '../api/config.js';
import { DEFAULT_RESOLV_CONF } from '../api/constants.js';
import { kernelConfig } from '../observe/kernel-config.js';
import { driftBase } from '../plan/drift.js';
import { hasQos, observeForTransaction } from '../observe/host.js';
import { kernelConfigFiles } from '../observe/kernel-config.js';
import type { HostState } from '../model/host-state.js';
import { compile, type Compiled, type Origins } from './compile/index.js';
import { DhcpSupervisor } from './dhcp.js';
import { leasedAddress } from '../model/dhcp-clients.js';
import { crash, execute, rollback, type Progress } from './executor.js';
import { IpBatch, IpSession } from './ipbatch.js';
import { JournalStore, recoveryAction, undoSequence, type Journal } from './journal.js';
import { runOps } from './kernel.js';
import { devicesOf, layoutOf } from '../model/layout.js';
import type { Locks } from './lock.js';
import { describeOp } from './ops.js';
import { OriginsStore } from './origins.js';
import { compileFacts } from './compile/facts.js';
import { PROBE_PARTS, traced, type Trace } from '../util/trace.js';

/**
 * How long after a transaction its standby session is started (standbySession): past the status
 * write that follows an apply (the agent's target for it is 100 ms after the watch event), so
 * that the forks delay neither; an apply sooner than that starts its own.
 */
export const STANDBY_DELAY_MS = 250;

/** Where the running config lives (src/persist/running-config.ts). */
export interface ConfigStore {
  load(): Promise<RunningConfig>;
  save(config: RunningConfig): Promise<void>;
}

export interface TransactionOptions {
  stateDir: string;
  store: ConfigStore;
  /** The process's locks (one instance shared by everything in it that locks stateDir). */
  locks: Locks;
  /** resolv.conf the nameservers go to (tests point it elsewhere). */
  resolvConf?: string;
  /** How long a DHCP network may wait for its lease (apply and boot restore). */
  dhcpTimeoutMs?: number;
  log?: (msg: string) => void;
  onProgress?: (p: Progress) => void;
  /** Runs between planning and the kernel work (tests make the host change under the plan). */
  beforeExecute?: (compiled: Compiled) => Promise<void>;
  /**
   * Crash tests only: SIGKILL the process once that many kernel operations of an apply ran; one
   * more than the apply has kills it right after the commit point (running config persisted,
   * journal not yet removed). Only `apply --test-crash-after-operation N` sets it (src/cli/apply.ts).
   */
  crashAfter?: number;
  /** Told how long each part of an apply takes (the benchmark's breakdown of the fixed cost). */
  trace?: Trace;
  /**
   * Keep a standby ip session between transactions (the agent, which applies many times): see
   * Transactions.takeSession. Default off (the CLI applies once).
   */
  standbySession?: boolean;
}

export type ApplyOutcome =
  | {
      ok: true;
      changed: boolean;
      /** Plan steps (networks/bonds touched) and kernel operations. */
      steps: number;
      ops: number;
      summary: string;
    }
  | { ok: false; reason: 'SetupFailed' | 'ConnectivityLost'; message: string; rolledBack: boolean; step?: string };

export interface ApplyRequest {
  to: RunningConfig;
  /** What the kernel is taken to hold; default: the persisted running config. */
  from?: RunningConfig;
  /** Connectivity check after the kernel work: a reason means roll back. */
  verify?: () => Promise<string | undefined>;
}

/** What a caller decided from the host read under the lock: an apply, or a result without one. */
export type Prepared<S> = { apply: ApplyRequest } | { stop: S };

/**
 * Devices whose IPv6 sysctls the compiler needs: every device either config uses. A NIC's are
 * recorded when the handler takes it and put back when it lets it go; the others' are what an
 * undo makes a deleted device with, and what a change starts from.
 */
function sysctlDevices(...cfgs: RunningConfig[]): string[] {
  return cfgs.flatMap((c) => [...devicesOf(c)]);
}

/** DHCP clients a config runs, as (network, device, family). */
export function dhcpClientsOf(
  cfg: RunningConfig,
): { network: string; dev: string; family: 4 | 6; defaultRoute: boolean }[] {
  const out: { network: string; dev: string; family: 4 | 6; defaultRoute: boolean }[] = [];
  for (const [dev, t] of layoutOf(cfg).tops) {
    if (t.dhcp4) out.push({ network: t.network, dev, family: 4, defaultRoute: t.defaultRoute });
    if (t.dhcp6) out.push({ network: t.network, dev, family: 6, defaultRoute: t.defaultRoute });
  }
  return out;
}

/** The ip dump's lines as one text (what observeForTransaction reads from a process's stdout). */
function dumpLines(lines: readonly string[]): string {
  return lines.join('\n') + '\n';
}

export class Transactions {
  readonly journal: JournalStore;
  readonly origins: OriginsStore;
  readonly dhcp: DhcpSupervisor;
  readonly resolvConf: string;
  private readonly ip = new IpBatch();

  constructor(private readonly o: TransactionOptions) {
    this.journal = new JournalStore(o.stateDir);
    this.origins = new OriginsStore(o.stateDir);
    this.dhcp = new DhcpSupervisor(o.stateDir);
    this.resolvConf = o.resolvConf ?? DEFAULT_RESOLV_CONF;
  }

  private log(msg: string): void {
    this.o.log?.(msg);
  }

  /**
   * The host as a transaction sees it: read afresh (under the lock, for an apply), with every
   * route and the managed resolv.conf, as compileFacts needs, and of the per-device files what
   * validation, the compiler and kernelConfig of `cfg` (the config the kernel is compared with)
   * read: no speeds, no bridge options but cfg's.
   */
  private readHost(
    cfg: RunningConfig,
    session?: IpSession,
    moreNics: readonly string[] = [],
    qos = false,
  ): Promise<HostState> {
    const ipDump = session
      ? {
          ipDump: async (input: string) => dumpLines(await session.query(input.trimEnd().split('\n'))),
          ipRules6: async () => dumpLines(await session.query(['rule show'], 6)),
        }
      : {};
    return traced(this.o.trace, 'host read', () =>
      observeForTransaction(
        { routes: 'all', resolvConf: this.resolvConf, stateDir: this.o.stateDir, ...ipDump },
        kernelConfigFiles(cfg),
        // The ethtool features of the NICs either side gives settings: validation's, the
        // compiler's (the undo is the values read here) and kernelConfig's.
        [...Object.keys(cfg.nics ?? {}), ...moreNics],
        // The QoS trees when either side has hostQos: the compiler diffs them, kernelConfig reads them.
        qos || hasQos(cfg),
      ),
    );
  }

  /**
   * The plan without running it (dry run). Without `from`, from what the kernel has of the
   * running config (src/plan/drift.ts): a hand-made change is planned away like an edit, and
   * what is already gone is not removed again. `drifted` says what differed. `host`: a
   * readHost() result taken under the same lock hold, so one read serves both a read-back and
   * the plan; default: read now.
   */
  async plan(
    to: RunningConfig,
    from?: RunningConfig,
    host?: HostState,
    stored?: RunningConfig,
  ): Promise<{ from: RunningConfig; compiled: Compiled; drifted: string[]; origins: Origins }> {
    const running = from ? undefined : (stored ?? (await this.o.store.load()));
    const h = host ?? (await this.readHost(running ?? from!, undefined, Object.keys(to.nics ?? {}), hasQos(to)));
    const origins = await this.origins.load();
    return traced(this.o.trace, 'plan', async () => {
      const base = running
        ? driftBase(running, kernelConfig(h, running, origins.routeTables))
        : { from: from!, networks: new Set<string>(), bonds: new Set<string>(), drifted: [] };
      const facts = compileFacts(h, sysctlDevices(base.from, to));
      const compiled = compile({
        from: base.from,
        to,
        replace: base,
        host: facts,
        origins,
        resolvConf: this.resolvConf,
      });
      return { from: base.from, compiled, drifted: base.drifted, origins };
    });
  }

  async apply(req: ApplyRequest): Promise<ApplyOutcome> {
    return this.o.locks.withLock(
      this.o.stateDir,
      async () => {
        await this.recoverLocked();
        return this.applyLocked(req);
      },
      { waitInProcess: true },
    );
  }

  /**
   * An apply whose request is decided under the lock, from the host read there and the
   * persisted running config (the agent validates its spec against them): one read serves the
   * caller and the plan, as fresh for both as a plan's own read.
   */
  async applyPrepared<S>(
    prepare: (host: HostState, stored: RunningConfig) => Prepared<S> | Promise<Prepared<S>>,
    /** NICs whose ethtool features the read must include (those the caller's spec gives settings). */
    nics: readonly string[] = [],
    /** Whether the caller's spec has hostQos (the read then includes the QoS trees and modules). */
    qos = false,
  ): Promise<ApplyOutcome | { stop: S }> {
    return this.o.locks.withLock(
      this.o.stateDir,
      async () => {
        // One ip process per family for the host read and the kernel work: they read the host,
        // then are given each group of lines once that group's undo is journalled (executor.ts).
        // Taken before the recovery check, so that a new one starts while this thread reads.
        const t0 = performance.now();
        const session = this.takeSession();
        // Its start (forks, synchronous in this thread) told apart in the benchmark's breakdown.
        this.o.trace?.('ip session start', performance.now() - t0);
        try {
          await this.recoverLocked();
          const stored = await this.o.store.load();
          const host = await this.readHost(stored, session, nics, qos);
          const p = await prepare(host, stored);
          return 'stop' in p ? p : await this.applyLocked(p.apply, host, stored, session);
        } finally {
          await traced(this.o.trace, 'ip session end', () => session.close());
          this.scheduleStandby();
        }
      },
      { waitInProcess: true },
    );
  }

  /** The standby session, if one waits (standbySession), and the start of the next, if due. */
  private standby: IpSession | undefined;
  private standbyDue: NodeJS.Timeout | undefined;

  /**
   * The session of a transaction: the standby when one waits and is still fresh (its processes
   * running and given no line yet, so that it is exactly what starting one now would give: no
   * earlier dump in ip's device name cache), else one started now. Both families: the -6
   * process reads the IPv6 rules (a process the read started of its own before) and runs the
   * transaction's -6 lines.
   */
  private takeSession(): IpSession {
    // A standby not started yet is not started in the middle of this transaction: it is this one's.
    clearTimeout(this.standbyDue);
    this.standbyDue = undefined;
    const s = this.standby;
    this.standby = undefined;
    if (s?.fresh) {
      s.hold(true);
      return s;
    }
    void s?.close();
    const session = new IpSession((o) => this.ip.argv(o), undefined, true);
    session.warm();
    session.warm(6);
    return session;
  }

  /**
   * With standbySession, starts the next transaction's session STANDBY_DELAY_MS after this one
   * (when the agent has written the status that follows an apply), so that the forks of an
   * apply run while the agent waits for its next spec; a transaction that comes sooner cancels
   * it and starts its own. The standby holds no event loop open, dies with the agent as every
   * batch does (setpriv --pdeathsig) and is only ever given lines by the transaction taking it.
   */
  private scheduleStandby(): void {
    if (!this.o.standbySession || this.standby || this.standbyDue) return;
    this.standbyDue = setTimeout(() => {
      this.standbyDue = undefined;
      if (this.standby) return;
      try {
        const s = new IpSession((o) => this.ip.argv(o), undefined, true);
        s.warm();
        s.warm(6);
        s.hold(false);
        this.standby = s;
      } catch {
        // (A fork that fails here is tried again by the next transaction, in its own time.)
      }
    }, STANDBY_DELAY_MS);
    this.standbyDue.unref();
  }

  /**
   * `host`: what was read under this lock hold (nothing has changed since); default: read now.
   * `stored`: the persisted running config, if loaded under it.
   */
  private async applyLocked(
    req: ApplyRequest,
    host?: HostState,
    loaded?: RunningConfig,
    session?: IpSession,
  ): Promise<ApplyOutcome> {
    const stored = loaded ?? (await this.o.store.load());
    // `origins`: as on disk until this commit (only a holder of the lock writes them).
    const { from, compiled, drifted, origins } = await this.plan(req.to, req.from, host, stored);
    if (drifted.length) this.log(`the kernel differs from the running config: ${drifted.join('; ')}`);
    const ops = compiled.ops.length;
    if (ops === 0) {
      // Nothing to change in the kernel; DHCP clients that died are started again.
      await this.superviseDhcp(req.to);
      if (!isDeepStrictEqual(stored, req.to)) await this.o.store.save(req.to);
      // Route tables adopted from the kernel (a state of the previous version) are recorded now.
      if (!isDeepStrictEqual(origins, compiled.originsAfter)) await this.origins.save(compiled.originsAfter);
      return { ok: true, changed: false, steps: 0, ops: 0, summary: 'no changes' };
    }
    this.log(`applying ${compiled.units.length} step(s), ${ops} kernel operation(s): ${compiled.units.join('; ')}`);
    const base: Omit<Journal, 'phase' | 'undo'> = {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      from,
      to: req.to,
      stored,
      originsAfter: compiled.originsAfter,
    };
    const deps = { dhcp: this.dhcp, ip: this.ip, journal: this.journal, journalBase: base, trace: this.o.trace };
    await this.o.beforeExecute?.(compiled);
    const r = await execute(compiled, {
      ...deps,
      ...(session ? { session } : {}),
      onProgress: this.o.onProgress,
      warn: (m) => this.log(m),
      crashAfter: this.o.crashAfter,
    });
    // No more lines for the session (an undo runs in a -force process of its own): its
    // processes exit while the check and the commit run; applyPrepared waits for them.
    session?.end();
    if (!r.ok) {
      await this.journal.clear();
      const undoNote = r.rollbackErrors.length ? ` Undo reported: ${r.rollbackErrors.join('; ')}` : '';
      return {
        ok: false,
        reason: 'SetupFailed',
        message: `${r.step}: ${r.error.replace(/\.$/, '')}.${undoNote}`,
        rolledBack: true,
        step: r.step,
      };
    }
    // A crash from here to the commit point still rolls back: the journal holds every undo.
    const leaseWaitStart = Date.now();
    const pending = await this.waitLeases(req.to);
    // Reported apart from the apply: a lease takes as long as the DHCP server does.
    if (dhcpClientsOf(req.to).length)
      this.log(
        `DHCP: waited ${Date.now() - leaseWaitStart} ms for leases` +
          (pending.length ? ` (still none on ${pending.join(', ')})` : ''),
      );
    const reason = req.verify ? await traced(this.o.trace, PROBE_PARTS.check, req.verify) : undefined;
    if (reason) return this.connectivityLost(reason, r.undo, deps, session);
    await this.commit(req.to, base.originsAfter, stored, this.o.crashAfter === ops + 1, origins);
    const leaseNote = pending.length ? ` (no DHCP lease yet on ${pending.join(', ')}; the client keeps trying)` : '';
    return {
      ok: true,
      changed: true,
      steps: compiled.units.length,
      ops,
      summary: `${compiled.units.join('; ')}${leaseNote}`,
    };
  }

  /** The connectivity check failed after the kernel work: everything it did is undone. */
  private async connectivityLost(
    reason: string,
    undo: Parameters<typeof rollback>[0],
    deps: Parameters<typeof rollback>[1],
    session: IpSession | undefined,
  ): Promise<ApplyOutcome> {
    // The undo runs in a -force process of its own: nothing more goes to the session.
    await session?.close();
    const errs = await rollback(undo, deps);
    await this.journal.clear();
    const undoNote = errs.length ? ` Undo reported: ${errs.join('; ')}` : '';
    return {
      ok: false,
      reason: 'ConnectivityLost',
      message: `${reason}; the previous configuration was restored.${undoNote}`,
      rolledBack: true,
    };
  }

  /**
   * The commit point is the running config's rename into place; then origins, then the journal goes.
   *
   * Why an apply keeps two fsync'd writes (the journal's before the first kernel operation, this
   * one after the kernel work and the connectivity check) rather than one (issue 26 asked where
   * one would do): they are needed at two different moments. A running config written before
   * the kernel work would claim what the kernel may never hold (a crash mid-apply would be rolled
   * forward to it, a failure leave it persisted); a journal written only at the end would not be
   * on disk for a crash during the kernel work. Nor can the origins write (only when NICs are
   * taken or let go) lose its fsync: the journal removal after it is what recovery's
   * roll-forward depends on, and without the fsync the removal may reach the disk before the
   * origins do. The journal's removal itself needs none: a journal that comes back after a crash
   * names a committed `to` and is rolled forward (journal.ts recoveryAction). The journal's
   * write makes one fsync (its file's), the running config's two (file, then folder): the
   * folder's is what makes the commit, and every rename before it in the state folder, the
   * journal's included, survive a power cut (journal.ts JournalStore.write says why that is
   * enough for the journal).
   */
  private async commit(
    to: RunningConfig,
    originsAfter: Journal['originsAfter'],
    stored: RunningConfig,
    crashTest = false,
    /** The origins on disk, when loaded under this lock hold (default: read now). */
    loaded?: Origins,
  ): Promise<void> {
    await traced(this.o.trace, 'persist', async () => {
      if (!isDeepStrictEqual(stored, to)) await this.o.store.save(to);
      if (crashTest) crash();
      const origins = loaded ?? (await this.origins.load());
      if (!isDeepStrictEqual(origins, originsAfter)) await this.origins.save(originsAfter);
    });
    await traced(this.o.trace, 'journal clear', () => this.journal.clear());
  }

  /** Waits (up to the DHCP timeout) for every DHCP network of cfg to hold a lease; returns those still without. */
  async waitLeases(cfg: RunningConfig): Promise<string[]> {
    const clients = dhcpClientsOf(cfg);
    if (!clients.length) return [];
    const timeout = this.o.dhcpTimeoutMs ?? 30_000;
    const results = await Promise.all(
      clients.map(async (c) =>
        (await this.dhcp.waitLease(c.dev, c.family, timeout))
          ? undefined
          : `${c.network} (DHCPv${c.family === 4 ? 4 : 6})`,
      ),
    );
    return results.filter((x): x is string => x !== undefined);
  }

  /** superviseDhcp under the lock; throws BusyError when a transaction holds it. */
  async superviseDhcpLocked(cfg: RunningConfig): Promise<string[]> {
    return this.o.locks.withLock(this.o.stateDir, () => this.superviseDhcp(cfg));
  }

  /** Starts the DHCP clients a config needs that are not running (crashed, or after a reboot). */
  async superviseDhcp(cfg: RunningConfig): Promise<string[]> {
    const restarted: string[] = [];
    for (const c of dhcpClientsOf(cfg)) {
      const s = await this.dhcp.status(c.dev, c.family);
      if (s?.running && s.defaultRoute === c.defaultRoute) continue;
      await this.dhcp.start(c);
      restarted.push(`${c.network}/v${c.family}`);
    }
    return restarted;
  }

  /** Recovers an interrupted transaction (journal left by a crash); returns what was done. */
  async recover(): Promise<string | undefined> {
    return this.o.locks.withLock(this.o.stateDir, () => this.recoverLocked(), { waitInProcess: true });
  }

  private async recoverLocked(): Promise<string | undefined> {
    // No journal, nothing to recover: the running config (validated on load: 1-2 ms at 100
    // networks, 4-10 ms at 800) is read only when there is one.
    const journal = await this.journal.read();
    if (!journal) return undefined;
    const action = recoveryAction(journal, await this.o.store.load());
    if (action.kind === 'none') return undefined;
    const j = action.journal;
    if (action.kind === 'roll-forward') {
      await this.commit(j.to, j.originsAfter, j.to);
      return 'an interrupted apply had been committed; its configuration was kept';
    }
    this.log(
      `an apply (pid ${j.pid}, ${j.startedAt}) was interrupted while ${j.phase}: undoing ${j.undo.length} operation(s)`,
    );
    const seq = undoSequence(j.undo);
    const failures = await runOps(seq, { dhcp: this.dhcp, ip: this.ip }, { force: true });
    for (const f of failures) this.log(`undo: ${f.index >= 0 ? describeOp(seq[f.index]!) : 'ip'}: ${f.message}`);
    await this.journal.clear();
    if (!isDeepStrictEqual(await this.o.store.load(), j.stored)) await this.o.store.save(j.stored);
    // The undo tolerates steps that never ran; check the result against the kernel and repair
    // whatever still differs with a transaction from what the kernel has.
    const repaired = await this.reconcileLocked(j.stored);
    return `an interrupted apply was rolled back to the last good configuration${repaired ? ` (${repaired})` : ''}`;
  }

  /** Brings the kernel to `cfg` if it differs (what it has is read back); returns a summary or undefined. */
  private async reconcileLocked(cfg: RunningConfig): Promise<string | undefined> {
    const host = await this.readHost(cfg);
    const kc = kernelConfig(host, cfg, (await this.origins.load()).routeTables);
    if (isDeepStrictEqual(kc, cfg)) {
      const restarted = await this.superviseDhcp(cfg);
      return restarted.length ? `DHCP clients restarted: ${restarted.join(', ')}` : undefined;
    }
    // The same read plans the repair (from what the kernel has): the lock is held throughout.
    const r = await this.applyLocked({ to: cfg }, host);
    if (!r.ok) throw new Error(`restoring the persisted configuration failed: ${r.message}`);
    return r.changed ? `restored: ${r.summary}` : undefined;
  }

  /**
   * At boot (before the API server is reachable): finish or undo an interrupted transaction, then
   * bring the kernel to the persisted config if it lacks it. DHCP networks wait for a lease (or
   * the timeout). Returns what was done, or undefined when the kernel already matched.
   */
  async restoreAtBoot(): Promise<string | undefined> {
    // The agent's first apply comes after this: its session is started meanwhile (standbySession).
    this.scheduleStandby();
    return this.o.locks.withLock(
      this.o.stateDir,
      async () => {
        const recovered = await this.recoverLocked();
        const cfg = await this.o.store.load();
        if (!Object.keys(cfg.networks).length && !Object.keys(cfg.bondings).length) return recovered;
        const restored = await this.reconcileLocked(cfg);
        return [recovered, restored].filter(Boolean).join('; ') || undefined;
      },
      { waitInProcess: true },
    );
  }

  /** The leased address of each DHCP network of cfg (for reports). */
  async leases(cfg: RunningConfig): Promise<Record<string, string | undefined>> {
    const out: Record<string, string | undefined> = {};
    for (const c of dhcpClientsOf(cfg)) out[`${c.network}/v${c.family}`] = await leasedAddress(c.dev, c.family);
    return out;
  }
}
