// Building devices (lower first): bonds with their mode, options and MAC, slaves enslaved, VLAN
// devices, bridges with their options, IPv6 sysctls, ports attached, devices up. The same
// builders give the undo of a deletion (teardown.ts), so a device comes back as it was made.
import { ip, type KernelOp } from '../ops.js';
import { BRIDGE_DEFAULTS, STP_TIMERS } from '../../model/bridge-options.js';
import { PORT_ONLY_SYSCTLS, type BondDev, type BridgeDev, type Sysctls, type VlanDev } from '../../model/layout.js';
import { sysctlPath, SYSCTL_KEYS } from './facts.js';
import { bondIpArgs, bondSysfsOnly } from '../../model/bond-options.js';
import { restoreAfterDown } from './addressing.js';
import { link, sysctlsBefore, sysctlsWanted, type Change } from './context.js';
import type { Emit } from './types.js';

export const writeOp = (path: string, value: string): KernelOp => ({ kind: 'write', path, value });
const bondOptionPath = (bond: string, key: string) => `/sys/class/net/${bond}/bonding/${key}`;
const bridgeOptionPath = (bridge: string, key: string) => `/sys/class/net/${bridge}/bridge/${key}`;
/** sysfs takes an empty value as a bare newline (clearing `primary`). */
export const bondSysfsOps = (bond: string, opts: Record<string, string>): KernelOp[] =>
  bondSysfsOnly(opts).map(([k, v]) => writeOp(bondOptionPath(bond, k), v === '' ? '\n' : v));

// ---- IPv6 sysctls ----

/**
 * IPv6 sysctls as they will read: "off" completed with the defaults of new devices (`dflt`,
 * conf/default); undefined when the kernel has no IPv6 (nothing to write).
 */
function resolveSysctls(s: Sysctls, dflt: Sysctls | undefined): Sysctls | undefined {
  if (!dflt) return undefined;
  if (s.disable_ipv6 === '1') return { accept_ra: dflt.accept_ra!, autoconf: dflt.autoconf!, disable_ipv6: '1' };
  return s;
}

/** The writes that take a device from `cur` to `want` (all of want when cur is unknown), in SYSCTL_KEYS order. */
function sysctlDelta(cur: Sysctls | undefined, want: Sysctls): Sysctls {
  const out: Sysctls = {};
  for (const k of SYSCTL_KEYS) if (want[k] !== undefined && (!cur || want[k] !== cur[k])) out[k] = want[k]!;
  return out;
}

function sysctlOps(dev: string, s: Sysctls): KernelOp[] {
  return SYSCTL_KEYS.filter((k) => s[k] !== undefined).map((k) => writeOp(sysctlPath(dev, k), s[k]!));
}

/** Writes for a device created now (it starts with conf/default). */
export function newDeviceSysctls(c: Change, dev: string, want: Sysctls): KernelOp[] {
  const d = c.host.sysctls.default;
  const r = resolveSysctls(want, d);
  return r ? sysctlOps(dev, sysctlDelta(d, r)) : [];
}

/** Writes that take an existing device from one setting to another. */
export function changeSysctls(c: Change, dev: string, cur: Sysctls | undefined, want: Sysctls): KernelOp[] {
  const d = c.host.sysctls.default;
  const w = resolveSysctls(want, d);
  if (!w) return [];
  // A config's "off" names one key: completed as a new device would read. The kernel's are whole.
  const whole = cur && SYSCTL_KEYS.every((k) => cur[k] !== undefined);
  return sysctlOps(dev, sysctlDelta(cur && (whole ? cur : (resolveSysctls(cur, d) ?? cur)), w));
}

/** A device's sysctls as the desired config wants them (new devices from conf/default, others from what they had). */
export function emitSysctls(c: Change, dev: string, emit: Emit): void {
  const want = sysctlsWanted(c, dev);
  if (!want) return;
  if (c.created.has(dev)) for (const op of newDeviceSysctls(c, dev, want)) emit('files', op, []);
  else for (const op of changeSysctls(c, dev, sysctlsBefore(c, dev), want)) emit('files', op, 'previous');
}

// ---- bonds ----

export function createBond(c: Change, name: string, b: BondDev, emit: Emit): void {
  emit('bonds-add', ip('link', 'add', 'name', name, 'mtu', b.mtu, 'type', 'bond', ...bondIpArgs(b.options)), [
    ip('link', 'del', 'dev', name),
  ]);
  for (const op of bondSysfsOps(name, b.options)) emit('files', op, []);
  if (b.hwaddr) emit('bonds-add', ip('link', 'set', 'dev', name, 'address', b.hwaddr), []);
  if (!c.toDevices.tops.has(name)) emitSysctls(c, name, emit);
  for (const nic of b.nics) enslave(c, name, nic, emit);
  emit('enslave', ip('link', 'set', 'dev', name, 'up'), [], { rank: BOND_UP_RANK });
}

/** In the enslave phase a bond comes up after every slave is in, then NIC southbounds come up. */
export const BOND_UP_RANK = 1;
export const NIC_UP_RANK = 2;

