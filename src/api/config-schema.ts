// zod schemas of the canonical config vocabulary (src/api/config.ts): status.kernelConfig in the
// CRD, the persisted running config, and (as z.output) the types every other stage imports.
import { z } from 'zod';
import { COALESCE_NUMBERS, COALESCE_SWITCHES, RING_NAMES } from './names.js';

const U32_MAX = 0xffffffff;

/** One HFSC service curve in VDSM's units (ls: a relative share; ul, rt: bit/s; d: microseconds). */
export const HostQosCurveSchema = z
  .strictObject({
    m1: z
      .int()
      .min(0)
      .max(U32_MAX * 8)
      .describe('Slope of the first segment.')
      .optional(),
    d: z.int().min(0).max(U32_MAX).describe('Length of the first segment, in microseconds.').optional(),
    m2: z
      .int()
      .min(0)
      .max(U32_MAX * 8)
      .describe('Slope of the second segment.')
      .optional(),
  })
  .describe('An HFSC service curve: slope m1 for d microseconds, then slope m2.');

/**
 * VDSM's hostQos: outbound HFSC service curves of the network's class on its southbound device.
 * The limits here are the schema's; validation holds each curve to what tc and the kernel take.
 */
export const HostQosSchema = z
  .strictObject({
    out: z
      .strictObject({
        ls: HostQosCurveSchema.describe(
          'Link share (required): a relative weight against the other networks of the device; VDSM hands tc ' +
            'eight times the value.',
        ).optional(),
        ul: HostQosCurveSchema.describe('Upper limit in bit/s: an absolute cap on the class.').optional(),
        rt: HostQosCurveSchema.describe('Real time in bit/s: a guaranteed rate (use with caution).').optional(),
      })
      .describe('Outbound traffic (the only direction VDSM shapes).'),
  })
  .describe("Host network QoS (VDSM hostQos): the network's HFSC class on its NIC or bond.");

export const NetworkConfigSchema = z
  .strictObject({
    // Exclusive with bonding; absent on a nicless bridged network.
    nic: z.string().describe('Southbound NIC.').optional(),
    bonding: z.string().describe('Southbound bond.').optional(),
    // 0..4094, on top of nic/bonding.
    vlan: z.int().describe('802.1Q VLAN id.').optional(),
    bridged: z.boolean().describe('Whether the network is a bridge.'),
    // Only meaningful when bridged.
    stp: z.boolean().describe('Spanning Tree Protocol on the bridge.'),
    bridgeOpts: z.string().describe('Bridge options, sorted "key=value" pairs.').optional(),
    mtu: z.int().describe('MTU.'),
    bootproto: z.enum(['dhcp', 'none']).describe('"dhcp" or "none".'),
    // Static IPv4 (bootproto none); a spec's prefix becomes the netmask.
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
    // Zero fields stripped, as VDSM's kernelconfig reports them.
    hostQos: HostQosSchema.optional(),
  })
  .describe('A network in canonical form: every VDSM default filled in.');

export const BondConfigSchema = z
  .strictObject({
    nics: z.array(z.string().describe('A slave NIC.')).describe('Slave NICs, sorted.'),
    options: z
      .string()
      .describe(
        'Bonding options, sorted "key=value" pairs with numeric values, mode always present (e.g. "miimon=100 ' +
          'mode=4").',
      ),
    hwaddr: z.string().describe('MAC address, when the spec sets one.').optional(),
    switch: z.enum(['legacy']).describe('Switch type; always "legacy".'),
  })
  .describe('A bond in canonical form.');

// Objects of the known names (the CRD's status schema must be structural: a type per value),
// typed as the maps the code handles: a canonical config holds only the names it manages.
const RingsConfigSchema = z.strictObject(
  Object.fromEntries(RING_NAMES.map((r) => [r, z.int().describe(`Descriptors of the ${r} ring.`).optional()])),
) as unknown as z.ZodType<Record<string, number>>;
const CoalesceConfigSchema = z.strictObject({
  ...Object.fromEntries(COALESCE_SWITCHES.map((c) => [c, z.boolean().describe('true: on, false: off.').optional()])),
  ...Object.fromEntries(COALESCE_NUMBERS.map((c) => [c, z.int().describe(`The ${c} value.`).optional()])),
}) as unknown as z.ZodType<Record<string, number | boolean>>;

export const NicConfigSchema = z
  .strictObject({
    ethtoolOpts: z
      .strictObject({
        features: z
          .record(z.string(), z.boolean().describe('true: on, false: off.'))
          .describe('Features by kernel name, sorted: the value requested of the kernel (true: on).'),
        rings: RingsConfigSchema.describe(
          'Ring sizes by `ethtool -G` name, sorted; absent when none is managed.',
        ).optional(),
        coalesce: CoalesceConfigSchema.describe(
          'Coalescing by `ethtool -C` name, sorted (true: on); absent when none is managed.',
        ).optional(),
      })
      .describe('ethtool settings the handler manages.'),
  })
  .describe('A NIC with handler-managed settings.');

export const RunningConfigSchema = z
  .strictObject({
    networks: z.record(z.string(), NetworkConfigSchema).describe('Networks by name.'),
    bondings: z.record(z.string(), BondConfigSchema).describe('Bonds by name.'),
    // Absent when no NIC has managed settings (and in a config of the previous version).
    nics: z.record(z.string(), NicConfigSchema).describe('NICs with managed settings, by name.').optional(),
  })
  .describe('Networks and bonds in canonical setupNetworks vocabulary.');
