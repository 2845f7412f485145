// The OvirtNetworkPolicy (the fleet layer), as zod schemas: one policy puts networks and bonds,
// in the node spec's vocabulary, on every node its selector matches. Its networks are the node
// spec's NetworkSpecSchema with the per-node fields replaced: the static addresses (ipaddr,
// netmask, prefix, ipv6addr — one value cannot be right for two nodes) by address pools
// (`ipam` for IPv4, `ipv6ipam` for IPv6, like ipaddr and ipv6addr), and a fixed nic optionally by
// a node label naming it (`nicFromNodeLabel`). Its bonds are BondSpecSchema with the slaves
// given by nics, or by a node annotation listing them (`nicsFromNodeAnnotation`: annotation
// values are free text, so "ens3f0,ens3f1" can be stored; label values cannot hold ","), or by
// a node label naming one NIC (`nicsFromNodeLabel`). Semantic checks the CRD cannot express (a
// range inside its pool, a gateway inside it) are src/fleet/validate.ts's.
import { z } from 'zod';
import {
  FAILED_NODES_MAX,
  GATE_TIMEOUT_DEFAULT,
  GATE_WAITS_MAX,
  NETWORK_UNAVAILABLE_TAINT,
  POLICY_NAME_MAX,
} from './constants.js';
import {
  BOND_MAP_RULES,
  BONDINGS_MAX,
  bondNameIssues,
  BondSpecSchema,
  NETWORK_MAP_RULES,
  NETWORKS_MAX,
  networkNameIssues,
  NIC_XOR_BONDING,
  NetworkSpecSchema,
  southboundRules,
} from './spec.js';
import { ConditionSchema } from './status.js';
import { isIpv4Cidr, isIpv6Cidr } from '../util/ip.js';

/** A label key: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
// (From a string: the API server's RE2 is given the pattern as written, "/" unescaped.)
const LABEL_KEY = new RegExp(
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$',
);
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

const labelKey = (description: string) =>
  z.string().max(317).regex(LABEL_KEY, 'must be a label key (e.g. ovirt.org/storage-nic)').describe(description);
/** Annotation keys are qualified names like label keys (the API server checks both alike). */
const annotationKey = (description: string) =>
  z.string().max(317).regex(LABEL_KEY, 'must be an annotation key (e.g. ovirt.org/bond-nics)').describe(description);
const labelValue = z
  .string()
  .max(63)
  .regex(LABEL_VALUE, 'must be a label value (at most 63 letters, digits, "-", "_", "."; alphanumeric at both ends)')
  .describe('A label value.');

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

export const LabelSelectorRequirementSchema = z
  .strictObject({
    key: labelKey('The label key the requirement is about.'),
    operator: z
      .enum(SELECTOR_OPERATORS)
      .describe(
        "In / NotIn: the label's value is (not) one of values (NotIn also matches a node without the label); " +
          'Exists / DoesNotExist: the node has (not) the label.',
      ),
    values: z
      .array(labelValue)
      .max(64)
      .describe('Values for In and NotIn (at least one); empty for Exists and DoesNotExist.')
      .optional(),
  })
  .meta({
    description: 'One label requirement; a node matches a selector when it meets every requirement and matchLabels.',
    'x-kubernetes-validations': [
      {
        rule: "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
        message: 'In and NotIn need at least one value',
        fieldPath: '.values',
      },
      {
        rule: "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
        message: 'Exists and DoesNotExist take no values',
        fieldPath: '.values',
      },
    ],
  });

export const LabelSelectorSchema = z
  .strictObject({
    matchLabels: z
      .record(z.string(), labelValue)
      .describe('Labels the node must have with exactly these values (keys are label keys).')
      .optional(),
    matchExpressions: z
      .array(LabelSelectorRequirementSchema)
      .max(32)
      .describe("Requirements the node's labels must all meet.")
      .optional(),
  })
  .describe(
    'Which nodes (v1 Node labels) the policy applies to: a full LabelSelector, matchLabels and ' +
      'matchExpressions ANDed. Empty or absent: every node.',
  );

