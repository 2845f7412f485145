// kernelConfig: the handler-owned networks and bonds (the names in its running config) read
// back from the kernel in spec vocabulary (src/api/config.ts, every default filled in), so that
// `deepEqual(kernelConfig(host, running), canonical spec)` holds exactly when nothing drifted.
// Only the names come from the running config; every value comes from the kernel. A network or
// bond the kernel lacks is left out, which is itself visible drift.
import type { BondConfig, NetworkConfig, NicConfig, RunningConfig } from '../api/config.js';
import { requestedFeatures } from '../model/ethtool.js';
import { currentParams } from '../model/ethtool-params.js';
import { classMinor, configQos, type QosClass } from '../model/host-qos.js';
import {
  bondOptionName,
  formatBondOptions,
  nonDefaultBondOptions,
  numericBondValue,
  optionPairs,
} from '../model/bond-options.js';
import { prefixToNetmask } from '../util/ip.js';
import { parseKv, sameOptionValue } from '../util/kv.js';
import { bondSlaves, isBond } from '../model/links.js';
import { defaultGateway, holdsDefaultRoute, ipv6Addresses, ipv6Autoconf, usesDhcpv4, usesDhcpv6 } from './devices.js';
import { locateNetwork } from './networks.js';
import type { HostState, Link } from '../model/host-state.js';
import { SYS_CLASS_NET } from '../api/constants.js';

/**
 * The options of a bond as kernelConfig reports them, so that they compare with the canonical
 * spec whichever way the spec was canonicalized: the non-default options (VDSM), plus every
 * option the configured string names, with the kernel's current value (spelled as configured
 * when it is the same value). An option the config names but the kernel does not show (not
 * applicable to the mode, unset) is left out, so the difference stays visible.
 */
export function bondOptionsForConfig(raw: Readonly<Record<string, string>>, configured: string): string {
  const out = nonDefaultBondOptions(raw);
  const wanted: Record<string, string> = {};
  for (const [k, v] of optionPairs(configured)) wanted[bondOptionName(k)] = v;
  for (const [k, want] of Object.entries(wanted)) {
    if (k in out) {
      if (sameOptionValue(out[k]!, numericBondValue(k, want))) out[k] = want;
      continue;
    }
    const rawValue = raw[k];
    if (rawValue === undefined || rawValue.trim() === '') continue;
    const v = numericBondValue(k, rawValue);
    out[k] = sameOptionValue(v, numericBondValue(k, want)) ? want : v;
  }
  return formatBondOptions(out);
}

/**
 * The bridge options the config names, with the values the kernel has now (sorted "k=v"),
 * spelled as configured when the value is the same ("0x0" vs "0"). A named option the kernel
 * lacks is left out.
 */
function readBridgeOpts(bridge: Link, wanted: string): string {
  const want = new Map(Object.entries(parseKv(wanted)));
  const out: string[] = [];
  for (const k of [...want.keys()].sort()) {
    const v = bridge.bridge?.[k];
    if (v === undefined) continue;
    out.push(`${k}=${sameOptionValue(v, want.get(k)!) ? want.get(k)! : v}`);
  }
  return out.join(' ');
}

/**
 * The per-device files kernelConfig(host, cfg) reads beyond the link, route and bond dumps:
 * each bridged network's stp_state and the bridge options its config names (a transaction's
 * read asks for these only: host.ts observeForTransaction).
 */
export function kernelConfigFiles(cfg: RunningConfig): string[] {
  return Object.entries(cfg.networks)
    .filter(([, n]) => n.bridged)
    .flatMap(([name, n]) =>
      ['stp_state', ...Object.keys(parseKv(n.bridgeOpts ?? ''))].map((k) => `${SYS_CLASS_NET}/${name}/bridge/${k}`),
    );
}

/**
 * A source-routed network's gateway as the kernel has it: the default route through its top
 * device in the network's own table (allocated: apply/compile/tables.ts), counted only with the
 * rule that sends the network's address there (when the read has rules). A route in any other
 * table is not this network's: another network's table, or a hand-made one.
 */