/** A slave goes down, then into the bond (which gives it its MTU and MAC); undone back to what it has now. */
export function enslave(c: Change, bond: string, nic: string, emit: Emit): void {
  const l = link(c, nic);
  emit(
    'enslave',
    ip('link', 'set', 'dev', nic, 'down'),
    l?.up && !c.released.has(nic) ? [ip('link', 'set', 'dev', nic, 'up')] : [],
  );
  const undo: KernelOp[] = [ip('link', 'set', 'dev', nic, 'nomaster')];
  if (l) {
    undo.push(ip('link', 'set', 'dev', nic, 'mtu', l.mtu));
    const mac = (l.permHwaddr ?? l.hwaddr).toLowerCase();
    if (mac) undo.push(ip('link', 'set', 'dev', nic, 'address', mac));
  }
  emit('enslave', ip('link', 'set', 'dev', nic, 'master', bond), undo);
}

/** A bond made again as the running config had it (the undo of deleting it). */
export function recreateBond(c: Change, name: string, b: BondDev): KernelOp[] {
  const l = link(c, name);
  const out: KernelOp[] = [
    ip('link', 'add', 'name', name, 'mtu', l?.mtu ?? b.mtu, 'type', 'bond', ...bondIpArgs(b.options)),
    ...bondSysfsOps(name, b.options),
  ];
  if (b.hwaddr) out.push(ip('link', 'set', 'dev', name, 'address', b.hwaddr));
  out.push(...newDeviceSysctls(c, name, sysctlsBefore(c, name) ?? PORT_ONLY_SYSCTLS));
  // The slaves it has now (a hand-made change may have released one).
  for (const nic of b.nics)
    if (link(c, nic)?.master === name)
      out.push(ip('link', 'set', 'dev', nic, 'down'), ip('link', 'set', 'dev', nic, 'master', name));
  if (l?.up ?? true) out.push(ip('link', 'set', 'dev', name, 'up'));
  return out;
}

// ---- VLAN devices and bridges ----

export function createVlan(c: Change, dev: string, v: VlanDev, emit: Emit): void {
  emit('vlans-add', ip('link', 'add', 'link', v.link, 'name', dev, 'mtu', v.mtu, 'type', 'vlan', 'id', v.id), [
    ip('link', 'del', 'dev', dev),
  ]);
  emitSysctls(c, dev, emit);
  emit('up', ip('link', 'set', 'dev', dev, 'up'), []);
}

export function recreateVlan(c: Change, dev: string, v: VlanDev): KernelOp[] {
  const l = link(c, dev);
  return [
    ip('link', 'add', 'link', v.link, 'name', dev, 'mtu', l?.mtu ?? v.mtu, 'type', 'vlan', 'id', v.id),
    ...newDeviceSysctls(c, dev, sysctlsBefore(c, dev) ?? PORT_ONLY_SYSCTLS),
    ...((l?.up ?? true) ? [ip('link', 'set', 'dev', dev, 'up')] : []),
  ];
}

export function createBridge(c: Change, name: string, b: BridgeDev, emit: Emit): void {
  emit('bridges-add', ip('link', 'add', 'name', name, 'mtu', b.mtu, 'type', 'bridge', 'stp_state', b.stp ? 1 : 0), [
    ip('link', 'del', 'dev', name),
  ]);
  for (const [k, v] of Object.entries(b.opts)) emit('files', writeOp(bridgeOptionPath(name, k), v), []);
  emitSysctls(c, name, emit);
  if (b.port) {
    emit('attach', ip('link', 'set', 'dev', b.port, 'master', name), [ip('link', 'set', 'dev', b.port, 'nomaster')]);
    // A bridge follows its ports' MTU until one is set on it (the MTU given at creation does
    // not count): set it, so a bond carrying a bigger VLAN MTU does not enlarge this network.
    emit('attach', ip('link', 'set', 'dev', name, 'mtu', b.mtu), []);
  }
  emit('up', ip('link', 'set', 'dev', name, 'up'), []);
}

export function recreateBridge(c: Change, name: string, b: BridgeDev): KernelOp[] {
  const l = link(c, name);
  const out: KernelOp[] = [
    ip('link', 'add', 'name', name, 'mtu', l?.mtu ?? b.mtu, 'type', 'bridge', 'stp_state', b.stp ? 1 : 0),
  ];
  // A bridge without ports comes back with a new random MAC: setting the old one would leave
  // it without carrier (the kernel keeps a portless bridge with a user-set address down).
  for (const [k, v] of Object.entries(b.opts)) out.push(writeOp(bridgeOptionPath(name, k), v));
  out.push(...newDeviceSysctls(c, name, sysctlsBefore(c, name) ?? PORT_ONLY_SYSCTLS));
  // Its port as the kernel has it now (a hand-made change may have taken it), and its MTU set
  // again once the port is in, as createBridge does (a bridge follows its ports' MTU until one is set).
  if (b.port && link(c, b.port)?.master === name)
    out.push(ip('link', 'set', 'dev', b.port, 'master', name), ip('link', 'set', 'dev', name, 'mtu', l?.mtu ?? b.mtu));
  if (l?.up ?? true) out.push(ip('link', 'set', 'dev', name, 'up'));
  return out;
}