const ipamSchema = (family: 4 | 6) =>
  z
    .strictObject({
      pool: z
        .string()
        .max(49)
        .refine(
          family === 4 ? isIpv4Cidr : isIpv6Cidr,
          family === 4
            ? 'must be an IPv4 network with its prefix length, e.g. 10.10.0.0/24'
            : 'must be an IPv6 network with its prefix length, e.g. fd00:10::/64',
        )
        .describe(
          family === 4
            ? 'The IPv4 subnet, e.g. 10.10.0.0/24: each node gets one host address of it with this prefix length ' +
                '(never the network or broadcast address, nor the gateway).'
            : 'The IPv6 subnet, e.g. fd00:10::/64: each node gets one address of it with this prefix length ' +
                '(never the subnet-router anycast address ::, nor the gateway).',
        ),
      range: z
        .string()
        .max(91)
        .regex(/^[^\s-]+-[^\s-]+$/, 'must be "first-last"')
        .describe(
          'Only addresses from first to last, inclusive (e.g. ' +
            `"${family === 4 ? '10.10.0.10-10.10.0.99' : 'fd00:10::10-fd00:10::ff'}"), both inside pool. ` +
            'Default: the whole pool.',
        )
        .optional(),
    })
    .describe(
      family === 4
        ? 'Static IPv4 addresses from a pool instead of ipaddr: every selected node gets its own (bootproto ' +
            'none), kept across controller restarts and policy edits while it stays inside the pool, released when ' +
            'the node leaves the policy.'
        : 'Static IPv6 addresses from a pool instead of ipv6addr, as ipam does for IPv4.',
    );

export const IpamSchema = ipamSchema(4);
export const Ipv6IpamSchema = ipamSchema(6);

/** CEL: the policy network names its southbound somehow. */
const POLICY_SOUTHBOUND = 'has(self.nic) || has(self.bonding) || has(self.nicFromNodeLabel)';

export const PolicyNetworkSchema = NetworkSpecSchema.omit({ ipaddr: true, netmask: true, prefix: true, ipv6addr: true })
  .extend({
    nicFromNodeLabel: labelKey(
      'The southbound NIC is the value of this label of each node (e.g. ovirt.org/storage-nic with value ' +
        '"ens3f1" on the Node): NIC names that differ between nodes. Exclusive with nic and bonding; a node ' +
        'without the label gets the policy refused (reason MissingNodeLabel), one whose value is not a NIC name ' +
        'too (reason InvalidNodeLabel).',
    ).optional(),
    ipam: IpamSchema.optional(),
    ipv6ipam: Ipv6IpamSchema.optional(),
    gateway: NetworkSpecSchema.shape.gateway.describe(
      'IPv4 gateway of the network; needs ipam, inside its pool (never handed out to a node).',
    ),
    ipv6gateway: NetworkSpecSchema.shape.ipv6gateway.describe(
      'IPv6 gateway; needs ipv6ipam, inside its pool (never handed out to a node).',
    ),
  })
  .meta({
    description:
      "A logical network in the node spec's vocabulary (spec.networks of an OvirtNodeNetwork), except that " +
      'static addresses come from ipam / ipv6ipam pools and the NIC may come from a node label.',
    'x-kubernetes-validations': [
      NIC_XOR_BONDING,
      {
        rule: '!has(self.nicFromNodeLabel) || !(has(self.nic) || has(self.bonding))',
        message: 'nicFromNodeLabel is exclusive with nic and bonding',
        fieldPath: '.nicFromNodeLabel',
      },
      ...southboundRules(POLICY_SOUTHBOUND),
      {
        rule: "!has(self.bootproto) || self.bootproto != 'dhcp' || !(has(self.ipam) || has(self.gateway))",
        message: 'ipam and gateway conflict with bootproto: dhcp',
        fieldPath: '.bootproto',
      },
      { rule: '!has(self.gateway) || has(self.ipam)', message: 'a gateway needs ipam', fieldPath: '.gateway' },
      {
        rule: '!has(self.ipv6gateway) || has(self.ipv6ipam)',
        message: 'an ipv6gateway needs ipv6ipam',
        fieldPath: '.ipv6gateway',
      },
      {
        rule:
          '!has(self.ipv6ipam) || !((has(self.dhcpv6) && self.dhcpv6) || (has(self.ipv6autoconf) && ' +
          'self.ipv6autoconf))',
        message: 'ipv6ipam conflicts with dhcpv6 and ipv6autoconf',
        fieldPath: '.ipv6ipam',
      },
    ],
  });

