// The agent's Prometheus metrics, served with the probes by src/k8s/metrics-server.ts. The alert
// rules (deploy/monitoring/rules.yaml) use these names; a unit test holds every name they use to
// the registry's.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Capabilities, Statistics } from '../api/status.js';
import { SETUP_FAILURE_REASONS, type Observation, type SetupResult } from '../report/results.js';
import type { StatusMetrics } from '../report/reporter.js';
import { lldpProperty } from '../observe/lldp.js';

interface StatsEntry {
  rx?: string;
  tx?: string;
  rxDropped?: string;
  txDropped?: string;
  rxErrors?: string;
  txErrors?: string;
  rxRate?: number;
  txRate?: number;
}

/** Why a status write failed, by the API server's answer: a fixed set, so each series exists from the start. */
export const STATUS_WRITE_FAILURES = ['refused', 'server_error', 'no_answer'] as const;
export type StatusWriteFailure = (typeof STATUS_WRITE_FAILURES)[number];

/** refused: a 4xx (admission, validation, size, RBAC); server_error: 5xx; no_answer: no HTTP answer at all. */
export function statusWriteFailure(httpCode: number | undefined): StatusWriteFailure {
  if (httpCode === undefined) return 'no_answer';
  return httpCode >= 500 ? 'server_error' : 'refused';
}

/** Whether each bond slave's link is up (its reported state), by bond; every bond the node has. */
export function bondSlaveStates(
  obs: Pick<Observation, 'capabilities' | 'statistics'>,
): { bond: string; slave: string; up: boolean }[] {
  const bonds = (obs.capabilities as Partial<Capabilities>).bondings ?? {};
  const stats = obs.statistics as Partial<Statistics>;
  return Object.entries(bonds).flatMap(([bond, b]) =>
    (b.slaves ?? []).map((slave) => ({ bond, slave, up: stats[slave]?.state === 'up' })),
  );
}

/** Whether the southbound NIC or bond of each handler-owned network is up; nicless networks have none. */
export function southboundStates(
  obs: Pick<Observation, 'kernelConfig' | 'statistics'>,
): { network: string; southbound: string; up: boolean }[] {
  const stats = obs.statistics as Partial<Statistics>;
  return Object.entries(obs.kernelConfig.networks).flatMap(([network, n]) => {
    const southbound = n.nic ?? n.bonding;
    return southbound === undefined ? [] : [{ network, southbound, up: stats[southbound]?.state === 'up' }];
  });
}

/** The 802.3ad bond mode as bond opts report it (numeric values, src/model/bond-options.ts). */
const MODE_8023AD = '4';

/**
 * How many different switches (LLDP chassis IDs) the slaves of each 802.3ad bond hear: an
 * aggregate needs one LACP partner, so more than one means the slaves are cabled to different
 * switches (or to an MLAG pair, which announces two chassis and one LACP system: the alert says
 * so). Slaves that hear nothing do not count; a bond none of whose slaves hears LLDP has no series.
 */
export function lacpBondSwitches(
  obs: Pick<Observation, 'capabilities' | 'lldp'>,
): { bond: string; switches: number }[] {
  const bonds = (obs.capabilities as Partial<Capabilities>).bondings ?? {};
  const lldp = obs.lldp ?? {};
  return Object.entries(bonds).flatMap(([bond, b]) => {
    if (b.opts?.mode !== MODE_8023AD) return [];
    const chassis = new Set(
      (b.slaves ?? []).flatMap((s) => {
        const id = Object.hasOwn(lldp, s) ? lldpProperty(lldp[s], 'Chassis ID', 'chassis ID') : undefined;
        return id === undefined ? [] : [id];
      }),
    );
    return chassis.size ? [{ bond, switches: chassis.size }] : [];
  });
}

/** Ethernet header and FCS: a frame of an MTU-sized payload is this much larger (802.3's MFS counts them). */
export const ETHERNET_OVERHEAD_BYTES = 18;

