// The configuration vocabulary shared by every stage: VDSM setupNetworks attributes in their
// canonical form (all defaults filled in). The running config (what the handler owns, as last
// applied), the canonical spec and the kernelConfig read back from the kernel all use it, so
// they compare with a deep equality.

export interface NetworkConfig {
  /** Southbound NIC; exclusive with bonding. Absent on a nicless bridged network. */
  nic?: string;
  /** Southbound bond; exclusive with nic. */
  bonding?: string;
  /** 802.1q id, 0..4094, on top of nic/bonding. */
  vlan?: number;
  bridged: boolean;
  /** Only meaningful when bridged. */
  stp: boolean;
  /** Canonical "k=v k=v" (sorted) bridge options, when given. */
  bridgeOpts?: string;
  mtu: number;
  bootproto: 'dhcp' | 'none';
  /** Static IPv4 (bootproto none). */
  ipaddr?: string;
  /** Dotted netmask; a spec's prefix is converted to it. */
  netmask?: string;
  gateway?: string;
  defaultRoute: boolean;
  /** "addr/prefix", compressed form. */
  ipv6addr?: string;
  ipv6gateway?: string;
  dhcpv6: boolean;
  ipv6autoconf: boolean;
  nameservers: string[];
  switch: 'legacy';
}

export interface BondConfig {
  /** Sorted. */
  nics: string[];
  /** Normalized: numeric mode first is NOT implied; sorted "k=v" with mode always present, e.g. "miimon=100 mode=4". */
  options: string;
  hwaddr?: string;
  switch: 'legacy';
}

export interface RunningConfig {
  networks: Record<string, NetworkConfig>;
  bondings: Record<string, BondConfig>;
}

export function emptyConfig(): RunningConfig {
  return { networks: {}, bondings: {} };
}
