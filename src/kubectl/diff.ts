// `kubectl onn diff`: the object's spec against what its node reports — which generation the
// agent acted on and how (conditions, setupStatus), what of the spec the reported kernelConfig
// lacks (entity by entity, field by field: what a plan would change), and drift as the agent
// reports it (Degraded, reason Drifted). Pure.
import type { Condition, Outcome } from '../api/status.js';
import { fieldDifferences, type FieldDifference } from '../plan/drift.js';
import type { ValidationError } from '../plan/validate.js';
import { checkAgainstStatus, type ReportedNode } from './plan-against-status.js';
import { condition } from './reported.js';

export interface EntityDiff {
  kind: 'bond' | 'network';
  name: string;
  /** missing: in the spec, not on the node; extra: on the node (handler-owned), not in the spec. */
  change: 'missing' | 'extra' | 'differs';
  /** a: the spec's value, b: the node's. */
  fields: FieldDifference[];
}

export interface DiffReport {
  node: string;
  generation: number;
  observedGeneration?: number;
  conditions: Condition[];
  failed?: NonNullable<Outcome['Failed']>;
  /** The spec does not validate against the node (the agent reports InvalidSpec): nothing compared. */
  invalid?: ValidationError[];
  pending: EntityDiff[];
  /** Entities the node has as the spec says. */
  matching: { networks: number; bonds: number };
  /** Degraded=True with reason Drifted: the agent's message. */
  drift?: string;
  driftPolicy?: string;
  notes: string[];
}

function compare<T extends object>(
  kind: EntityDiff['kind'],
  want: Record<string, T>,
  have: Record<string, T>,
): { pending: EntityDiff[]; matching: number } {
  const pending: EntityDiff[] = [];
  let matching = 0;
  for (const name of [...new Set([...Object.keys(want), ...Object.keys(have)])].sort()) {
    const w = want[name],
      h = have[name];
    if (!h) pending.push({ kind, name, change: 'missing', fields: [] });
    else if (!w) pending.push({ kind, name, change: 'extra', fields: [] });
    else {
      const fields = fieldDifferences(w, h);
      if (fields.length) pending.push({ kind, name, change: 'differs', fields });
      else matching++;
    }
  }
  return { pending, matching };
}

export function diffAgainstStatus(r: ReportedNode): DiffReport {
  const { check, base, notes } = checkAgainstStatus(r.spec, r);
  const degraded = condition(r, 'Degraded');
  const out: DiffReport = {
    node: r.node,
    generation: r.generation,
    ...(r.observedGeneration !== undefined ? { observedGeneration: r.observedGeneration } : {}),
    conditions: r.conditions,
    ...(r.setupStatus?.Failed ? { failed: r.setupStatus.Failed } : {}),
    pending: [],
    matching: { networks: 0, bonds: 0 },
    ...(degraded?.status === 'True' && degraded.reason === 'Drifted' ? { drift: degraded.message } : {}),
    notes,
  };
  if (!check.ok) return { ...out, invalid: check.errors };
  const bonds = compare('bond', check.config.bondings, base.bondings);
  const networks = compare('network', check.config.networks, base.networks);
  return {
    ...out,
    pending: [...bonds.pending, ...networks.pending],
    matching: { networks: networks.matching, bonds: bonds.matching },
    driftPolicy: check.spec.driftPolicy,
  };
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

function entityLine(e: EntityDiff): string {
  const head = `${e.kind} ${e.name}`;
  if (e.change === 'missing') return `${head}: in the spec, not on the node`;
  if (e.change === 'extra') return `${head}: on the node, not in the spec (to be removed)`;
  return `${head}: ${e.fields.map((f) => `${f.field} ${f.a} in the spec, ${f.b} on the node`).join('; ')}`;
}

export function renderDiff(d: DiffReport): string {
  const lines: string[] = [];
  const acted =
    d.observedGeneration === undefined
      ? 'the agent has acted on no generation yet'
      : d.observedGeneration < d.generation
        ? `the agent has not acted on it yet (last: generation ${d.observedGeneration})`
        : `the agent acted on it`;
  lines.push(`${d.node}: spec generation ${d.generation}; ${acted}`);
  for (const c of d.conditions)
    lines.push(
      `  ${c.type}=${c.status} (${c.reason}, generation ${c.observedGeneration})${c.message ? `: ${c.message}` : ''}`,
    );
  if (d.failed) lines.push(`last apply failed: ${d.failed.reason}: ${d.failed.message}`);
  if (d.invalid) {
    lines.push(
      `the spec is invalid for this node (the agent reports InvalidSpec): ${plural(d.invalid.length, 'error')}`,
    );
    for (const e of d.invalid) lines.push(`  ${e.path}: ${e.message}`);
  } else if (d.pending.length) {
    lines.push('not reached yet (the spec against the reported kernelConfig):');
    for (const e of d.pending) lines.push(`  ${entityLine(e)}`);
    if (d.matching.networks + d.matching.bonds > 0)
      lines.push(`  as the spec says: ${plural(d.matching.networks, 'network')}, ${plural(d.matching.bonds, 'bond')}`);
  } else {
    lines.push(
      `reached: the reported kernelConfig has what the spec says (${plural(d.matching.networks, 'network')}, ` +
        `${plural(d.matching.bonds, 'bond')})`,
    );
  }
  if (d.drift) {
    const policy =
      d.driftPolicy === 'Report'
        ? 'driftPolicy Report: only reported'
        : 'driftPolicy Heal: the agent applies the spec again';
    lines.push(`drift (Degraded/Drifted; ${policy}): ${d.drift}`);
  } else {
    lines.push('drift: none reported');
  }
  for (const n of d.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}