/**
 * For each handler-owned network and each NIC under it (its NIC, or its bond's slaves) whose
 * switch announces a maximum frame size: how many bytes the largest frame of the network's MTU
 * leaves below it (negative: the switch drops the network's largest frames).
 */
export function switchFrameHeadroom(
  obs: Pick<Observation, 'capabilities' | 'lldp'>,
): { network: string; nic: string; bytes: number }[] {
  const caps = obs.capabilities as Partial<Capabilities>;
  const lldp = obs.lldp ?? {};
  return Object.entries(caps.networks ?? {}).flatMap(([network, n]) => {
    const mtu = Number(n.mtu);
    const south = n.southbound;
    if (south === undefined || !Number.isFinite(mtu)) return [];
    const bond = caps.bondings && Object.hasOwn(caps.bondings, south) ? caps.bondings[south] : undefined;
    const nics = bond ? bond.slaves : [south];
    return nics.flatMap((nic) => {
      const mfs = Number(Object.hasOwn(lldp, nic) ? lldpProperty(lldp[nic], 'MTU', 'mtu') : undefined);
      return Number.isFinite(mfs) && mfs > 0 ? [{ network, nic, bytes: mfs - (mtu + ETHERNET_OVERHEAD_BYTES) }] : [];
    });
  });
}

export class AgentMetrics implements StatusMetrics {
  readonly registry = new Registry();
  readonly apiWrites: Counter;
  private readonly statusWriteFailures: Counter;
  private readonly ifaceBytes: Gauge;
  private readonly ifaceRate: Gauge;
  private readonly ifaceErrors: Gauge;
  private readonly ifaceDropped: Gauge;
  private readonly bondSlaveUp: Gauge;
  private readonly southboundUp: Gauge;
  private readonly bondSwitches: Gauge;
  private readonly frameHeadroom: Gauge;
  private readonly applySeconds: Histogram;
  private readonly applies: Counter;
  private readonly rollbacks: Counter;
  private readonly lastApplySuccess: Gauge;
  private readonly statusLevel: Gauge;
  private readonly objectBytes: Gauge;

