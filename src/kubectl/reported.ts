// The parts of an OvirtNodeNetwork each verb of the plugin reads, parsed with the status schemas
// the CRD is generated from. Pure: the object comes from node-source.ts. A status part that is missing or
// does not parse is an error naming its field, never an empty default: an empty kernelConfig
// would plan "add every network" against a node that has them all.
import type { RunningConfig } from '../api/config.js';
import { RunningConfigSchema } from '../api/config-schema.js';
import {
  CapabilitiesSchema,
  ConditionSchema,
  LldpSchema,
  OutcomeSchema,
  StatisticsSchema,
  type Capabilities,
  type Condition,
  type Lldp,
  type Outcome,
  type Statistics,
} from '../api/status.js';
import type { OnnObject } from '../k8s/client.js';
import { zodIssuesToErrors, type ValidationError } from '../plan/validate.js';
import { z } from 'zod';

export interface Reported {
  node: string;
  generation: number;
  spec: unknown;
  observedGeneration?: number;
  capabilities?: Capabilities;
  statistics?: Statistics;
  /** When the statistics were last sampled (status.statisticsTime; agents before it did not write it). */
  statisticsTime?: number;
  kernelConfig?: RunningConfig;
  /** What the switches announce per NIC (status.lldp; agents without LLDP do not write it). */
  lldp?: Lldp;
  setupStatus?: Outcome;
  conditions: Condition[];
}

/** An error about the object, for the plugin's output: `<node>: <field>: <reason>`. */
export class ReportedError extends Error {
  constructor(
    readonly node: string,
    readonly errors: readonly ValidationError[],
  ) {
    super(errors.map((e) => `${node}: ${e.path}: ${e.message}`).join('\n'));
    this.name = 'ReportedError';
  }
}

const PARTS = {
  capabilities: CapabilitiesSchema,
  statistics: StatisticsSchema,
  kernelConfig: RunningConfigSchema,
  lldp: LldpSchema,
  setupStatus: OutcomeSchema,
  conditions: z.array(ConditionSchema),
} as const;

/** Each status part parsed on its own, so one malformed part does not hide the others. */
export function readReported(obj: OnnObject): Reported {
  const node = obj.metadata.name;
  const status = obj.status ?? {};
  const errors: ValidationError[] = [];
  const part = <K extends keyof typeof PARTS>(k: K): z.output<(typeof PARTS)[K]> | undefined => {
    if (status[k] === undefined) return undefined;
    const r = PARTS[k].safeParse(status[k], { reportInput: true });
    if (r.success) return r.data as z.output<(typeof PARTS)[K]>;
    errors.push(...zodIssuesToErrors(r.error.issues, `status.${k}`));
    return undefined;
  };
  const out: Reported = {
    node,
    generation: obj.metadata.generation ?? 0,
    spec: obj.spec ?? {},
    capabilities: part('capabilities'),
    statistics: part('statistics'),
    kernelConfig: part('kernelConfig'),
    setupStatus: part('setupStatus'),
    conditions: part('conditions') ?? [],
  };
  const lldp = part('lldp');
  if (lldp !== undefined) out.lldp = lldp;
  const st = status.statisticsTime;
  if (typeof st === 'number' && Number.isFinite(st)) out.statisticsTime = st;
  else if (st !== undefined) errors.push({ path: 'status.statisticsTime', message: 'must be a number' });
  const og = status.observedGeneration;
  if (typeof og === 'number' && Number.isInteger(og)) out.observedGeneration = og;
  else if (og !== undefined) errors.push({ path: 'status.observedGeneration', message: 'must be an integer' });
  if (errors.length) throw new ReportedError(node, errors);
  return out;
}

/** The status parts a verb cannot do without, or a ReportedError naming those the agent has not reported. */
export function requireParts<K extends 'capabilities' | 'statistics' | 'kernelConfig'>(
  r: Reported,
  ...keys: K[]
): Reported & Required<Pick<Reported, K>> {
  const missing = keys.filter((k) => r[k] === undefined);
  if (missing.length) {
    throw new ReportedError(
      r.node,
      missing.map((k) => ({
        path: `status.${k}`,
        message: 'not reported yet: is the agent running on the node?',
      })),
    );
  }
  return r as Reported & Required<Pick<Reported, K>>;
}

export function condition(r: Reported, type: Condition['type']): Condition | undefined {
  return r.conditions.find((c) => c.type === type);
}
