// Random valid canonical configs for property tests (plan-properties, apply-lowering-properties):
// six NICs, three bonds, a bond the handler does not own, seven networks in every placement.
import fc from 'fast-check';
import type { BondConfig, NetworkConfig, RunningConfig } from '../../src/api/config.js';
import { bondMode, canonicalBondOptions, modeCarriesBridge } from '../../src/model/bond-options.js';
import { southboundOf } from '../../src/plan/plan.js';
import type { ValidationFacts } from '../../src/plan/validate.js';

export const NICS = ['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5'];
export const BONDS = ['bond0', 'bond1', 'bond2'];
/** A bond of the node that the handler does not own: networks may sit on it. */
export const FOREIGN_BOND = 'bond9';
export const NETS = ['net0', 'net1', 'net2', 'net3', 'net4', 'net5', 'net6'];
export const HOST: ValidationFacts = { nics: NICS, bonds: { [FOREIGN_BOND]: [] } };
export const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);

const rawNetwork = fc.record({
  southbound: fc.nat({ max: 20 }),
  vlan: fc.option(fc.constantFrom(0, 10, 20), { nil: undefined }),
  bridged: fc.boolean(),
  stp: fc.boolean(),
  bridgeOpts: fc.option(fc.constantFrom('forward_delay=0', 'forward_delay=0 hello_time=100'), { nil: undefined }),
  mtu: fc.constantFrom(1500, 1400, 9000),
  ipv4: fc.constantFrom('none', 'dhcp', 'static', 'static+gw'),
  host: fc.integer({ min: 2, max: 3 }),
  ipv6: fc.constantFrom('none', 'static', 'static+gw', 'dhcpv6', 'autoconf', 'both'),
  defaultRoute: fc.boolean(),
  nameservers: fc.constantFrom<string[]>([], ['10.0.0.53'], ['10.0.0.53', '2001:db8::53']),
});

export const rawConfig = fc.record({
  slaveOf: fc.array(fc.integer({ min: -1, max: BONDS.length - 1 }), { minLength: NICS.length, maxLength: NICS.length }),
  bondOptions: fc.array(fc.constantFrom('', 'mode=1 miimon=100', 'mode=4 miimon=100 lacp_rate=fast', 'mode=2 xmit_hash_policy=layer3+4', 'mode=1 fail_over_mac=1'), { minLength: BONDS.length, maxLength: BONDS.length }),
  bondHwaddr: fc.array(fc.option(fc.constantFrom('52:54:00:00:00:01', '52:54:00:00:00:02'), { nil: undefined }), { minLength: BONDS.length, maxLength: BONDS.length }),
  networks: fc.array(fc.option(rawNetwork, { nil: undefined }), { minLength: NETS.length, maxLength: NETS.length }),
});

/** Builds a valid canonical config from random choices, dropping whatever would conflict. */
export type RawConfig = typeof rawConfig extends fc.Arbitrary<infer T> ? T : never;

