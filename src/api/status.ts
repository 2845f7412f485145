// The status of an OvirtNodeNetwork, as zod schemas (types + CRD). Field names and value types
// are the seed's (`capabilities` as VDSM's network_caps: mtu as a string, statistics counters as
// decimal strings), plus Kubernetes conditions and observedGeneration. Objects are not strict:
// a newer agent may report more than this version of the schema knows.
import { z } from 'zod';
import { RunningConfigSchema } from './config-schema.js';

const str = (description: string) => z.string().describe(description);
const flag = (description: string) => z.boolean().describe(description);

const deviceFields = {
  addr: str('Primary IPv4 address, "" when none.'),
  netmask: str('Netmask of the primary IPv4 address, "" when none.'),
  ipv4addrs: z.array(str('An IPv4 address/prefix.')).describe('All IPv4 addresses as address/prefix.'),
  ipv6addrs: z.array(str('An IPv6 address/prefix.')).describe('All IPv6 addresses as address/prefix.'),
  gateway: str('IPv4 gateway of the device\'s default route, "" when none.'),
  ipv6gateway: str('IPv6 gateway, "::" when none.'),
  ipv4defaultroute: flag("Whether the host's IPv4 default route goes through this device."),
  dhcpv4: flag('Whether the IPv4 address comes from DHCP.'),
  dhcpv6: flag('Whether an IPv6 address comes from DHCPv6.'),
  ipv6autoconf: flag('Whether IPv6 stateless autoconfiguration is on.'),
  mtu: str("MTU, as a decimal string (VDSM's compatible form)."),
};

/** The fields every device (and network) report shares; a schema of its own only for its type. */
export const DeviceInfoSchema = z.object(deviceFields);
export type DeviceInfo = z.output<typeof DeviceInfoSchema>;

const stringMap = (description: string) =>
  z.record(z.string(), z.string().describe('Value, as the kernel shows it.')).describe(description);

export const NicInfoSchema = z
  .object({
    ...deviceFields,
    hwaddr: str('MAC address.'),
    speed: z.int().describe('Link speed in Mb/s (0 when unknown).'),
    permhwaddr: str('Permanent MAC address (bond slaves).').optional(),
    ad_aggregator_id: str('802.3ad aggregator id (802.3ad bond slaves).').optional(),
  })
  .describe('A NIC.');

export const BondInfoSchema = z
  .object({
    ...deviceFields,
    hwaddr: str('MAC address.'),
    slaves: z.array(str('A slave NIC.')).describe('Slave NICs.'),
    active_slave: str('Active slave (active-backup), "" otherwise.'),
    opts: stringMap('Non-default bonding options, numeric values; mode always present.'),
    speed: z.int().describe('Aggregate speed in Mb/s.'),
    switch: str('Switch type ("legacy").'),
    ad_aggregator_id: str('802.3ad aggregator id.').optional(),
    ad_partner_mac: str('802.3ad partner MAC address.').optional(),
  })
  .describe('A bond.');

export const BridgeInfoSchema = z
  .object({
    ...deviceFields,
    ports: z.array(str('A port.')).describe('Ports of the bridge.'),
    stp: z.enum(['on', 'off']).describe('Spanning Tree Protocol state.'),
    opts: stringMap(
      'Bridge options (/sys/class/net/<bridge>/bridge) that differ from the kernel defaults; state and timers ' +
        'left out.',
    ),
  })
  .describe('A Linux bridge.');

export const VlanInfoSchema = z
  .object({
    ...deviceFields,
    iface: str('The lower device.'),
    vlanid: z.int().describe('VLAN id.'),
  })
  .describe('A VLAN device.');

const QOS_CURVE = z
  .object({
    m1: z.int().describe('Slope of the first segment.'),
    d: z.int().describe('Length of the first segment (µs).'),
    m2: z.int().describe('Slope of the second segment.'),
  })
  .describe('A service curve, every field.');

export const NetworkInfoSchema = z
  .object({
    ...deviceFields,
    iface: str("The device carrying the network's addresses (bridge, VLAN device or southbound)."),
    bridged: flag('Whether the network is a bridge.'),
    switch: str('Switch type ("legacy").'),
    southbound: str('The southbound NIC or bond.').optional(),
    vlanid: z.int().describe('VLAN id.').optional(),
    ports: z.array(str('A port.')).describe('Ports of the bridge (bridged networks).').optional(),
    stp: z.enum(['on', 'off']).describe('Spanning Tree Protocol state (bridged networks).').optional(),
    interface: str('The top device (bridgeless networks).').optional(),
    hostQos: z
      .object({
        out: z
          .object({ ls: QOS_CURVE.optional(), rt: QOS_CURVE.optional(), ul: QOS_CURVE.optional() })
          .describe('The curves of the class (ls: the share, as given; ul, rt: bit/s; d: µs).'),
      })
      .describe("The network's QoS class as VDSM's getCapabilities reports it.")
      .optional(),
  })
  .describe('A network the handler owns.');

