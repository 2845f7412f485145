// The spec of an OvirtNodeNetwork, as zod schemas: the single source of the TypeScript types,
// the parser of user input (src/plan/validate.ts) and the CRD's OpenAPI schema (src/api/crd.ts).
// Field-local rules live here (types, ranges, formats); rules that relate fields or objects live
// in src/plan/validate.ts. The CRD gets no defaults: the stored spec stays what the user wrote,
// and canonicalization (src/plan/canonicalize.ts) fills VDSM's defaults.
import { z } from 'zod';
import { isIpAddress, isIpv6, isIpv6Cidr } from '../util/ip.js';
import { DEFAULT_MTU, MIN_IPV6_MTU } from './constants.js';
import { HostQosSchema } from './config-schema.js';
import {
  BOND_NAME_RULE,
  bondNameCel,
  bondNameProblem,
  DEVICE_NAME_MAX,
  DEVICE_NAME_RULE,
  deviceNameCel,
  deviceNameProblem,
  FEATURE_NAME_RULE,
  featureNameCel,
  featureNameProblem,
  COALESCE_NUMBERS,
  COALESCE_SWITCHES,
  RING_MIN,
  RING_NAMES,
  U32_MAX,
} from './names.js';

/**
 * A string field naming a device (src/api/names.ts): zod checks it with the rule's function, the
 * CRD with the rule's CEL (and a maxLength, which CEL's cost estimate needs). One message per
 * bad name: the length bounds are the rule's, not zod's own checks.
 */
function nameField(problem: (name: string) => string | undefined, cel: string, rule: string, description: string) {
  return z
    .string()
    .superRefine((v, ctx) => {
      const p = problem(v);
      if (p) ctx.addIssue({ code: 'custom', message: p, input: v });
    })
    .meta({
      description,
      minLength: 1,
      maxLength: DEVICE_NAME_MAX,
      'x-kubernetes-validations': [{ rule: cel, message: `must be ${rule}` }],
    });
}

/** A field naming a NIC (or any device but a bond). */
const ifname = (description: string) =>
  nameField(deviceNameProblem, deviceNameCel('self'), `a device name: ${DEVICE_NAME_RULE}`, description);
/** A field naming a bond. */
const bondname = (description: string) =>
  nameField(bondNameProblem, bondNameCel('self'), `a bond name: ${BOND_NAME_RULE}`, description);

/**
 * CEL rules about a network's southbound device, given the CEL test for "names one": a node's
 * network names it with nic or bonding, a policy's network also with nicFromNodeLabel.
 */
export function southboundRules(hasSouthbound: string) {
  return [
    {
      rule: `!has(self.bridged) || self.bridged || ${hasSouthbound}`,
      message: 'a bridgeless network needs a southbound device (nic or bonding)',
      fieldPath: '.bridged',
    },
    {
      rule: `!has(self.vlan) || ${hasSouthbound}`,
      message: 'a VLAN needs a southbound device (nic or bonding)',
      fieldPath: '.vlan',
    },
  ];
}

/** A network names its southbound with nic or bonding, never both (node and policy networks alike). */
export const NIC_XOR_BONDING = {
  rule: '!(has(self.nic) && has(self.bonding))',
  message: 'nic and bonding are mutually exclusive',
  fieldPath: '.bonding',
};

/** CEL rules the API server enforces on each network; the same rules are in validate.ts. */
const NETWORK_RULES = [
  NIC_XOR_BONDING,
  {
    rule: '!(has(self.prefix) && has(self.netmask))',
    message: 'prefix and netmask are mutually exclusive',
    fieldPath: '.prefix',
  },
  ...southboundRules('has(self.nic) || has(self.bonding)'),
  {
    rule:
      "!has(self.bootproto) || self.bootproto != 'dhcp' || !(has(self.ipaddr) || has(self.netmask) || " +
      'has(self.prefix) || has(self.gateway))',
    message: 'static IPv4 settings (ipaddr, netmask, prefix, gateway) conflict with bootproto: dhcp',
    fieldPath: '.bootproto',
  },
  {
    rule:
      '!has(self.ipv6addr) || !((has(self.dhcpv6) && self.dhcpv6) || (has(self.ipv6autoconf) && ' +
      'self.ipv6autoconf))',
    message: 'a static ipv6addr conflicts with dhcpv6 and ipv6autoconf',
    fieldPath: '.ipv6addr',
  },
];