export function buildConfig(raw: RawConfig): RunningConfig {
  const bondings: Record<string, BondConfig> = {};
  BONDS.forEach((b, i) => {
    const nics = NICS.filter((_, n) => raw.slaveOf[n] === i);
    if (nics.length === 0) return;
    const bond: BondConfig = { nics, options: canonicalBondOptions(raw.bondOptions[i]), switch: 'legacy' };
    if (raw.bondHwaddr[i] !== undefined) bond.hwaddr = raw.bondHwaddr[i];
    bondings[b] = bond;
  });
  const freeNics = NICS.filter((_, n) => raw.slaveOf[n] === -1);
  const southbounds = [...freeNics, ...Object.keys(bondings), FOREIGN_BOND];

  const networks: Record<string, NetworkConfig> = {};
  const used = new Set<string>();
  let defaultTaken = false;
  NETS.forEach((name, idx) => {
    const r = raw.networks[idx];
    if (!r) return;
    // About a third of the networks are nicless (bridged only).
    const pick = r.southbound % Math.ceil(southbounds.length * 1.5);
    const sb = pick < southbounds.length ? southbounds[pick] : undefined;
    const n = { switch: 'legacy' } as NetworkConfig;
    if (sb !== undefined) {
      if (sb.startsWith('bond')) n.bonding = sb;
      else n.nic = sb;
    }
    if (sb !== undefined && r.vlan !== undefined) n.vlan = r.vlan;
    if (sb !== undefined && used.has(`${sb}/${n.vlan}`)) return;
    if (sb !== undefined) used.add(`${sb}/${n.vlan}`);
    n.bridged = sb === undefined ? true : r.bridged;
    n.stp = n.bridged && r.stp;
    // (With STP on, the kernel takes a forward delay of 2 to 30 s only.)
    if (n.bridged && r.bridgeOpts !== undefined) n.bridgeOpts = n.stp ? r.bridgeOpts.replace('forward_delay=0', 'forward_delay=400') : r.bridgeOpts;
    n.mtu = r.mtu;
    n.bootproto = r.ipv4 === 'dhcp' ? 'dhcp' : 'none';
    if (r.ipv4.startsWith('static')) {
      n.ipaddr = `10.${idx}.0.${r.host}`;
      n.netmask = '255.255.255.0';
      if (r.ipv4 === 'static+gw') n.gateway = `10.${idx}.0.1`;
    }
    n.defaultRoute = r.defaultRoute && !defaultTaken;
    defaultTaken ||= n.defaultRoute;
    if (r.ipv6.startsWith('static')) {
      n.ipv6addr = `2001:db8:${idx + 1}::${r.host}/64`;
      if (r.ipv6 === 'static+gw') n.ipv6gateway = `2001:db8:${idx + 1}::1`;
    }
    n.dhcpv6 = r.ipv6 === 'dhcpv6' || r.ipv6 === 'both';
    n.ipv6autoconf = r.ipv6 === 'autoconf' || r.ipv6 === 'both';
    n.nameservers = n.defaultRoute ? [...r.nameservers] : [];
    networks[name] = n;
  });
  // The oVirt engine's rules (validate.ts): a bond whose mode cannot carry a bridge (0, 5, 6; no
  // mode is 0) carries bridgeless networks only...
  for (const n of Object.values(networks)) {
    const bond = n.bonding === undefined ? undefined : bondings[n.bonding];
    if (!n.bridged || !bond || modeCarriesBridge(bondMode(bond.options) ?? 0)) continue;
    n.bridged = false;
    n.stp = false;
    delete n.bridgeOpts;
  }
  // ...and the networks on a device with an untagged network share its MTU (which also keeps a
  // VLAN from exceeding a bridgeless untagged network, its lower device).
  for (const n of Object.values(networks)) {
    if (n.vlan === undefined) continue;
    const lower = Object.values(networks).find((u) => u.vlan === undefined && southboundOf(u) === southboundOf(n));
    if (lower) n.mtu = lower.mtu;
  }
  return { networks, bondings };
}

export const validConfig = rawConfig.map(buildConfig);

/**
 * A running config and an edit of it: same slaves and network placement, other attributes
 * (bond options, MTU, addresses, default route, DNS, bridge settings) partly taken from a second
 * draw, so that in-place steps are exercised, not just replacements.
 */
export const editedPair = fc.tuple(rawConfig, rawConfig, fc.array(fc.boolean(), { minLength: NETS.length, maxLength: NETS.length }))
  .map(([a, b, mix]) => {
    const edited: RawConfig = {
      ...a,
      bondOptions: b.bondOptions,
      bondHwaddr: b.bondHwaddr,
      networks: a.networks.map((n, i) => {
        const o = b.networks[i];
        return n && o && mix[i] ? { ...o, southbound: n.southbound, vlan: n.vlan, bridged: n.bridged } : n;
      }),
    };
    return [buildConfig(a), buildConfig(edited)] as const;
  });

