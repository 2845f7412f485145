// zod schemas of the canonical config vocabulary (src/api/config.ts): status.kernelConfig in the
// CRD, and the persisted running config. Compile-time checks below keep both in step with the
// hand-written interfaces that the other stages import.
import { z } from 'zod';
import type { BondConfig, NetworkConfig, RunningConfig } from './config.js';

export const NetworkConfigSchema = z
  .strictObject({
    nic: z.string().describe('Southbound NIC.').optional(),
    bonding: z.string().describe('Southbound bond.').optional(),
    vlan: z.int().describe('802.1Q VLAN id.').optional(),
    bridged: z.boolean().describe('Whether the network is a bridge.'),
    stp: z.boolean().describe('Spanning Tree Protocol on the bridge.'),
    bridgeOpts: z.string().describe('Bridge options, sorted "key=value" pairs.').optional(),
    mtu: z.int().describe('MTU.'),
    bootproto: z.enum(['dhcp', 'none']).describe('"dhcp" or "none".'),
    ipaddr: z.string().describe('Static IPv4 address.').optional(),
    netmask: z.string().describe('IPv4 netmask, dotted.').optional(),
    gateway: z.string().describe('IPv4 gateway.').optional(),
    defaultRoute: z.boolean().describe('Whether the host default route goes through this network.'),
    ipv6addr: z.string().describe('Static IPv6 address/prefix, compressed form.').optional(),
    ipv6gateway: z.string().describe('IPv6 gateway.').optional(),
    dhcpv6: z.boolean().describe('DHCPv6 client.'),
    ipv6autoconf: z.boolean().describe('IPv6 autoconfiguration.'),
    nameservers: z.array(z.string().describe('A DNS server.')).describe('DNS servers.'),
    switch: z.enum(['legacy']).describe('Switch type; always "legacy" (Linux bridge).'),
  })
  .describe('A network in canonical form: every VDSM default filled in.');

export const BondConfigSchema = z
  .strictObject({
    nics: z.array(z.string().describe('A slave NIC.')).describe('Slave NICs, sorted.'),
    options: z.string().describe('Bonding options, sorted "key=value" pairs with numeric values, mode always present (e.g. "miimon=100 mode=4").'),
    hwaddr: z.string().describe('MAC address, when the spec sets one.').optional(),
    switch: z.enum(['legacy']).describe('Switch type; always "legacy".'),
  })
  .describe('A bond in canonical form.');

export const RunningConfigSchema = z
  .strictObject({
    networks: z.record(z.string(), NetworkConfigSchema).describe('Networks by name.'),
    bondings: z.record(z.string(), BondConfigSchema).describe('Bonds by name.'),
  })
  .describe('Networks and bonds in canonical setupNetworks vocabulary.');

// Both directions: the schema's type is the interface and the interface is the schema's type.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameNetwork: Same<z.output<typeof NetworkConfigSchema>, NetworkConfig> = true;
const sameBond: Same<z.output<typeof BondConfigSchema>, BondConfig> = true;
const sameRunning: Same<z.output<typeof RunningConfigSchema>, RunningConfig> = true;
void sameNetwork;
void sameBond;
void sameRunning;