export const NetworkSpecSchema = z
  .strictObject({
    nic: ifname(
      'Southbound NIC the network is attached to (kernel name, e.g. eth1). Exclusive with bonding. Omit both ' +
        'for a nicless bridged network.',
    ).optional(),
    bonding: bondname(
      'Southbound bond the network is attached to; defined in spec.bondings or already present on the node. ' +
        'Exclusive with nic.',
    ).optional(),
    vlan: z
      .int()
      .min(0)
      .max(4094)
      .describe(
        '802.1Q VLAN id (0..4094). The network then sits on the VLAN device <southbound>.<vlan>; needs nic or bonding.',
      )
      .optional(),
    bridged: z
      .boolean()
      .describe(
        'Whether the network is a Linux bridge named after the network (default true). A bridgeless network ' +
          'needs nic or bonding and carries its IP on the southbound or VLAN device.',
      )
      .optional(),
    stp: z
      .boolean()
      .describe('Spanning Tree Protocol on the bridge (default false). Bridged networks only.')
      .optional(),
    bridgeOpts: z
      .string()
      .max(1024)
      .describe(
        'Extra bridge attributes as "key=value key=value", names as in /sys/class/net/<bridge>/bridge (e.g. ' +
          '"forward_delay=0 multicast_snooping=0"). Bridged networks only. Flags take 0 or 1, the ' +
          'multicast versions and router mode only the values the kernel accepts.',
      )
      .optional(),
    mtu: z
      .int()
      .min(MIN_IPV6_MTU)
      .max(65535)
      .describe(
        `MTU of the network (${MIN_IPV6_MTU}..65535, default ${DEFAULT_MTU}). The southbound device gets the ` +
          `largest MTU of the networks on it. Below ${MIN_IPV6_MTU} the kernel drops a device's IPv6 settings, ` +
          'which the handler manages on every device it makes.',
      )
      .optional(),
    bootproto: z
      .enum(['dhcp', 'none'])
      .describe(
        'IPv4 configuration: "dhcp" runs a DHCP client, "none" (default) uses ipaddr/netmask or no IPv4 address.',
      )
      .optional(),
    ipaddr: z.ipv4().describe('Static IPv4 address (bootproto none); needs netmask or prefix.').optional(),
    netmask: z.ipv4().describe('IPv4 netmask in dotted form (e.g. 255.255.255.0). Exclusive with prefix.').optional(),
    prefix: z
      .int()
      .min(1)
      .max(32)
      .describe('IPv4 prefix length (1..32), converted to netmask. Exclusive with netmask.')
      .optional(),
    gateway: z.ipv4().describe('IPv4 gateway of the network; must be inside the subnet of ipaddr.').optional(),
    defaultRoute: z
      .boolean()
      .describe(
        'Whether the host default route goes through this network (default false). At most one network may have it.',
      )
      .optional(),
    ipv6addr: z
      .string()
      .max(49)
      .refine(isIpv6Cidr, 'must be an IPv6 address with a prefix length, e.g. 2001:db8::5/64')
      .describe('Static IPv6 address with prefix length, e.g. 2001:db8::5/64. Exclusive with dhcpv6 and ipv6autoconf.')
      .optional(),
    ipv6gateway: z
      .string()
      .max(45)
      .refine(isIpv6, 'must be an IPv6 address')
      .describe("IPv6 gateway; needs ipv6addr, and must be inside its prefix or link-local (fe80::/10).")
      .optional(),
    dhcpv6: z.boolean().describe('Run a DHCPv6 client on the network (default false).').optional(),
    ipv6autoconf: z
      .boolean()
      .describe('IPv6 stateless address autoconfiguration from router advertisements (default false).')
      .optional(),
    nameservers: z
      .array(
        z.string().max(45).refine(isIpAddress, 'must be an IPv4 or IPv6 address').describe('A DNS server address.'),
      )
      .max(16)
      .describe(
        'DNS servers for the host (IPv4 or IPv6 addresses), in order. Only on the network with defaultRoute; ' +
          'when omitted there and the network is static, the host keeps its current resolvers.',
      )
      .optional(),
    switch: z
      .enum(['legacy'])
      .describe(
        'Switch type, in VDSM vocabulary: "legacy" (the Linux bridge), the only one supported (no OVS). ' +
          'Optional; accepted so that a reported kernelConfig is a valid spec.',
      )
      .optional(),
    hostQos: HostQosSchema.describe(
      'Host network QoS as VDSM takes it: {out: {ls, ul, rt}}, HFSC service curves {m1, d, m2} of the ' +
        "network's class on its NIC or bond (ls required; ul and rt in bit/s, d in microseconds). Every " +
        'network on that device must have it, or none (the oVirt engine rule); the node needs sch_hfsc.',
    ).optional(),
  })
  .meta({
    description:
      'A logical network in VDSM setupNetworks vocabulary: its southbound device, VLAN, bridge, MTU and IP ' +
      'configuration.',
    'x-kubernetes-validations': NETWORK_RULES,
  });