/** CEL: how many of the bond's three ways of naming its slaves are used (exactly one must be). */
const SLAVE_SOURCES =
  '(has(self.nics) ? 1 : 0) + (has(self.nicsFromNodeLabel) ? 1 : 0) + (has(self.nicsFromNodeAnnotation) ? 1 : 0)';

export const PolicyBondSchema = BondSpecSchema.extend({
  nics: BondSpecSchema.shape.nics.optional(),
  nicsFromNodeAnnotation: annotationKey(
    'The slaves are the value of this annotation of each node: NIC names separated by "," (spaces around them ' +
      'are ignored), e.g. `kubectl annotate node hv1 ovirt.org/bond-nics=ens3f0,ens3f1`. Each name must be a ' +
      'valid NIC name; a node without the annotation gets the policy refused (reason MissingNodeAnnotation), one ' +
      'whose value is not such a list too (reason InvalidNodeAnnotation). Exactly one of nics, ' +
      'nicsFromNodeAnnotation and nicsFromNodeLabel.',
  ).optional(),
  nicsFromNodeLabel: labelKey(
    'The one slave is the value of this label of each node (e.g. ovirt.org/bond-nic with value "ens3f0"). A ' +
      'label value cannot hold ",", so it names a single NIC: for several slaves use nicsFromNodeAnnotation. A ' +
      'node without the label gets the policy refused (reason MissingNodeLabel), one whose value is not a NIC ' +
      'name too (reason InvalidNodeLabel). Exactly one of nics, nicsFromNodeAnnotation and nicsFromNodeLabel.',
  ).optional(),
}).meta({
  description:
    "A bond in the node spec's vocabulary (spec.bondings of an OvirtNodeNetwork); the slaves are nics, or come " +
    'from a node annotation or label.',
  'x-kubernetes-validations': [
    {
      rule: `${SLAVE_SOURCES} == 1`,
      message: 'exactly one of nics, nicsFromNodeAnnotation and nicsFromNodeLabel',
      fieldPath: '.nics',
    },
  ],
});

/** An int (a node count) or a percent string (of the matched nodes, rounded down, at least 1). */
export const MaxUnavailableSchema = z
  .union([z.int().min(1), z.string().regex(/^(100|[1-9]\d?)%$/, 'must be a percent from 1% to 100%')])
  .meta({
    description:
      'How many nodes may be changing at once (default 1): a count, or a percent of the matched nodes ("25%", ' +
      'rounded down, at least 1). A node is changing from the write of its spec until it reports Available for ' +
      'that generation, or fails.',
    'x-kubernetes-int-or-string': true,
  });