  constructor(node: string) {
    this.registry.setDefaultLabels({ node });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: string[] = []) =>
      new Counter({ name, help, labelNames, registers });
    const gauge = (name: string, help: string, labelNames: string[] = []) =>
      new Gauge({ name, help, labelNames, registers });
    const perInterface = ['interface', 'direction'];
    this.apiWrites = counter('ovnh_api_writes_total', 'Status patches written to the API server');
    this.statusWriteFailures = counter(
      'ovnh_status_write_failures_total',
      'Status patches that failed: refused (the API server answered 4xx), server_error (5xx), no_answer',
      ['reason'],
    );
    // Counters are exported as gauges: they come from the kernel, which may reset them.
    this.ifaceBytes = gauge('ovnh_interface_bytes', 'Bytes moved by an interface (kernel counter)', perInterface);
    this.ifaceRate = gauge(
      'ovnh_interface_rate_bytes_per_second',
      'Bytes per second over the last observation interval',
      perInterface,
    );
    this.ifaceErrors = gauge('ovnh_interface_errors', 'Interface errors (kernel counter)', perInterface);
    this.ifaceDropped = gauge('ovnh_interface_dropped', 'Interface drops (kernel counter)', perInterface);
    this.bondSlaveUp = gauge('ovnh_bond_slave_up', "1 when the bond slave's link is up, 0 when it is down", [
      'bond',
      'slave',
    ]);
    this.southboundUp = gauge(
      'ovnh_network_southbound_up',
      '1 when the southbound NIC or bond of a handler-owned network is up, 0 when it is down',
      ['network', 'southbound'],
    );
    this.bondSwitches = gauge(
      'ovnh_bond_lldp_switches',
      'Different switches (LLDP chassis IDs) the slaves of an 802.3ad bond hear; an aggregate needs one',
      ['bond'],
    );
    this.frameHeadroom = gauge(
      'ovnh_network_switch_frame_headroom_bytes',
      "The maximum frame size a NIC's switch announces (LLDP) minus the frame of the network's MTU " +
        `(MTU + ${ETHERNET_OVERHEAD_BYTES}); negative: the switch drops the network's largest frames`,
      ['network', 'nic'],
    );
    this.applySeconds = new Histogram({
      name: 'ovnh_apply_duration_seconds',
      help: 'Duration of applies (validate → persist, including verification)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.applies = counter('ovnh_applies_total', 'Applies by result', ['result']);
    this.rollbacks = counter('ovnh_rollbacks_total', 'Applies rolled back after failing or losing connectivity');
    this.lastApplySuccess = gauge('ovnh_last_apply_success', '1 when the last apply succeeded, 0 when it failed');
    // Every series of a fixed label set exists from the start at 0: Prometheus' increase() sees
    // nothing in a series' first sample, so a first rollback would otherwise raise no alert.
    for (const result of ['success', ...SETUP_FAILURE_REASONS]) this.applies.inc({ result }, 0);
    for (const reason of STATUS_WRITE_FAILURES) this.statusWriteFailures.inc({ reason }, 0);
    this.statusLevel = gauge(
      'ovnh_status_truncation_level',
      "How much the written status leaves out to fit the object's budget " +
        '(0: nothing; src/report/status-budget.ts TRUNCATION_ORDER)',
    );
    this.objectBytes = gauge(
      'ovnh_status_object_bytes',
      'Size of the object (metadata, spec, status) as of the last status write, estimated',
    );
  }

  recordStatusWrite(level: number, bytes: number): void {
    this.statusLevel.set(level);
    this.objectBytes.set(bytes);
  }

  recordSetup(r: SetupResult): void {
    this.applySeconds.observe(r.durationMs / 1000);
    this.applies.inc({ result: r.ok ? 'success' : r.reason });
    if (!r.ok && r.rolledBack) this.rollbacks.inc();
    this.lastApplySuccess.set(r.ok ? 1 : 0);
  }

  /** A status patch failed; `httpCode`: the API server's answer, undefined when there was none. */
  recordStatusWriteFailure(httpCode: number | undefined): void {
    this.statusWriteFailures.inc({ reason: statusWriteFailure(httpCode) });
  }

  recordObservation(obs: Observation): void {
    this.ifaceBytes.reset();
    this.ifaceRate.reset();
    this.ifaceErrors.reset();
    this.ifaceDropped.reset();
    for (const [iface, raw] of Object.entries(obs.statistics)) {
      const s = raw as StatsEntry;
      const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      const set = (g: Gauge, dir: string, v: number | undefined) =>
        v !== undefined && Number.isFinite(v) && g.set({ interface: iface, direction: dir }, v);
      set(this.ifaceBytes, 'rx', num(s.rx));
      set(this.ifaceBytes, 'tx', num(s.tx));
      set(this.ifaceRate, 'rx', s.rxRate);
      set(this.ifaceRate, 'tx', s.txRate);
      set(this.ifaceErrors, 'rx', num(s.rxErrors));
      set(this.ifaceErrors, 'tx', num(s.txErrors));
      set(this.ifaceDropped, 'rx', num(s.rxDropped));
      set(this.ifaceDropped, 'tx', num(s.txDropped));
    }
    // Reset first: a bond or network that is gone has no series (rather than a stale one).
    this.bondSlaveUp.reset();
    for (const s of bondSlaveStates(obs)) this.bondSlaveUp.set({ bond: s.bond, slave: s.slave }, s.up ? 1 : 0);
    this.southboundUp.reset();
    for (const s of southboundStates(obs))
      this.southboundUp.set({ network: s.network, southbound: s.southbound }, s.up ? 1 : 0);
    // Only when LLDP is on (an observation without lldp leaves the last read's series).
    if (obs.lldp === undefined) return;
    this.bondSwitches.reset();
    for (const b of lacpBondSwitches(obs)) this.bondSwitches.set({ bond: b.bond }, b.switches);
    this.frameHeadroom.reset();
    for (const h of switchFrameHeadroom(obs)) this.frameHeadroom.set({ network: h.network, nic: h.nic }, h.bytes);
  }
}