/**
 * The most slaves a bond may have: more than any bond has, and a bound the API server needs — the
 * name rule's CEL on each slave of each of BONDINGS_MAX bonds must fit its cost budget, which an
 * unbounded list does not (the budget ran out near 1000).
 */
export const BOND_NICS_MAX = 64;

export const BondSpecSchema = z
  .strictObject({
    nics: z
      .array(ifname('A NIC enslaved to the bond.'))
      .min(1)
      .max(BOND_NICS_MAX)
      .meta({
        description:
          `NICs enslaved to the bond (1 to ${BOND_NICS_MAX}; each NIC in at most one bond and not used directly ` +
          'by a network).',
        'x-kubernetes-list-type': 'set',
      }),
    options: z
      .string()
      .max(1024)
      .describe(
        'Bonding options as "key=value key=value" (e.g. "mode=802.3ad miimon=100"); mode by name or number, ' +
          'default balance-rr (0). Names as in /sys/class/net/<bond>/bonding. A bond in mode 0, 5 or 6, or ' +
          "naming no mode, cannot carry a bridged network (the oVirt engine's rule).",
      )
      .optional(),
    hwaddr: z.mac().describe("MAC address for the bond (default: the first slave's).").optional(),
    switch: z
      .enum(['legacy'])
      .describe(
        'Switch type, in VDSM vocabulary: "legacy" (the Linux bridge), the only one supported (no OVS). ' +
          'Optional; accepted so that a reported kernelConfig is a valid spec.',
      )
      .optional(),
  })
  .describe('A bond (Linux bonding driver) in VDSM setupNetworks vocabulary.');

export const ProbesSchema = z
  .strictObject({
    gateway: z
      .boolean()
      .default(false)
      .describe('Also require the default gateway to answer a ping after the apply (default false).'),
    dns: z
      .boolean()
      .default(false)
      .describe("Also require DNS resolution through the node's nameservers after the apply (default false)."),
    pathMtu: z
      .boolean()
      .default(true)
      .describe(
        "Also ping the API server's address with a packet as large as the MTU of the device that reaches it, " +
          'fragmentation forbidden: catches an MTU the path does not carry, which TCP alone may hide (default ' +
          'true; not held against an apply when it already fails before).',
      ),
  })
  .describe(
    'Checks beyond the API server (which is always checked). A probe that already fails before the apply is ' +
      'not held against it.',
  );

export const ConnectivityCheckSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Verify connectivity after each apply and roll back on failure (default true).'),
    timeoutSeconds: z
      .int()
      .min(1)
      .max(600)
      .default(60)
      .describe(
        'How long the node may take to reach the API server (and enabled probes) after an apply before it ' +
          'rolls back (default 60).',
      ),
    probes: ProbesSchema.prefault({}),
  })
  .describe(
    'Whether and how long to verify, after an apply, that the node still reaches the API server (and ' +
      'optionally its default gateway and DNS); the previous configuration is restored if not.',
  );

/**
 * The most networks and bonds a spec may have: what provably fits the object's 1 MiB budget
 * (src/report/status-budget.ts) with the status still showing capabilities — NETWORKS_MAX
 * bridged VLAN networks over BONDINGS_MAX bonds, static IPv4 and IPv6 each, every name and
 * address at its longest, fit with statistics and kernelConfig left out (measured by
 * test/unit/status-budget.test.ts; figures in docs/benchmarks.md). At 4096 the spec and its
 * managedFields alone were about 2 MB.
 */
export const NETWORKS_MAX = 800;
export const BONDINGS_MAX = 128;