export const CanarySchema = z
  .strictObject({
    nodes: z
      .int()
      .min(1)
      .max(10000)
      .describe(
        'How many nodes change first, alone (at least 1): the first N matched nodes by name that the policy is ' +
          'not refused on and that have an object. More than there are: every such node is a canary, and ' +
          'the Progressing condition says so, naming spec.rollout.canary.nodes.',
      ),
    bakeSeconds: z
      .int()
      .min(0)
      .max(86400)
      .default(0)
      .describe(
        'Once every canary node is Available, how long the controller keeps watching them through the health ' +
          'gates before it writes any other node (default 0: go on at once; never negative).',
      ),
    gateTimeoutSeconds: z
      .int()
      .min(1)
      .max(86400)
      .default(GATE_TIMEOUT_DEFAULT)
      .describe(
        'How long a health gate may go without the input it decides on before it fails, with a message ' +
          `naming the gate and saying "timed out" (default ${GATE_TIMEOUT_DEFAULT}): a changed node whose agent ` +
          "has not reported on the object's generation (NodeNetworkHealthy), a southbound device with no " +
          'statistics (SouthboundUp), a canary with no error counts during the bake (TrafficErrors). The ' +
          'controller records since when each is unknown in status.canary.unknownGates.',
      ),
    maxTrafficErrors: z
      .int()
      .min(0)
      .describe(
        'The metric gate (TrafficErrors), during the bake: how many more errors and drops (rx and tx, summed ' +
          "over a canary node's southbound devices of the policy's networks, from the agent's status.statistics) " +
          "than at the bake's start a canary node may count. Absent: the gate is off.",
      )
      .optional(),
  })
  .describe(
    'A canary: the first nodes change alone, then bake. Health gates, during the bake and for every later batch ' +
      'until the generation is Available: the Node stays Ready; its object stays not Degraded (drift, a ' +
      'connectivity rollback, a failed apply) and is not healing; the southbound devices of the networks stay up ' +
      '(status.statistics). A failed gate stops the rollout, Degraded with reason CanaryFailed (a canary node) ' +
      'or RolloutAborted (a later one) naming node and gate, with an Event; no further node is written until a ' +
      'new generation. A gate whose input stays unknown for gateTimeoutSeconds fails the same way, timed out.',
  );

export const RolloutSchema = z
  .strictObject({ canary: CanarySchema.optional() })
  .describe('How the rollout moves beyond maxUnavailable.');

export const PolicySpecSchema = z
  .strictObject({
    nodeSelector: LabelSelectorSchema.optional(),
    networks: z
      .record(z.string(), PolicyNetworkSchema)
      .refine((m) => Object.keys(m).length <= NETWORKS_MAX, `must have at most ${NETWORKS_MAX} networks`)
      .superRefine(networkNameIssues)
      .default({})
      .meta({
        description:
          "Networks every selected node gets, by name (names as in an OvirtNodeNetwork). Each node's spec " +
          'keeps its other networks; a name another policy or a hand edit already has on a node is refused ' +
          'there (reason Conflict).',
        maxProperties: NETWORKS_MAX,
        'x-kubernetes-validations': NETWORK_MAP_RULES,
      }),
    bondings: z
      .record(z.string(), PolicyBondSchema)
      .refine((m) => Object.keys(m).length <= BONDINGS_MAX, `must have at most ${BONDINGS_MAX} bonds`)
      .superRefine(bondNameIssues)
      .default({})
      .meta({
        description: 'Bonds every selected node gets, by name (names as in an OvirtNodeNetwork).',
        maxProperties: BONDINGS_MAX,
        'x-kubernetes-validations': BOND_MAP_RULES,
      }),
    maxUnavailable: MaxUnavailableSchema.default(1),
    rollout: RolloutSchema.optional(),
    paused: z
      .boolean()
      .default(false)
      .describe(
        'A preview: the controller computes everything (selection, addresses, rendering, conflicts) and writes ' +
          'nothing to any node, neither node objects nor taints; the status says what it found, with Progressing ' +
          'False and reason Paused (`kubectl onn plan --policy NAME` shows what each node would do). Setting it ' +
          'back to false starts the rollout from there. Deleting a paused policy still removes its networks. On a ' +
          'node where it holds nothing yet, a paused policy yields to every policy that is not paused (it never ' +
          'blocks their rollout): it is refused there (Conflict), which is what unpausing would meet, and its ' +
          'Progressing condition counts the nodes refused.',
      ),
    required: z
      .boolean()
      .default(false)
      .describe(
        "The networks are required (oVirt's Non-Operational host): every matched node that does not have them " +
          'Available (refused there: Conflict, MissingNodeLabel...; failed; drifted with driftPolicy Report; ' +
          `not applied yet) gets the Node taint ${NETWORK_UNAVAILABLE_TAINT}=<policy name>:NoSchedule, removed when ` +
          'the node has them again, when required is set back to false and when the policy is deleted. A node ' +
          'lacking the networks of several required policies carries one such taint (Kubernetes allows one per ' +
          'key and effect), valued with the first of their names.',
      ),
  })
  .describe(
    'Networks and bonds for every node the selector matches, rolled out at most maxUnavailable nodes at a ' +
      'time, stopped at the first node that fails; deleting the policy removes them again.',
  );

