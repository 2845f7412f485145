// Drift: what the kernel has of the handler's networks and bonds (kernelConfig, read back in spec
// vocabulary) against the running config, and the base a plan starts from so that applying the
// spec heals it. A plan from the running config alone assumes the kernel still holds it: after a
// hand-made change it removes what is gone (and fails) and never re-creates what is missing.
//   - an entity the kernel lacks devices of is replaced: what is left of it goes, then it is made;
//   - an entity the kernel has is planned from what the kernel has (kernelConfig's values), so a
//     lost address, route, slave or MTU is a step like any edit;
//   - except what a DHCP client holds (a lease may not have come yet: the client is the
//     configuration) and resolv.conf (a sync step of the compiler compares the file).
import type { BondConfig, NetworkConfig, NicConfig, RunningConfig } from '../api/config.js';
import { paramText, type ParamValue } from '../model/ethtool-params.js';
import { jsonEqual } from '../util/json-equal.js';
import type { Replace } from './plan.js';

export interface DriftBase extends Required<Replace> {
  /** The config the kernel holds, in the running config's terms: what a plan starts from. */
  from: RunningConfig;
  /** What differs, one line per entity ("network net1: ..."), sorted; empty when nothing drifted. */
  drifted: string[];
}

/** The network as the kernel has it, with what a DHCP client and resolv.conf own taken from the running config. */
function networkBase(running: NetworkConfig, kernel: NetworkConfig): NetworkConfig {
  const out: NetworkConfig = { ...kernel, nameservers: [...running.nameservers] };
  if (running.bootproto === 'dhcp') {
    delete out.ipaddr;
    delete out.netmask;
    delete out.gateway;
    out.bootproto = 'dhcp';
  }
  if (running.dhcpv6) {
    delete out.ipv6addr;
    delete out.ipv6gateway;
    out.dhcpv6 = true;
  }
  // The DHCPv4 client installs the default route (read back as IPv4's) with its lease.
  if (running.bootproto === 'dhcp') out.defaultRoute = running.defaultRoute;
  return out;
}

/** A field in which two configs of one entity differ, each side's value ("unset" when absent). */
export interface FieldDifference {
  field: string;
  a: string;
  b: string;
}

/** The fields in which two configs of one entity differ, sorted by name. */
export function fieldDifferences(a: object, b: object): FieldDifference[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const fmt = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
  const ra = a as Record<string, unknown>,
    rb = b as Record<string, unknown>;
  return keys.filter((k) => !jsonEqual(ra[k], rb[k])).map((k) => ({ field: k, a: fmt(ra[k]), b: fmt(rb[k]) }));
}

/** The fields in which two configs of one entity differ, for people. */
function differences(a: object, b: object): string {
  return fieldDifferences(a, b)
    .map((d) => `${d.field} ${d.a} in the running config, ${d.b} in the kernel`)
    .join('; ');
}

/**
 * A NIC's managed settings as the kernel has them (the plan sets back what was changed); one it
 * cannot read (the NIC is gone, or ethtool failed) is taken as running has it (there is nothing
 * to set it on) and reported.
 */
function nicsBase(running: RunningConfig, kernel: RunningConfig, from: RunningConfig, drifted: string[]): void {
  if (!running.nics) return;
  const nics: NonNullable<RunningConfig['nics']> = {};
  for (const [name, n] of Object.entries(running.nics)) {
    const k = kernel.nics && Object.hasOwn(kernel.nics, name) ? kernel.nics[name]!.ethtoolOpts : undefined;
    const opts: Record<string, Record<string, ParamValue>> = {};
    for (const part of ['features', 'rings', 'coalesce'] as const) {
      const want: Record<string, ParamValue> | undefined = n.ethtoolOpts[part];
      if (!want) continue;
      const got: Record<string, ParamValue> = k?.[part] ?? {};
      opts[part] = Object.fromEntries(Object.keys(want).map((f) => [f, Object.hasOwn(got, f) ? got[f]! : want[f]!]));
      const diffs = Object.keys(want)
        .filter((f) => got[f] !== want[f])
        .map((f) =>
          Object.hasOwn(got, f)
            ? `${f} ${paramText(want[f]!)} in the running config, ${paramText(got[f]!)} in the kernel`
            : `${f} unreadable in the kernel`,
        );
      if (diffs.length) drifted.push(`nic ${name}: ethtoolOpts.${part}: ${diffs.join(', ')}`);
    }
    nics[name] = { ethtoolOpts: opts as NicConfig['ethtoolOpts'] };
  }
  from.nics = nics;
}

export function driftBase(running: RunningConfig, kernel: RunningConfig): DriftBase {
  const drifted0: string[] = [];
  const from: RunningConfig = { networks: {}, bondings: {} };
  nicsBase(running, kernel, from, drifted0);
  const networks = new Set<string>();
  const bonds = new Set<string>();
  const drifted: string[] = drifted0;
  for (const [name, b] of Object.entries(running.bondings)) {
    const k: BondConfig | undefined = kernel.bondings[name];
    if (!k) {
      bonds.add(name);
      from.bondings[name] = b;
      drifted.push(`bond ${name}: missing from the kernel`);
      continue;
    }
    from.bondings[name] = k;
    if (!jsonEqual(k, b)) drifted.push(`bond ${name}: ${differences(b, k)}`);
  }
  for (const [name, n] of Object.entries(running.networks)) {
    const k: NetworkConfig | undefined = kernel.networks[name];
    const sb = n.bonding;
    if (!k || (sb !== undefined && bonds.has(sb))) {
      networks.add(name);
      from.networks[name] = n;
      drifted.push(`network ${name}: ${k ? `its bond ${sb} is missing` : 'its devices are missing'} from the kernel`);
      continue;
    }
    const base = networkBase(n, k);
    from.networks[name] = base;
    if (!jsonEqual(base, n)) drifted.push(`network ${name}: ${differences(n, base)}`);
  }
  return { from, networks, bonds, drifted: drifted.sort() };
}

/** Which DHCP clients the agent runs on a network (capabilities' dhcpv4/dhcpv6 marks). */
export interface DhcpClients {
  v4: boolean;
  v6: boolean;
}

/**
 * The base a plan starts from, as far as a node's status shows it (the kubectl plugin): the
 * status has kernelConfig but not the persisted running config, so what networkBase takes from
 * the running config — which DHCP clients run — comes from the marks capabilities carry. Not in
 * the status, so not here: a network or bond the kernel lost (absent from kernelConfig: planned
 * as new, where the agent replaces it) and a DHCP network's defaultRoute before its lease.
 */
export function baseFromStatus(kernel: RunningConfig, dhcp: (network: string) => DhcpClients): RunningConfig {
  const out: RunningConfig = {
    networks: {},
    bondings: { ...kernel.bondings },
    ...(kernel.nics ? { nics: { ...kernel.nics } } : {}),
  };
  for (const [name, k] of Object.entries(kernel.networks)) {
    const c = dhcp(name);
    const running: NetworkConfig = { ...k, bootproto: c.v4 ? 'dhcp' : k.bootproto, dhcpv6: c.v6 || k.dhcpv6 };
    out.networks[name] = networkBase(running, k);
  }
  return out;
}