/** What the agent does when the kernel no longer has what it applied (a hand-made change). */
export const DriftPolicySchema = z
  .enum(['Heal', 'Report'])
  .describe(
    'When the kernel no longer matches the applied networks and bonds (a hand-made change: a bridge deleted, ' +
      'an address removed...): Heal re-applies the spec through the usual transaction and connectivity check; ' +
      'Report only reports it (condition Degraded, reason Drifted, and an Event). Either way the difference is ' +
      'reported within one observe interval.',
  );

/** CEL rules on a map of networks (a node's spec.networks, a policy's). */
export const NETWORK_MAP_RULES = [
  {
    rule: 'self.filter(k, has(self[k].defaultRoute) && self[k].defaultRoute).size() <= 1',
    message: 'at most one network may have defaultRoute',
  },
  { rule: `self.all(k, ${deviceNameCel('k')})`, message: `network names are device names: ${DEVICE_NAME_RULE}` },
];

/** CEL rules on a map of bonds. */
export const BOND_MAP_RULES = [
  { rule: `self.all(k, ${bondNameCel('k')})`, message: `bond names are ${BOND_NAME_RULE}` },
];

/**
 * The same rules on the keys in zod (a map's keys are not a schema of their own there): an
 * issue per bad name, at the name. Runs once the map's values parsed; checkSpec checks the keys
 * of a map that did not (src/plan/validate.ts), with the same messages.
 */
function keyRule(problem: (name: string) => string | undefined) {
  return (m: Record<string, unknown>, ctx: z.RefinementCtx) => {
    for (const k of Object.keys(m)) {
      const p = problem(k);
      if (p) ctx.addIssue({ code: 'custom', message: p, path: [k], input: k });
    }
  };
}
export const networkNameIssues = keyRule(deviceNameProblem);
export const nicNameIssues = keyRule(deviceNameProblem);
export const featureNameIssues = keyRule(featureNameProblem);
export const bondNameIssues = keyRule(bondNameProblem);

/**
 * The most features a NIC's ethtoolOpts may set: more than the kernel has (NETDEV_FEATURE_COUNT
 * is under 70), and a bound the CRD's CEL cost estimate needs.
 */
export const FEATURES_MAX = 128;
/** The most NICs spec.nics may name (each an ethtool read per observation). */
export const NICS_MAX = 64;

const RingsSchema = z
  .strictObject(
    Object.fromEntries(
      RING_NAMES.map((r) => [
        r,
        z.int().min(RING_MIN).max(U32_MAX).describe(`Descriptors of the ${r} ring.`).optional(),
      ]),
    ),
  )
  .describe(
    'Ring sizes by their `ethtool -G` name (rx, rx-mini, rx-jumbo, tx), set with `ethtool -G`. A ring the driver ' +
      'does not report or a size over its maximum ("Pre-set maximums" in `ethtool -g`) is refused at validation. ' +
      'Rings not named are left as they are.',
  );

/** What a coalescing number counts, for its description (the kernel's struct ethtool_coalesce). */
function coalesceUnit(name: string): string {
  if (name.includes('usecs')) return 'Microseconds.';
  if (name.includes('frames')) return 'Frames.';
  if (name.startsWith('pkt-rate')) return 'Packets per second.';
  return 'Seconds.';
}

const CoalesceSchema = z
  .strictObject({
    ...Object.fromEntries(COALESCE_SWITCHES.map((c) => [c, z.boolean().describe('true: on, false: off.').optional()])),
    ...Object.fromEntries(
      COALESCE_NUMBERS.map((c) => [c, z.int().min(0).max(U32_MAX).describe(coalesceUnit(c)).optional()]),
    ),
  })
  .describe(
    'Interrupt coalescing by its `ethtool -C` name (rx-usecs, tx-frames, adaptive-rx...), set with `ethtool -C`. ' +
      'A parameter the driver does not support ("n/a" in `ethtool -c`) is refused at validation. Parameters not ' +
      'named are left as they are.',
  );

/**
 * VDSM's ethtool_opts hook takes an ethtool command line per network ("--offload em1 tso off",
 * "--coalesce em1 rx-usecs 14"); here the same settings are data, per NIC, in the kernel's own
 * feature names and ethtool's -G / -C names: each one a value the handler sets, reads back
 * (kernelConfig), watches for drift and undoes. Only the kernel's leaf features: a group name
 * ("tx-checksumming") toggles several at once and has no state of its own to read back.
 */
