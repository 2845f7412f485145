// The kernel work of a transaction from one RunningConfig to another (pure). The plan
// (src/plan/plan.ts) is the one diff of the two configs; each of its steps lowers to kernel
// operations with their undo (lower.ts), and what the kernel lacks of the running config with
// no config change behind it becomes sync steps. The operations then run in the phases the
// kernel requires (types.ts PHASES), step order kept within a phase:
//
//   teardown (upper first)  DHCP clients stop, routes and addresses go, bridges and VLAN devices
//                           go, bonds go down for options, slaves are released, bonds go, NICs
//                           the handler lets go of get their MAC/MTU/state back
//   MTU                     decreases upper→lower, then increases lower→upper
//   build (lower first)     bonds (mode at creation, options, MAC), slaves (down, then enslaved),
//                           VLAN devices, bridges, then sysctls and bridge options (one group of
//                           file writes), ports attached, devices up
//   addressing              addresses, routes (default, per-network source routing), DHCP
//                           clients, resolv.conf
//
// Consecutive device deletions then become one group delete (group-delete.ts).
//
// The undo of an operation is computed from the configs and the host read before the
// transaction, so it holds across a crash (it is journalled before the operation runs).
import { describeStep, plan as planSteps, type Plan, type Step } from '../../plan/plan.js';
import type { DhcpClientSpec } from '../../model/dhcp-clients.js';
import type { PlannedOp } from '../ops.js';
import { IFNAME_MAX } from '../../api/constants.js';
import { defaultRouteHandover, lostRoutes, resolversWanted, routeText, rulesOf } from './addressing.js';
import { groupDeletes } from './group-delete.js';
import { changeOf, indexSteps, link, nicNeedsUp, stepOf, type Change, type ChangeBase } from './context.js';
import { lowerStep } from './lower.js';
import { mtuChange } from './mtu.js';
import { PHASES, type CompileInput, type Compiled, type Emitted, type Origins } from './types.js';

export {
  emptyOrigins,
  type CompileInput,
  type Compiled,
  type NicOrigin,
  type OriginRoute,
  type Origins,
  type RouteSpec,
} from './types.js';
export { RULE_PRIORITY, routeArgs } from './addressing.js';
export { allocateRouteTables, legacyRouteTable, sourceRouted, TABLE_BASE } from './tables.js';
export { bondOptionChange, type BondOptionChange } from '../../model/bond-options.js';

/** The networks whose kept routes the kernel lacks (addressing.ts lostRoutes). */
function syncRouteSteps(c: ChangeBase): Step[] {
  const out: Step[] = [];
  for (const [dev, t] of c.toDevices.tops) {
    const lost = lostRoutes(c, dev);
    if (lost.length) out.push({ kind: 'syncRoutes', network: t.network, routes: lost.map(routeText) });
  }
  return out;
}

/**
 * What the kernel lacks of the running config that no step of the config plan touches: a link's
 * MTU, up state or MAC, a network's routes, resolv.conf's resolvers. (A device the kernel lacks
 * altogether shows in the kernel's config read back, and is a config step there.)
 */