export const CapabilitiesSchema = z
  .object({
    nics: z.record(z.string(), NicInfoSchema).describe('NICs by name.'),
    bondings: z.record(z.string(), BondInfoSchema).describe('Bonds by name.'),
    bridges: z.record(z.string(), BridgeInfoSchema).describe('Bridges by name (handler-owned or not).'),
    vlans: z.record(z.string(), VlanInfoSchema).describe('VLAN devices by name.'),
    networks: z.record(z.string(), NetworkInfoSchema).describe('Handler-owned networks by name.'),
    nameservers: z.array(str('A DNS server.')).describe("The host's DNS servers (resolv.conf order)."),
    supportsIPv6: flag('Whether the kernel has IPv6 enabled.'),
  })
  .describe('What the node has, in VDSM network_caps vocabulary.');

/**
 * A map of capability entries as the status carries it: compacted (src/report/status-budget.ts,
 * condition StatusTruncated), an entry leaves out its fields at their "none" value and a
 * network the fields its iface's entry holds, so the CRD requires none of them.
 */
function compactable<V extends z.ZodObject>(map: z.ZodRecord<z.ZodString, V>) {
  const entry = map.valueType
    .partial()
    .describe(
      `${map.valueType.description ?? ''} Compacted (condition StatusTruncated), fields at their "none" value ` +
        `("", false, [], {}, "::") and a network's fields that its iface's entry holds are left out.`,
    );
  return z.record(z.string(), entry).describe(map.description ?? '');
}

/** Capabilities as the status carries them (the CRD's schema); CapabilitiesSchema types what the observer builds. */
export const StatusCapabilitiesSchema = CapabilitiesSchema.extend({
  nics: compactable(CapabilitiesSchema.shape.nics),
  bondings: compactable(CapabilitiesSchema.shape.bondings),
  bridges: compactable(CapabilitiesSchema.shape.bridges),
  vlans: compactable(CapabilitiesSchema.shape.vlans),
  networks: compactable(CapabilitiesSchema.shape.networks),
}).describe(CapabilitiesSchema.description ?? '');

const counter = (description: string) =>
  z.string().regex(/^\d+$/).describe(`${description}, cumulative, as a decimal string (64-bit).`);

export const InterfaceStatisticsSchema = z
  .object({
    name: str('Interface name.'),
    rx: counter('Bytes received'),
    tx: counter('Bytes sent'),
    rxDropped: counter('Received packets dropped'),
    txDropped: counter('Sent packets dropped'),
    rxErrors: counter('Receive errors'),
    txErrors: counter('Send errors'),
    // Rates are 0 on the first sample and after a counter reset (src/observe/statistics.ts).
    rxRate: z.number().min(0).describe('Bytes/s received over the last sampling interval.'),
    txRate: z.number().min(0).describe('Bytes/s sent over the last sampling interval.'),
    speed: str('Link speed in Mb/s as a decimal string (1000 when the driver reports none).'),
    state: str('Operational state: up or down.'),
    sampleTime: z
      .number()
      .describe(
        'When these counters were read, epoch seconds: the last sample in which they (or rates, speed, state) ' +
          'changed. The agent rewrites an entry only when it changes; status.statisticsTime is when every ' +
          'counter shown was last read.',
      ),
  })
  .describe('Traffic counters of an interface.');

export const StatisticsSchema = z
  .record(z.string(), InterfaceStatisticsSchema)
  .describe('Traffic counters and rates by interface.');
export type Statistics = z.output<typeof StatisticsSchema>;

/**
 * Bounds of what a switch can make the agent report (its LLDP frames are input nobody here
 * controls; src/observe/lldp.ts enforces them): a string is cut at LLDP_STRING_MAX (an LLDP
 * TLV's text is at most 255 bytes), a NIC shows at most LLDP_TLVS_MAX TLVs.
 */
export const LLDP_STRING_MAX = 255;
export const LLDP_TLVS_MAX = 64;
export const LLDP_PROPERTIES_MAX = 8;

export const LldpTlvSchema = z
  .object({
    type: z.int().min(0).max(127).describe('TLV type of IEEE 802.1AB (127: organizationally specific).'),
    name: z
      .string()
      .max(LLDP_STRING_MAX)
      .describe('What the TLV is about (VDSM\'s names: "Chassis ID", "Port ID", ...).'),
    properties: z
      .record(
        z.string().max(LLDP_STRING_MAX),
        z.string().max(LLDP_STRING_MAX).describe('Value, as the switch sent it.'),
      )
      .describe('The TLV\'s fields, VDSM\'s keys ("chassis ID", "port description", "VLAN ID", ...).'),
    oui: z.int().min(0).optional().describe('Organizationally unique identifier (type 127 only).'),
    subtype: z.int().min(0).optional().describe('Organizationally defined subtype (type 127 only).'),
  })
  .describe("One TLV a switch announced, in VDSM's Host.getLldp shape.");

export const LldpInfoSchema = z
  .object({
    enabled: flag('Whether LLDP reception runs on the NIC.'),
    tlvs: z.array(LldpTlvSchema).max(LLDP_TLVS_MAX).describe('What the neighbor announces, [] when nothing was heard.'),
  })
  .describe("LLDP on a NIC, in VDSM's Host.getLldp shape.");

