// Drift: what the kernel has of the handler's networks and bonds (kernelConfig, read back in spec
// vocabulary) against the running config, and the base a plan starts from so that applying the
// spec heals it. A plan from the running config alone assumes the kernel still holds it: after a
// hand-made change it removes what is gone (and fails) and never re-creates what is missing.
//   - an entity the kernel lacks devices of is replaced: what is left of it goes, then it is made;
//   - an entity the kernel has is planned from what the kernel has (kernelConfig's values), so a
//     lost address, route, slave or MTU is a step like any edit;
//   - except what a DHCP client holds (a lease may not have come yet: the client is the
//     configuration) and resolv.conf (a sync step of the compiler compares the file).
import type { BondConfig, NetworkConfig, RunningConfig } from '../api/config.js';
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

/** The fields in which two configs of one entity differ, for people. */
function differences(a: object, b: object): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const fmt = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
  return keys
    .filter((k) => !jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    .map((k) => `${k} ${fmt((a as Record<string, unknown>)[k])} in the running config, ${fmt((b as Record<string, unknown>)[k])} in the kernel`)
    .join('; ');
}

export function driftBase(running: RunningConfig, kernel: RunningConfig): DriftBase {
  const from: RunningConfig = { networks: {}, bondings: {} };
  const networks = new Set<string>();
  const bonds = new Set<string>();
  const drifted: string[] = [];
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