export function syncSteps(c: ChangeBase): Step[] {
  const out: Step[] = [];
  const devices = new Set([
    ...c.toDevices.bridges.keys(),
    ...c.toDevices.vlans.keys(),
    ...c.toDevices.bonds.keys(),
    ...c.toDevices.nics.keys(),
    ...c.toDevices.foreignSouthbounds.keys(),
  ]);
  for (const dev of devices) {
    if (c.created.has(dev)) continue;
    const s: Extract<Step, { kind: 'syncLink' }> = { kind: 'syncLink', device: dev };
    const mtu = mtuChange(c, dev);
    const network = c.toDevices.bridges.get(dev)?.network ?? c.toDevices.vlans.get(dev)?.network;
    const mtuStep = network !== undefined ? `setNetworkMtu/${network}` : `setMtu/${dev}`;
    if (mtu && stepOf(c, mtuStep) === undefined) s.mtu = { from: mtu[0], to: mtu[1] };
    const l = link(c, dev);
    const nic = c.toDevices.nics.get(dev);
    if (nic && nic.slaveOf === undefined) {
      if (nicNeedsUp(c.host, c.released, dev) && !c.nicUp.has(dev)) s.up = true;
    } else if (c.toDevices.bonds.has(dev)) {
      const ch = c.bondChanges.get(dev);
      const cycled = ch && (ch.needsDown || ch.needsRelease) && stepOf(c, `setBondOptions/${dev}`) !== undefined;
      if (l && !l.up && !cycled) s.up = true;
      const want = c.toDevices.bonds.get(dev)!.hwaddr;
      if (want && l && want !== l.hwaddr.toLowerCase() && stepOf(c, `setBondHwaddr/${dev}`) === undefined)
        s.hwaddr = { from: l.hwaddr.toLowerCase(), to: want };
    } else if (c.toDevices.bridges.has(dev) && l && !l.up) {
      s.up = true;
    }
    if (s.mtu || s.up || s.hwaddr) out.push(s);
  }
  out.push(...syncRouteSteps(c));
  const r = resolversWanted(c);
  if (
    r &&
    stepOf(c, `setNameservers/${r.network}`) === undefined &&
    stepOf(c, `addNetwork/${r.network}`) === undefined
  ) {
    out.push({ kind: 'syncResolvers', network: r.network, from: r.from, to: r.to });
  }
  return out;
}

export function compile(input: CompileInput): Compiled {
  const configPlan: Plan = planSteps(input.to, input.from, input.replace);
  const base = changeOf({ ...input, plan: configPlan });
  for (const dev of [
    ...base.toDevices.bridges.keys(),
    ...base.toDevices.vlans.keys(),
    ...base.toDevices.bonds.keys(),
  ]) {
    if (dev.length > IFNAME_MAX) throw new Error(`device name ${dev} is longer than ${IFNAME_MAX} characters`);
  }
  const plan = [...configPlan, ...syncSteps(base)];
  const planned = { ...base, plan, stepIndex: indexSteps(plan) };
  const c: Change = {
    ...planned,
    rules: { from: rulesOf(base.fromDevices, base.tables.from), to: rulesOf(base.toDevices, base.tables.to) },
    handover: defaultRouteHandover(planned),
  };

  const emitted: (Emitted & { step: number; seq: number })[] = [];
  const started: DhcpClientSpec[] = [];
  plan.forEach((s, index) => {
    lowerStep(s, {
      c,
      index,
      started,
      emit: (phase, op, undo, opts) =>
        emitted.push({
          phase,
          rank: opts?.rank ?? 0,
          op,
          undo,
          step: index,
          seq: emitted.length,
          ...(opts?.bestEffort ? { bestEffort: true } : {}),
        }),
    });
  });
  const phaseOf = new Map<string, number>(PHASES.map((p, i) => [p, i]));
  emitted.sort((a, b) => phaseOf.get(a.phase)! - phaseOf.get(b.phase)! || a.rank - b.rank || a.seq - b.seq);
  const ops: PlannedOp[] = groupDeletes(
    emitted.map((e) => ({ op: e.op, undo: e.undo, step: e.step, ...(e.bestEffort ? { bestEffort: true } : {}) })),
    c.host,
  );

  const h = c.handover;
  const displaced = h.take ?? (h.giveBack ? [] : c.origins.displacedDefault);
  const originsAfter: Origins = { nics: {}, displacedDefault: [...displaced] };
  // A removed network's table is freed: only the desired side's are recorded.
  if (Object.keys(c.tables.to).length) originsAfter.routeTables = { ...c.tables.to };
  for (const nic of c.toDevices.nics.keys()) if (c.origins.nics[nic]) originsAfter.nics[nic] = c.origins.nics[nic]!;
  return { ops, units: plan.map(describeStep), plan, originsAfter, dhcpStarted: started };
}