function tableGateway(host: HostState, dev: string, family: 4 | 6, table: number, addr: string): string | undefined {
  const t = String(table);
  const r = host.routes.find(
    (x) => x.family === family && x.dst === 'default' && x.dev === dev && x.table === t && x.gateway !== undefined,
  );
  if (!r) return undefined;
  const src = `${addr}/${family === 4 ? 32 : 128}`;
  if (host.rules && !host.rules.some((x) => x.family === family && x.src === src && x.table === t)) return undefined;
  return r.gateway;
}

/**
 * `table`: the network's allocated route table, when it has one recorded: its gateway is then
 * read from that table only (and the main table, for a route put there by hand). Without one
 * (a state of the previous version) the gateway is the one of any table.
 */
export function networkKernelConfig(
  host: HostState,
  name: string,
  cfg: NetworkConfig,
  table?: number,
): NetworkConfig | undefined {
  const devs = locateNetwork(host, name, cfg);
  if (!devs) return undefined;
  const top = devs.top;
  const clients = new Set(host.dhcpClients ?? []);
  const dhcp = usesDhcpv4(top) || clients.has(`${top.name}/4`);
  const defaultRoute = holdsDefaultRoute(host, top.name);
  const out: NetworkConfig = {
    bridged: devs.bridged,
    stp: devs.bridged && top.bridge?.stp_state !== undefined && top.bridge.stp_state !== '0',
    mtu: top.mtu,
    bootproto: dhcp ? 'dhcp' : 'none',
    defaultRoute,
    dhcpv6: usesDhcpv6(top) || clients.has(`${top.name}/6`),
    ipv6autoconf: ipv6Autoconf(top),
    // Mirrors the canonical spec's rule: a static default-route network carries the host's
    // resolvers; a DHCP network's come from its server, not from the spec; and a network whose
    // config names none (nameservers: []) leaves resolv.conf to others, so the file is not its.
    nameservers: defaultRoute && !dhcp && cfg.nameservers.length ? [...host.nameservers] : [],
    switch: 'legacy',
  };
  if (devs.southbound) {
    if (isBond(devs.southbound)) out.bonding = devs.southbound.name;
    else out.nic = devs.southbound.name;
  }
  if (devs.vlan?.vlanId !== undefined) out.vlan = devs.vlan.vlanId;
  const qos = devs.southbound && qosClassOf(host, devs.southbound.name, devs.vlan?.vlanId);
  if (qos) out.hostQos = configQos(qos.curves);
  if (devs.bridged && cfg.bridgeOpts !== undefined) out.bridgeOpts = readBridgeOpts(top, cfg.bridgeOpts);
  if (!dhcp) {
    // Static configuration: permanent addresses only (a leftover lease is not configuration).
    const addr = top.addresses.find((a) => a.family === 'inet' && !a.secondary && !a.dynamic);
    if (addr) {
      out.ipaddr = addr.local;
      out.netmask = prefixToNetmask(addr.prefixlen);
      const gw =
        table === undefined
          ? defaultGateway(host, top.name, 4)
          : (mainGateway(host, top.name, 4) ?? tableGateway(host, top.name, 4, table, addr.local));
      if (gw) out.gateway = gw;
    }
  }
  if (!out.dhcpv6) {
    const addr6 = ipv6Addresses(top).find((a) => !a.dynamic);
    if (addr6) {
      out.ipv6addr = `${addr6.local}/${addr6.prefixlen}`;
      const gw6 =
        table === undefined
          ? defaultGateway(host, top.name, 6, { excludeRa: true })
          : (mainGateway(host, top.name, 6) ?? tableGateway(host, top.name, 6, table, addr6.local));
      if (gw6) out.ipv6gateway = gw6;
    }
  }
  return out;
}