/** STP and bridge options of a bridge that stays. */
export function changeBridge(c: Change, name: string, emit: Emit): void {
  const f = c.fromDevices.bridges.get(name)!;
  const b = c.toDevices.bridges.get(name)!;
  if (f.stp !== b.stp) {
    // Turning STP off leaves a port that is still listening/learning blocked until its
    // forward-delay timers run out (up to 30 s): it is put to forwarding right away.
    const forward = (port: string | undefined): KernelOp[] =>
      port ? [ip('link', 'set', 'dev', port, 'type', 'bridge_slave', 'state', 3)] : [];
    // Turning STP on clamps the forward delay into 2..30 s: its undo writes back one outside that.
    const fd = f.opts.forward_delay ?? BRIDGE_DEFAULTS.forward_delay!;
    const { min, max } = STP_TIMERS.forward_delay!;
    const clamped =
      b.stp && (Number(fd) < min || Number(fd) > max) ? [writeOp(bridgeOptionPath(name, 'forward_delay'), fd)] : [];
    emit('bridges-add', ip('link', 'set', 'dev', name, 'type', 'bridge', 'stp_state', b.stp ? 1 : 0), [
      ip('link', 'set', 'dev', name, 'type', 'bridge', 'stp_state', f.stp ? 1 : 0),
      ...clamped,
      ...(f.stp ? [] : forward(b.port)),
    ]);
    if (!b.stp) for (const op of forward(b.port)) emit('bridges-add', op, []);
  }
  for (const k of new Set([...Object.keys(f.opts), ...Object.keys(b.opts)])) {
    const want = b.opts[k] ?? BRIDGE_DEFAULTS[k];
    if (want === undefined || want === f.opts[k]) continue;
    emit('files', writeOp(bridgeOptionPath(name, k), want), 'previous');
  }
}

/** Options of a bond that stays: some only while it is down, some (mode) only without slaves. */
export function changeBondOptions(c: Change, name: string, emit: Emit): void {
  const ch = c.bondChanges.get(name)!;
  const cycle = ch.needsDown || ch.needsRelease;
  if (cycle) {
    // Down takes the bond's IPv6 addresses and routes (when it carries a network): the ones both
    // sides have come back after it is up again, and with the undo of the down. (What only one
    // side has is the steps' own work: removed before the down, added after the up.)
    const kept = restoreAfterDown(c, name);
    emit('bonds-down', ip('link', 'set', 'dev', name, 'down'), [
      ip('link', 'set', 'dev', name, 'up'),
      ...kept.addrs,
      ...kept.routes,
    ]);
    for (const op of kept.addrs) emit('addrs-add', op, []);
    for (const op of kept.routes) emit('routes-add', op, []);
  }
  // Options the new mode does not support go back to their defaults while the old mode still
  // does: after the bond is down and its slaves are out (bonds-reset follows release), as some of
  // them (lacp_rate, fail_over_mac) are only accepted then.
  const preIp = bondIpArgs(ch.pre.set);
  if (preIp.length)
    emit('bonds-reset', ip('link', 'set', 'dev', name, 'type', 'bond', ...preIp), [
      ip('link', 'set', 'dev', name, 'type', 'bond', ...bondIpArgs(ch.pre.old)),
    ]);
  for (const op of bondSysfsOps(name, ch.pre.set)) emit('bonds-reset', op, 'previous');
  if (Object.keys(ch.main.set).length) {
    const ipSet = bondIpArgs(ch.main.set);
    // Back: first what the old mode would refuse, then the old mode and values.
    const undo: KernelOp[] = [];
    if (Object.keys(ch.undoPre).length)
      undo.push(ip('link', 'set', 'dev', name, 'type', 'bond', ...bondIpArgs(ch.undoPre)));
    const ipOld = bondIpArgs(ch.main.old);
    if (ipOld.length) undo.push(ip('link', 'set', 'dev', name, 'type', 'bond', ...ipOld));
    if (ipSet.length) emit('bonds-add', ip('link', 'set', 'dev', name, 'type', 'bond', ...ipSet), undo);
    for (const op of bondSysfsOps(name, ch.main.set)) emit('files', op, 'previous');
  }
  if (cycle)
    emit('enslave', ip('link', 'set', 'dev', name, 'up'), [ip('link', 'set', 'dev', name, 'down')], {
      rank: BOND_UP_RANK,
    });
}

/** The bond's own MAC, when the desired config names one the kernel does not have. */
export function setBondHwaddr(c: Change, name: string, emit: Emit): void {
  const want = c.toDevices.bonds.get(name)?.hwaddr;
  const cur = link(c, name)?.hwaddr.toLowerCase();
  if (want && want !== cur)
    emit(
      'bonds-add',
      ip('link', 'set', 'dev', name, 'address', want),
      cur ? [ip('link', 'set', 'dev', name, 'address', cur)] : [],
    );
}