export const FailedNodeSchema = z
  .object({
    node: z.string().describe('The node.'),
    reason: z
      .string()
      .describe(
        "Why: the agent's InvalidSpec, SetupFailed or ConnectivityLost (it rolled the node back); Conflict " +
          '(another policy or a hand edit has the name or NIC there; nothing was written); MissingNodeLabel, ' +
          "MissingNodeAnnotation, InvalidNodeLabel, InvalidNodeAnnotation or InvalidRender (the node's labels, " +
          'annotations or the pool cannot make a valid spec); PoolExhausted; ReconcileFailed (the controller ' +
          "failed computing the node's spec: a bug, the message says where; nothing was written).",
      ),
    message: z.string().max(1024).describe('Details.'),
  })
  .describe('A node the policy is not in effect on, and why.');

export const POLICY_CONDITION_TYPES = ['Available', 'Progressing', 'Degraded'] as const;

export const PolicyConditionSchema = ConditionSchema.extend({
  type: z
    .enum(POLICY_CONDITION_TYPES)
    .describe(
      "Available: every matched node is Available with the policy's networks of this generation. Progressing: " +
        'nodes are being changed (or will be); False with reason Paused while spec.paused holds the rollout. ' +
        'Degraded: a node failed (reason RolloutAborted: the rollout stopped there until a new generation), or ' +
        'the policy is refused somewhere (Conflict, MissingNodeLabel, InvalidSpec, ReconcileFailed...).',
    ),
  observedGeneration: ConditionSchema.shape.observedGeneration.describe(
    'The policy generation the condition describes.',
  ),
}).describe('A condition of the policy.');

