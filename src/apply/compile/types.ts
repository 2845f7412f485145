// What a compiled transaction is made of, and what it keeps about NICs between transactions.
import type { Plan, Replace } from '../../plan/plan.js';
import type { Sysctls } from '../../model/layout.js';
import type { DhcpClientSpec } from '../../model/dhcp-clients.js';
import type { KernelOp, PlannedOp } from '../ops.js';
import type { CompileFacts } from './facts.js';
import type { RunningConfig } from '../../api/config.js';

export interface RouteSpec {
  family: 4 | 6;
  gateway?: string;
  dev: string;
  metric?: number;
  protocol?: string;
  table?: string;
}

/**
 * Default routes that are not the handler's are removed when a network takes the default route
 * and none held it, and given back when no network holds it any more. `owner` is the step that
 * does it: the one giving the route to (or taking it from) a network.
 */
export interface Handover {
  owner?: number;
  take?: RouteSpec[];
  giveBack?: RouteSpec[];
}

/** A NIC's state before the handler first took it, given back when the handler lets it go. */
export interface NicOrigin {
  mtu: number;
  hwaddr: string;
  up: boolean;
  sysctls?: Sysctls;
  /**
   * Static global addresses ("addr/prefix") it carried: a NIC given to a network carries only that network's
   * configuration (as in VDSM), and gets them back when released.
   */
  addresses?: string[];
  /**
   * Routes of the main table through it that are not the kernel's own (a service range via the
   * management gateway, say): the kernel drops them with the NIC's last address, so they come
   * back with the addresses, on release and on rollback.
   */
  routes?: OriginRoute[];
}

export interface OriginRoute {
  family: 4 | 6;
  dst: string;
  gateway?: string;
  metric?: number;
  protocol?: string;
}

export interface Origins {
  nics: Record<string, NicOrigin>;
  /** Default routes (not the handler's) removed when a network took the default route. */
  displacedDefault: RouteSpec[];
  /**
   * The route table of each source-routed network (tables.ts), by network name. Absent in a
   * state of the previous version: the kernel's tables are adopted then (context.ts).
   */
  routeTables?: Record<string, number>;
}

export function emptyOrigins(): Origins {
  return { nics: {}, displacedDefault: [] };
}

export interface CompileInput {
  from: RunningConfig;
  to: RunningConfig;
  /** Entities to replace although the configs agree (the kernel lacks devices of them: src/plan/drift.ts). */
  replace?: Replace;
  host: CompileFacts;
  origins: Origins;
  resolvConf: string;
}

export interface Compiled {
  ops: PlannedOp[];
  /** One line per plan step; PlannedOp.step indexes it (and `plan`). */
  units: string[];
  /** The steps the operations carry out: the config plan, then what the kernel lacks of the running config. */
  plan: Plan;
  /** Origins to persist with the new running config (NICs still used, routes still displaced). */
  originsAfter: Origins;
  /** Clients started by the transaction (the caller may wait for their leases). */
  dhcpStarted: DhcpClientSpec[];
}

/**
 * The order the kernel requires (see index.ts). Every operation names its phase; operations run
 * phase by phase, in step order within a phase (MTU changes also by layer).
 */
export const PHASES = [
  'dhcp-stop',
  // A device's QoS tree goes before the device does (a bond deleted, a NIC enslaved).
  'qos-del',
  'routes-del',
  'addrs-del',
  'bridges-del',
  'vlans-del',
  'bonds-down',
  'release',
  'bonds-reset',
  'bonds-del',
  'nics-restore',
  'mtu-down',
  'mtu-up',
  'bonds-add',
  'enslave',
  'vlans-add',
  'bridges-add',
  'files',
  'attach',
  // Before devices come up: a NIC carries traffic with its features as the spec has them.
  'nic-features',
  // After bonds exist, before devices come up: traffic is shaped from its first packet.
  'qos-add',
  'up',
  'addrs-add',
  'routes-add',
  'dhcp-start',
  'resolv',
] as const;
export type Phase = (typeof PHASES)[number];

/** One operation as a step's lowering emits it. */
export interface Emitted {
  phase: Phase;
  /** Order inside the phase (MTU: by device layer); 0 otherwise. */
  rank: number;
  op: KernelOp;
  undo: PlannedOp['undo'];
  bestEffort?: boolean;
}

/** Where a step's lowering puts its operations. */
export type Emit = (
  phase: Phase,
  op: KernelOp,
  undo: PlannedOp['undo'],
  opts?: { bestEffort?: boolean; rank?: number },
) => void;
