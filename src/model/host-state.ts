// Shapes of what the observer reads (HostState, close to the kernel) and of what it reports
// (capabilities and statistics, the seed's `state:` field names and value types, so existing
// consumers of the 2017 handler read them unchanged). kernelConfig uses src/api/config.ts.
import type { EthtoolRead } from './ethtool.js';
import type { QosTree } from './host-qos.js';

/** 64-bit kernel counters; bigint because they exceed Number.MAX_SAFE_INTEGER. */
export interface LinkCounters {
  rxBytes: bigint;
  txBytes: bigint;
  rxDropped: bigint;
  txDropped: bigint;
  rxErrors: bigint;
  txErrors: bigint;
}

export interface Address {
  family: 'inet' | 'inet6';
  /** The address itself, as `ip` prints it (IPv6 already in compressed form). */
  local: string;
  prefixlen: number;
  /** global | link | host | site ... */
  scope: string;
  /** Finite lifetime: leased by DHCP or learnt from a router advertisement. */
  dynamic: boolean;
  /** A secondary IPv4 address (not the primary of its subnet). */
  secondary: boolean;
}

export interface Route {
  family: 4 | 6;
  /** `default` or a prefix. */
  dst: string;
  gateway?: string;
  dev?: string;
  /** `main` when `ip` omits it. */
  table: string;
  /** unicast | local | broadcast | multicast | unreachable ... */
  type: string;
  protocol?: string;
  metric?: number;
}

/** A policy routing rule (`ip rule`), as far as the handler reads them. */
export interface PolicyRule {
  family: 4 | 6;
  priority: number;
  /** `all`, or a prefix ("addr/len", the length always given). */
  src: string;
  /** As `ip` names it: `main`, `local`, `default`, an rt_tables name, or a number. */
  table: string;
}

/** One network device, merged from the link dump, the address dump and the sysfs dump. */
export interface Link {
  name: string;
  index: number;
  /**
   * rtnetlink kind (`bridge`, `bond`, `vlan`, `veth`, `dummy`, ...); '' for drivers without one (physical NICs, lo).
   */
  kind: string;
  /** Kind of the master it is enslaved to (`bond`, `bridge`), if any. */
  slaveKind?: string;
  linkType: string;
  flags: string[];
  /** Lowercased operstate: up, down, unknown, lowerlayerdown ... */
  operstate: string;
  mtu: number;
  hwaddr: string;
  master?: string;
  /** The link group as `ip` names it (a number, or a name from /etc/iproute2/group); absent for group 0 ("default"). */
  group?: string;
  /** The lower device of a vlan/macvlan (by name, when in the same namespace). */
  parent?: string;
  vlanId?: number;
  /**
   * Has a /sys/class/net/<name>/device link: real hardware or virtio. Read as "not listed in
   * /sys/devices/virtual/net", where the kernel puts every device without a parent device.
   */
  hasDevice: boolean;
  /** Mb/s from sysfs; undefined when the driver does not know (link down, virtual device). */
  speed?: number;
  counters: LinkCounters;
  addresses: Address[];
  /** Raw /sys/class/net/<bond>/bonding/* values (e.g. mode: "802.3ad 4"). */
  bonding?: Record<string, string>;
  /** Raw /sys/class/net/<br>/bridge/* values. */
  bridge?: Record<string, string>;
  /** From /proc/net/bonding/<master> (or the slave's rtnetlink data) when enslaved to a bond. */
  bondSlave?: { permHwaddr?: string; aggregatorId?: string };
  ipv6?: { autoconf: boolean; acceptRa: number; disabled: boolean };
}

/**
 * The node's network state as one read found it (src/observe/host.ts, the only reader). What
 * each consumer needs is a pure projection of it: validation (model/host-facts.ts), the
 * compiler (apply/compile/facts.ts), status (capabilities, kernelConfig, statistics).
 */
export interface HostState {
  /** By name, in ifindex order. */
  links: Record<string, Link>;
  /** Default routes of every table; every route of every table when read with `routes: 'all'`. */
  routes: Route[];
  /** The policy rules of both families: read by a transaction's read only (observeForTransaction). */
  rules?: PolicyRule[];
  /** resolv.conf nameservers, in file order (the nameserver lines of `resolv`). */
  nameservers: string[];
  /** The resolv.conf read, line by line as grep printed it; undefined when missing, unreadable or empty. */
  resolv?: string;
  /**
   * Raw /proc/sys/net/ipv6/conf/<dir>/{accept_ra,autoconf,disable_ipv6}, for every link that has
   * them and for `default` (what a new device starts with). Link.ipv6 is their parsed form.
   */
  ipv6conf: Record<string, Record<string, string>>;
  supportsIPv6: boolean;
  /**
   * The handler's DHCP clients that run, as `${dev}/${family}` (read from its state directory
   * when the observer is given it; empty otherwise). A client is configuration, as in VDSM: it
   * holds before a lease comes and without any server.
   */
  dhcpClients?: readonly string[];
  /**
   * ethtool features, ring sizes and coalescing of the NICs whose settings the read was asked
   * for (the running config's and the spec's: model/ethtool.ts, model/ethtool-params.ts); absent
   * when it was asked for none.
   */
  ethtool?: Record<string, EthtoolRead>;
  /**
   * The root qdisc of each device the read was asked for (the southbounds of QoS'd networks:
   * observe/tc.ts), VDSM's HFSC tree parsed; absent when it was asked for none.
   */
  qos?: Record<string, QosTree>;
  /** The QoS kernel modules (model/host-qos.ts QOS_MODULES) this kernel lacks; read when asked. */
  qosMissing?: string[];
  /** Epoch seconds (float) at which the counters were read. */
  sampleTime: number;
}

export type { EthtoolRead, FeatureState } from './ethtool.js';

// Capabilities and statistics (the seed's field names and value types) are typed by their
// schemas in src/api/status.ts, which the CRD is generated from.
export type {
  BondInfo,
  BridgeInfo,
  Capabilities,
  DeviceInfo,
  InterfaceStatistics,
  NetworkInfo,
  NicInfo,
  Statistics,
  VlanInfo,
} from '../api/status.js';