export const LldpSchema = z.record(z.string(), LldpInfoSchema).describe('LLDP reception by NIC.');
export type LldpTlv = z.output<typeof LldpTlvSchema>;
export type LldpInfo = z.output<typeof LldpInfoSchema>;
export type Lldp = z.output<typeof LldpSchema>;

export const OutcomeDetailSchema = z
  .object({
    reason: str('Machine-readable reason (CamelCase), "" on success.'),
    message: str('Short human-readable message, "" on success.'),
  })
  .describe('Reason and message.');

export const OutcomeSchema = z
  .object({
    Success: OutcomeDetailSchema.optional(),
    Failed: OutcomeDetailSchema.optional(),
  })
  .describe('Exactly one of Success or Failed.');

export const CONDITION_TYPES = ['Available', 'Progressing', 'Degraded', 'StatusTruncated'] as const;

export const ConditionSchema = z
  .object({
    type: z
      .enum(CONDITION_TYPES)
      .describe(
        'Available: the spec of observedGeneration is applied. Progressing: an apply is under way. Degraded: ' +
          'the last apply failed (and was rolled back). StatusTruncated: the status leaves detail out to keep ' +
          'the object within its size budget (the message says what; present once it has been True).',
      ),
    status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
    observedGeneration: z.int().min(0).describe('The spec generation the condition describes.'),
    lastTransitionTime: z.iso.datetime({ offset: true }).describe('When status last changed.'),
    reason: z.string().max(1024).describe('Machine-readable reason (CamelCase).'),
    message: z.string().max(32768).describe('Human-readable details.'),
  })
  .describe('A condition of the object.');

/**
 * A status field the agent always replaces whole: atomic for the API server's field management,
 * so the object's managedFields name the field once instead of every key in it (which would
 * roughly double the object of a large host).
 */
const atomic = <T extends z.ZodType>(schema: T, description: string) =>
  schema.meta({ description, 'x-kubernetes-map-type': 'atomic' });

export const StatusSchema = z
  .object({
    observedGeneration: z.int().min(0).describe('The last spec generation the agent acted on.').optional(),
    capabilities: atomic(
      StatusCapabilitiesSchema,
      'What the node has, in VDSM network_caps vocabulary. Left out, or without its repeated and empty fields, ' +
        'when the object would not fit its budget (condition StatusTruncated).',
    ).optional(),
    statistics: atomic(
      StatisticsSchema,
      'Traffic counters and rates by interface. Only NICs and bonds, or left out, when the object would not ' +
        "fit its budget (condition StatusTruncated); every interface is on the agent's /metrics.",
    ).optional(),
    statisticsTime: z
      .number()
      .describe(
        'When the statistics were last sampled, epoch seconds: every counter in statistics is as it was then ' +
          '(an interface whose sampleTime is older has not changed since).',
      )
      .optional(),
    kernelConfig: atomic(
      RunningConfigSchema,
      'The handler-owned networks and bonds as read back from the kernel, in spec vocabulary (canonical form); ' +
        'differs from the spec when the host drifted. Left out when the object would not fit its budget ' +
        '(condition StatusTruncated).',
    ).optional(),
    lldp: atomic(
      LldpSchema,
      "What the switch announces on each NIC (LLDP, VDSM's Host.getLldp shape), refreshed on the statistics " +
        'interval. Left out when the object would not fit its budget (condition StatusTruncated).',
    ).optional(),
    infoStatus: OutcomeSchema.describe(
      'Whether the last reading of the host (capabilities, statistics) succeeded.',
    ).optional(),
    setupStatus: OutcomeSchema.describe(
      'Whether the last apply of the spec succeeded; Failed.reason is InvalidSpec, SetupFailed, ' +
        'ConnectivityLost, RemovalFailed or ApiUnreachable.',
    ).optional(),
    conditions: z
      .array(ConditionSchema)
      .meta({
        description:
          'Available, Progressing and Degraded, so that `kubectl wait --for=condition=Available` works; ' +
          'StatusTruncated once the status had to leave detail out.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      })
      .optional(),
  })
  .describe("What the node has and how the last apply went, reported by the node's agent.");

// The one definition of these shapes: the observer builds them, the agent reports them, the CRD
// publishes them, all from the schemas above.
export type NicInfo = z.output<typeof NicInfoSchema>;
export type BondInfo = z.output<typeof BondInfoSchema>;
export type BridgeInfo = z.output<typeof BridgeInfoSchema>;
export type VlanInfo = z.output<typeof VlanInfoSchema>;
export type NetworkInfo = z.output<typeof NetworkInfoSchema>;
export type Capabilities = z.output<typeof CapabilitiesSchema>;
export type InterfaceStatistics = z.output<typeof InterfaceStatisticsSchema>;
export type Outcome = z.output<typeof OutcomeSchema>;
export type Condition = z.output<typeof ConditionSchema>;
export type Status = z.output<typeof StatusSchema>;