/**
 * The QoS class of a network (by its southbound and VLAN tag) as the host read found it, when
 * the whole of it is there: its curves, its leaf and its filter. A class missing any of them
 * does not count (kernelConfig leaves hostQos out: drift, healed by rebuilding the class).
 */
export function qosClassOf(host: HostState, southbound: string, vlan: number | undefined): QosClass | undefined {
  const tree = host.qos && Object.hasOwn(host.qos, southbound) ? host.qos[southbound] : undefined;
  if (tree?.kind !== 'hfsc') return undefined;
  const c = tree.classes[classMinor(vlan)];
  return c && c.leaf && c.filter && Object.keys(c.curves).length ? c : undefined;
}

export function bondKernelConfig(host: HostState, name: string, cfg: BondConfig): BondConfig | undefined {
  const l = host.links[name];
  if (!l || !isBond(l)) return undefined;
  const out: BondConfig = {
    nics: bondSlaves(host, l),
    options: bondOptionsForConfig(l.bonding ?? {}, cfg.options),
    switch: 'legacy',
  };
  // VDSM reports hwaddr only when the config sets one (the bond's own address is otherwise
  // inherited from a slave and would show as drift).
  if (cfg.hwaddr !== undefined) out.hwaddr = l.hwaddr;
  return out;
}

/** A gateway of the main table through the device (not learnt from a router advertisement). */
function mainGateway(host: HostState, dev: string, family: 4 | 6): string | undefined {
  return host.routes.find(
    (r) =>
      r.family === family &&
      r.dst === 'default' &&
      r.dev === dev &&
      r.table === 'main' &&
      r.gateway !== undefined &&
      r.protocol !== 'ra',
  )?.gateway;
}

/**
 * `routeTables`: the allocated table of each source-routed network (origins.json), so that a
 * gateway reads back only from its own table; a network without one reads as before.
 */
export function kernelConfig(
  host: HostState,
  running: RunningConfig,
  routeTables: Readonly<Record<string, number>> = {},
): RunningConfig {
  const out: RunningConfig = { networks: {}, bondings: {} };
  for (const name of Object.keys(running.networks).sort()) {
    const n = networkKernelConfig(
      host,
      name,
      running.networks[name]!,
      Object.hasOwn(routeTables, name) ? routeTables[name] : undefined,
    );
    if (n) out.networks[name] = n;
  }
  for (const name of Object.keys(running.bondings).sort()) {
    const b = bondKernelConfig(host, name, running.bondings[name]!);
    if (b) out.bondings[name] = b;
  }
  const nics = nicsKernelConfig(host, running);
  if (nics) out.nics = nics;
  return out;
}

/**
 * The managed ethtool settings of the running config's NICs as the kernel has them (features:
 * the values requested of it; rings and coalescing: the current values; HostState.ethtool); a
 * name the read lacks is left out, a NIC with none left is, and `nics` altogether when no NIC is
 * (as in the running config).
 */
export function nicsKernelConfig(host: HostState, running: RunningConfig): Record<string, NicConfig> | undefined {
  const out: Record<string, NicConfig> = {};
  for (const nic of Object.keys(running.nics ?? {}).sort()) {
    const read = host.ethtool && Object.hasOwn(host.ethtool, nic) ? host.ethtool[nic] : undefined;
    const want = running.nics![nic]!.ethtoolOpts;
    const opts: NicConfig['ethtoolOpts'] = { features: requestedFeatures(read, Object.keys(want.features)) };
    for (const g of ['rings', 'coalesce'] as const) {
      const part = read && !('error' in read) ? read[g] : undefined;
      const got = currentParams(part, Object.keys(want[g] ?? {}));
      if (Object.keys(got).length) (opts as Record<string, unknown>)[g] = got;
    }
    if (Object.keys(opts.features).length || opts.rings || opts.coalesce) out[nic] = { ethtoolOpts: opts };
  }
  return Object.keys(out).length ? out : undefined;
}
