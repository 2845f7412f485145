// capabilities: what the host has, in the seed's (VDSM network_caps) shape. Every nic, bond,
// bridge and vlan is reported; `networks` only lists the networks of the handler's running
// config that the kernel really has (VDSM skips missing ones as well).
import type { RunningConfig } from '../api/config.js';
import { bondOptionsFromSysfs } from '../model/bond-options.js';
import { nonDefaultBridgeOptions } from '../model/bridge-options.js';
import { bondSlaves, bridgePorts, isBond, isBridge, isNic, isVlan } from '../model/links.js';
import { deviceInfo } from './devices.js';
import { locateNetwork } from './networks.js';
import { qosClassOf } from './kernel-config.js';
import { reportedQos } from '../model/host-qos.js';
import type {
  BondInfo,
  BridgeInfo,
  Capabilities,
  HostState,
  Link,
  NetworkInfo,
  NicInfo,
  VlanInfo,
} from '../model/host-state.js';

export function nicInfo(host: HostState, l: Link): NicInfo {
  const info: NicInfo = { ...deviceInfo(host, l), hwaddr: l.hwaddr, speed: l.speed ?? 0 };
  if (l.bondSlave?.permHwaddr) info.permhwaddr = l.bondSlave.permHwaddr;
  const master = l.master ? host.links[l.master] : undefined;
  // The aggregator id means something in 802.3ad only (other modes show none).
  if (l.bondSlave?.aggregatorId && master && bondMode(master) === '4') info.ad_aggregator_id = l.bondSlave.aggregatorId;
  return info;
}

function bondMode(l: Link): string {
  return bondOptionsFromSysfs(l.bonding ?? {}).mode ?? '0';
}

export function bondInfo(host: HostState, l: Link): BondInfo {
  const raw = l.bonding ?? {};
  const opts = bondOptionsFromSysfs(raw);
  const info: BondInfo = {
    ...deviceInfo(host, l),
    hwaddr: l.hwaddr,
    slaves: bondSlaves(host, l),
    active_slave: raw.active_slave ?? '',
    opts,
    speed: l.speed ?? 0,
    switch: 'legacy',
  };
  if (opts.mode === '4') {
    if (raw.ad_aggregator) info.ad_aggregator_id = raw.ad_aggregator;
    if (raw.ad_partner_mac) info.ad_partner_mac = raw.ad_partner_mac;
  }
  return info;
}

/**
 * A bridge; `opts` are its non-default options only (the ~40 files of bridge/ made most of a
 * bridge's bytes, and its timers changed every read), as VDSM reports a bond's.
 */
export function bridgeInfo(host: HostState, l: Link): BridgeInfo {
  const raw = l.bridge ?? {};
  return {
    ...deviceInfo(host, l),
    ports: bridgePorts(host, l.name),
    stp: stpState(l),
    opts: nonDefaultBridgeOptions(raw),
  };
}

function stpState(bridge: Link): 'on' | 'off' {
  const s = bridge.bridge?.stp_state;
  return s !== undefined && s !== '0' ? 'on' : 'off';
}

export function vlanInfo(host: HostState, l: Link): VlanInfo {
  return { ...deviceInfo(host, l), iface: l.parent ?? '', vlanid: l.vlanId ?? 0 };
}

export function networkInfo(host: HostState, name: string, running: RunningConfig): NetworkInfo | undefined {
  const cfg = running.networks[name];
  if (!cfg) return undefined;
  const devs = locateNetwork(host, name, cfg);
  if (!devs) return undefined;
  const info: NetworkInfo = {
    ...deviceInfo(host, devs.top),
    iface: devs.top.name,
    bridged: devs.bridged,
    switch: 'legacy',
  };
  // As VDSM: the device right under the network, i.e. the VLAN device of a VLAN network.
  const under = devs.vlan ?? devs.southbound;
  if (under) info.southbound = under.name;
  if (devs.vlan?.vlanId !== undefined) info.vlanid = devs.vlan.vlanId;
  // As VDSM's netinfo/qos.py report_network_qos: {out: the class's curves}, zeros kept, ls / 8.
  const qos = devs.southbound && qosClassOf(host, devs.southbound.name, devs.vlan?.vlanId);
  if (qos) info.hostQos = reportedQos(qos.curves);
  if (devs.bridged) {
    info.ports = bridgePorts(host, devs.top.name);
    info.stp = stpState(devs.top);
  } else {
    info.interface = devs.top.name;
  }
  return info;
}

export function capabilities(host: HostState, running: RunningConfig): Capabilities {
  const caps: Capabilities = {
    nics: {},
    bondings: {},
    bridges: {},
    vlans: {},
    networks: {},
    nameservers: [...host.nameservers],
    supportsIPv6: host.supportsIPv6,
  };
  for (const l of Object.values(host.links)) {
    if (isNic(l)) caps.nics[l.name] = nicInfo(host, l);
    else if (isBond(l)) caps.bondings[l.name] = bondInfo(host, l);
    else if (isBridge(l)) caps.bridges[l.name] = bridgeInfo(host, l);
    else if (isVlan(l)) caps.vlans[l.name] = vlanInfo(host, l);
  }
  for (const name of Object.keys(running.networks).sort()) {
    const info = networkInfo(host, name, running);
    if (info) caps.networks[name] = info;
  }
  markDhcpClients(caps, running);
  return caps;
}

/**
 * dhcpv4/dhcpv6 as VDSM means them: a DHCP client is configured on the device — which holds
 * before a lease comes and without any server. The handler's clients are those of its running
 * config, on each DHCP network's top device; a lease on any device shows a client too.
 */
function markDhcpClients(caps: Capabilities, running: RunningConfig): void {
  const devices = [caps.nics, caps.bondings, caps.bridges, caps.vlans];
  for (const [name, n] of Object.entries(running.networks)) {
    const net = caps.networks[name];
    if (!net || (n.bootproto !== 'dhcp' && !n.dhcpv6)) continue;
    for (const info of [net, ...devices.map((d) => d[net.iface]).filter((x) => x !== undefined)]) {
      if (n.bootproto === 'dhcp') info.dhcpv4 = true;
      if (n.dhcpv6) info.dhcpv6 = true;
    }
  }
}
