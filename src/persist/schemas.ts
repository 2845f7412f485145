// The schemas of the state files read back at start (running-config.json, origins.json,
// journal.json): validated like API input, since a path or an `ip` argument is built from what
// they hold. Derived from the config schemas (src/api/config-schema.ts) and, for option keys,
// from the same tables spec validation uses (model/bond-options.ts, model/bridge-options.ts).
import { z } from 'zod';
import { BondConfigSchema, NetworkConfigSchema, RunningConfigSchema } from '../api/config-schema.js';
import { IFNAME_MAX } from '../api/constants.js';
import { COALESCE_NAMES, FEATURE_NAME_MAX, FEATURE_NAME_PATTERN, RING_MIN, RING_NAMES, U32_MAX } from '../api/names.js';
import { bondOption, splitOptions } from '../model/bond-options.js';
import { BRIDGE_OPTIONS } from '../model/bridge-options.js';
import { splitKv } from '../util/kv.js';

/**
 * A device name as a state file may hold one: one path segment (no '/', '.', ':') without
 * whitespace, control characters, '"', '\' or '#', no leading '-', 1..15 characters. Looser
 * than the spec's name rule (src/api/names.ts), which came later: a file written under the older
 * rule still loads, and what the batch writer cannot pass verbatim is refused where it is written
 * (apply/ops.ts batchTokenProblem), sysfs and procfs paths where they are built (apply/kernel.ts).
 */
export const PLAIN_DEVICE_NAME = new RegExp(`^(?![-])[^/:.\\s\\x00-\\x1f\\x7f"\\\\#]{1,${IFNAME_MAX}}$`);
const device = z.string().regex(PLAIN_DEVICE_NAME, 'not a plain device name');

const NetworkSchema = NetworkConfigSchema.extend({ nic: device.optional(), bonding: device.optional() }).superRefine(
  (n, ctx) => {
    if (n.bridgeOpts === undefined) return;
    const { pairs, bad } = splitKv(n.bridgeOpts);
    for (const b of bad) ctx.addIssue({ code: 'custom', path: ['bridgeOpts'], message: `"${b}" is not key=value` });
    for (const [k] of pairs)
      if (!BRIDGE_OPTIONS.has(k))
        ctx.addIssue({ code: 'custom', path: ['bridgeOpts'], message: `${JSON.stringify(k)} is not a bridge option` });
  },
);

const BondSchema = BondConfigSchema.extend({ nics: z.array(device) }).superRefine((b, ctx) => {
  const { pairs, bad } = splitOptions(b.options);
  for (const x of bad) ctx.addIssue({ code: 'custom', path: ['options'], message: `"${x}" is not key=value` });
  for (const [k] of pairs)
    if (bondOption(k) === undefined)
      ctx.addIssue({ code: 'custom', path: ['options'], message: `${JSON.stringify(k)} is not a bond option` });
});

const featureName = z.string().regex(new RegExp(FEATURE_NAME_PATTERN)).max(FEATURE_NAME_MAX);
const ringName = z.enum(RING_NAMES);
const coalesceName = z.enum(COALESCE_NAMES);
const rings = z.partialRecord(ringName, z.int().min(RING_MIN).max(U32_MAX));
const coalesce = z.partialRecord(coalesceName, z.union([z.int().min(0).max(U32_MAX), z.boolean()]));

export const PersistedRunningConfigSchema = RunningConfigSchema.extend({
  networks: z.record(device, NetworkSchema),
  nics: z
    .record(
      device,
      z.strictObject({
        ethtoolOpts: z.strictObject({
          features: z.record(featureName, z.boolean()),
          rings: rings.optional(),
          coalesce: coalesce.optional(),
        }),
      }),
    )
    .optional(),
  bondings: z.record(
    z
      .string()
      .regex(/^bond\w+$/)
      .max(IFNAME_MAX),
    BondSchema,
  ),
});

const family = z.union([z.literal(4), z.literal(6)]);
const RouteSpecSchema = z.strictObject({
  family,
  gateway: z.string().optional(),
  dev: device,
  metric: z.number().optional(),
  protocol: z.string().optional(),
  table: z.string().optional(),
});
const OriginRouteSchema = z.strictObject({
  family,
  dst: z.string(),
  gateway: z.string().optional(),
  metric: z.number().optional(),
  protocol: z.string().optional(),
});
const SysctlsSchema = z.strictObject({
  accept_ra: z.string().optional(),
  autoconf: z.string().optional(),
  disable_ipv6: z.string().optional(),
});
const NicOriginSchema = z.strictObject({
  mtu: z.int(),
  hwaddr: z.string(),
  up: z.boolean(),
  sysctls: SysctlsSchema.optional(),
  addresses: z.array(z.string()).optional(),
  routes: z.array(OriginRouteSchema).optional(),
});

export const OriginsSchema = z.strictObject({
  nics: z.record(device, NicOriginSchema).default({}),
  displacedDefault: z.array(RouteSpecSchema).default([]),
  routeTables: z.record(device, z.int().min(1).max(0xfffffffe)).optional(),
});

const DhcpClientSpecSchema = z.strictObject({ network: device, dev: device, family, defaultRoute: z.boolean() });
/** ip arguments: one batch line each, so no control characters (the batch writer checks the rest). */
const ipArg = z.string().regex(/^[^\x00-\x1f\x7f]*$/, 'not an ip argument');
export const KernelOpSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('ip'),
    args: z.array(ipArg).min(1),
    family: z.literal(6).optional(),
    okIfExists: z.literal(true).optional(),
  }),
  // The path is confined again where it is written (apply/kernel.ts).
  z.strictObject({ kind: z.literal('write'), path: z.string(), value: z.string() }),
  z.strictObject({ kind: z.literal('file'), path: z.string(), content: z.string().nullable() }),
  z.strictObject({
    kind: z.literal('ethtool'),
    dev: device,
    features: z.record(featureName, z.boolean()),
  }),
  z.strictObject({ kind: z.literal('ethtool-rings'), dev: device, values: rings }),
  z.strictObject({ kind: z.literal('ethtool-coalesce'), dev: device, values: coalesce }),
  // A tc batch line of the QoS layout (model/host-qos.ts): only qdisc, class and filter commands.
  z.strictObject({
    kind: z.literal('tc'),
    args: z
      .array(ipArg)
      .min(1)
      .refine((a) => ['qdisc', 'class', 'filter'].includes(a[0]!), 'not a qdisc, class or filter command'),
    okIfMissing: z.literal(true).optional(),
  }),
  z.strictObject({ kind: z.literal('dhcp-start'), client: DhcpClientSpecSchema }),
  z.strictObject({ kind: z.literal('dhcp-stop'), dev: device, family }),
]);

export const JournalSchema = z.strictObject({
  version: z.literal(1),
  phase: z.enum(['applying', 'rolling-back']),
  pid: z.int(),
  startedAt: z.string(),
  from: PersistedRunningConfigSchema,
  to: PersistedRunningConfigSchema,
  stored: PersistedRunningConfigSchema,
  originsAfter: OriginsSchema,
  undo: z.array(z.array(KernelOpSchema)),
});

/** The first problem of a failed parse: its field path (dotted, "(root)" for the whole) and message. */
export function firstIssue(e: z.ZodError): { field: string; message: string } {
  const i = e.issues[0];
  return { field: i ? i.path.map(String).join('.') || '(root)' : '(root)', message: i?.message ?? 'invalid' };
}