export const EthtoolOptsSchema = z
  .strictObject({
    features: z
      .record(z.string(), z.boolean().describe('true: on, false: off.'))
      .refine((m) => Object.keys(m).length <= FEATURES_MAX, `must have at most ${FEATURES_MAX} features`)
      .superRefine(featureNameIssues)
      .meta({
        description:
          'Offloads and other device features by their kernel name as `ethtool -k` lists them (e.g. ' +
          '"tx-checksum-ip-generic": false, "rx-gro-list": true), set with `ethtool -K`. A feature the NIC lacks, ' +
          'a fixed one or a group of features is refused at validation. Features not named are left as they are.',
        maxProperties: FEATURES_MAX,
        'x-kubernetes-validations': [
          { rule: `self.all(k, ${featureNameCel('k')})`, message: `feature names are ${FEATURE_NAME_RULE}` },
        ],
      })
      .optional(),
    rings: RingsSchema.optional(),
    coalesce: CoalesceSchema.optional(),
  })
  .describe(
    "ethtool settings of the NIC (VDSM's ethtool_opts custom property, as data): applied in the transaction, " +
      'undone exactly on rollback, reported in kernelConfig.',
  );

export const NicSpecSchema = z
  .strictObject({ ethtoolOpts: EthtoolOptsSchema.optional() })
  .describe('Settings of one NIC of the node.');

export const SpecSchema = z
  .strictObject({
    networks: z
      .record(z.string(), NetworkSpecSchema)
      // The CRD's maxProperties, checked here too (the CLI validates without an API server).
      .refine((m) => Object.keys(m).length <= NETWORKS_MAX, `must have at most ${NETWORKS_MAX} networks`)
      .superRefine(networkNameIssues)
      .default({})
      .meta({
        description:
          `Logical networks by name (the name of the bridge of a bridged network: ${DEVICE_NAME_RULE}). The ` +
          'whole desired set: handler-owned networks missing here are removed.',
        maxProperties: NETWORKS_MAX,
        'x-kubernetes-validations': NETWORK_MAP_RULES,
      }),
    bondings: z
      .record(z.string(), BondSpecSchema)
      .refine((m) => Object.keys(m).length <= BONDINGS_MAX, `must have at most ${BONDINGS_MAX} bonds`)
      .superRefine(bondNameIssues)
      .default({})
      .meta({
        description:
          `Bonds by name (${BOND_NAME_RULE}). The whole desired set: handler-owned bonds missing here are ` +
          'removed.',
        maxProperties: BONDINGS_MAX,
        'x-kubernetes-validations': BOND_MAP_RULES,
      }),
    nics: z
      .record(z.string(), NicSpecSchema)
      .refine((m) => Object.keys(m).length <= NICS_MAX, `must have at most ${NICS_MAX} NICs`)
      .superRefine(nicNameIssues)
      .meta({
        description:
          `NIC-level settings by NIC name (${DEVICE_NAME_RULE}); each must be a NIC of the node. A NIC left out ` +
          'keeps what it has.',
        maxProperties: NICS_MAX,
        'x-kubernetes-validations': [
          { rule: `self.all(k, ${deviceNameCel('k')})`, message: `NIC names are device names: ${DEVICE_NAME_RULE}` },
        ],
      })
      .optional(),
    connectivityCheck: ConnectivityCheckSchema.prefault({}),
    driftPolicy: DriftPolicySchema.default('Heal'),
  })
  .describe(
    'The desired host networking of the node: the whole set of networks and bonds the handler owns, in VDSM ' +
      'setupNetworks vocabulary.',
  );

export type NetworkSpec = z.output<typeof NetworkSpecSchema>;
export type BondSpec = z.output<typeof BondSpecSchema>;
export type NicSpec = z.output<typeof NicSpecSchema>;
export type ConnectivityCheck = z.output<typeof ConnectivityCheckSchema>;
export type DriftPolicy = z.output<typeof DriftPolicySchema>;
/** A parsed spec: networks, bondings and connectivityCheck always present, connectivityCheck defaulted. */
export type Spec = z.output<typeof SpecSchema>;
/** A spec as a user writes it (everything optional). */
export type SpecInput = z.input<typeof SpecSchema>;