export const PolicyStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).describe('The policy generation the controller last acted on.').optional(),
    matchedNodes: z.int().min(0).describe('Nodes the selector matches.').optional(),
    updatedNodes: z
      .int()
      .min(0)
      .describe("Matched nodes whose spec carries this generation's networks and bonds.")
      .optional(),
    availableNodes: z.int().min(0).describe('Updated nodes that report Available for that spec.').optional(),
    outOfSyncNodes: z
      .int()
      .min(0)
      .describe(
        'Matched nodes whose reported kernelConfig differs from what the policy asks of them (oVirt\'s "out of sync").',
      )
      .optional(),
    conflictingAddresses: z
      .int()
      .min(0)
      .describe(
        "Addresses inside this policy's pools that nodes report having (status.kernelConfig) although the " +
          "controller did not give them to that node: a duplicate of another node's address, or one set by hand. " +
          'Counted and announced with an Event (reason ConflictingAddress), never acted on: the pools are ' +
          "allocated only from what the controller wrote into the node specs, so a node's report cannot take, " +
          "move or exhaust anyone's address.",
      )
      .optional(),
    unavailableNodes: z
      .int()
      .min(0)
      .describe(
        "Matched nodes that do not have the policy's networks Available (refused, failed, drifted under " +
          `driftPolicy Report, never applied yet): with spec.required, the nodes the ${NETWORK_UNAVAILABLE_TAINT} ` +
          'taint is for.',
      )
      .optional(),
    canary: z
      .object({
        generation: z.int().min(0).describe('The policy generation the canary is of.'),
        nodes: z
          .array(z.string().describe('A canary node.'))
          .max(FAILED_NODES_MAX)
          .describe('The canary nodes (at most 20 listed).'),
        bakeStartedAt: z
          .string()
          .describe('When the controller first saw every canary node Available (RFC 3339): the bake counts from here.')
          .optional(),
        passed: z.boolean().describe('The bake is over: the other nodes are being written.').optional(),
        unknownGates: z
          .array(
            z
              .object({
                node: z.string().describe('The node.'),
                gate: z.string().describe('NodeNetworkHealthy, SouthboundUp or TrafficErrors.'),
                since: z.string().describe('When the controller first found the input unknown (RFC 3339).'),
              })
              .describe('A gate that cannot decide on a node yet.'),
          )
          .max(GATE_WAITS_MAX)
          .describe(
            'The gates whose input is unknown now, and since when: each fails, timed out, once ' +
              `spec.rollout.canary.gateTimeoutSeconds have passed (at most ${GATE_WAITS_MAX}; more wait their turn).`,
          )
          .optional(),
        counters: z
          .record(z.string(), z.string().describe('A decimal count.'))
          .describe(
            "With maxTrafficErrors: each canary node's errors and drops on its southbound devices when the bake " +
              'began (at most 20 nodes, as listed).',
          )
          .optional(),
      })
      .describe('The canary of the current generation (spec.rollout.canary), as the controller keeps it.')
      .optional(),
    gateFailure: z
      .object({
        generation: z.int().min(0).describe('The generation whose rollout it stopped.'),
        node: z.string().describe('The node.'),
        gate: z.string().describe('NodeReady, NodeNetworkHealthy, SouthboundUp or TrafficErrors.'),
        message: z.string().max(1024).describe('What the gate saw.'),
        canary: z.boolean().describe('Whether the node was a canary (reason CanaryFailed).'),
      })
      .describe("The health gate that stopped this generation's rollout; cleared by a new generation.")
      .optional(),
    failedNodes: z
      .array(FailedNodeSchema)
      .max(FAILED_NODES_MAX)
      .describe(`Nodes the policy is not in effect on, and why (at most ${FAILED_NODES_MAX}, by node name).`)
      .optional(),
    conditions: z
      .array(PolicyConditionSchema)
      .meta({
        description:
          'Available, Progressing and Degraded, so that `kubectl wait --for=condition=Available onp/NAME` works.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      })
      .optional(),
  })
  .describe('How the rollout stands, written by the controller.');

/** The object's CEL rules: the name is one annotation name part on each node object. */
export const POLICY_OBJECT_RULES = [
  {
    rule: `self.metadata.name.size() <= ${POLICY_NAME_MAX}`,
    message: `a policy name is at most ${POLICY_NAME_MAX} characters`,
  },
];

export type LabelSelector = z.output<typeof LabelSelectorSchema>;
export type LabelSelectorRequirement = z.output<typeof LabelSelectorRequirementSchema>;
export type Ipam = z.output<typeof IpamSchema>;
export type PolicyNetwork = z.output<typeof PolicyNetworkSchema>;
export type PolicyBond = z.output<typeof PolicyBondSchema>;
export type PolicySpec = z.output<typeof PolicySpecSchema>;
export type PolicySpecInput = z.input<typeof PolicySpecSchema>;
export type FailedNode = z.output<typeof FailedNodeSchema>;
export type PolicyCondition = z.output<typeof PolicyConditionSchema>;
export type PolicyStatus = z.output<typeof PolicyStatusSchema>;
export type Canary = z.output<typeof CanarySchema>;
