// `kubectl onn plan --policy NAME`: for every node the policy is involved with, what its rollout
// would do there — the controller's own decision (src/fleet previewPolicy: selection, IPAM,
// rendering, conflicts), then the steps the node's agent would run for the spec that write
// leaves, planned against the node's report as `kubectl onn plan -f` plans (planAgainstStatus),
// and a summary line per node. Pure: the objects come from node-source.ts; nothing is written.
import type { PolicyPreview, PreviewRow } from '../fleet/index.js';
import type { OnnObject } from '../k8s/client.js';
import { describeStep } from '../plan/plan.js';
import { BASE_LIMIT, planAgainstStatus, STEPS_LIMIT, type StatusPlan } from './plan-against-status.js';
import { readReported, ReportedError, requireParts } from './reported.js';

export interface NodePlan {
  node: string;
  /** pending, written, refused, removing...: where the rollout stands on the node. */
  stand: string;
  /** The addresses IPAM gives the node, "network=address/prefix". */
  addresses: string[];
  /** Why the policy is not in effect there (conflict, missing label, invalid for the node, agent failure). */
  refusal?: string;
  /** Why the node lacks the policy's networks (what spec.required taints it for). */
  lack?: string;
  /** The agent's plan for the spec the write leaves (or, for a written node, the spec it has). */
  plan?: StatusPlan;
  /** Why no plan could be made from the node's report. */
  unplanned?: string;
}

const STANDS: Record<PreviewRow['state']['kind'], string> = {
  refused: 'refused',
  waiting: 'no node object yet',
  pending: 'to be written',
  updated: 'written',
  'pending-removal': 'to be removed',
  removing: 'removing',
  'pending-cleanup': 'removed',
  none: 'nothing',
};

function addressesOf(r: PreviewRow): string[] {
  const out: string[] = [];
  for (const [n, net] of Object.entries(r.desired?.networks ?? {})) {
    if (net.ipaddr !== undefined) out.push(`${n}=${net.ipaddr}/${net.prefix ?? net.netmask ?? '?'}`);
    if (net.ipv6addr !== undefined) out.push(`${n}=${net.ipv6addr}`);
  }
  return out;
}

function standOf(r: PreviewRow, paused: boolean): string {
  const s = r.state;
  let stand = STANDS[s.kind];
  if (s.kind === 'updated')
    stand = s.agent.kind === 'available' ? 'available' : s.agent.kind === 'failed' ? 'failed' : 'applying';
  if (r.write && !paused) stand += ', written this pass';
  else if (r.write) stand += ', held (paused)';
  return stand;
}

/** One node's plan: the spec after the policy's write (or the one it has) against what the node reports. */
export function nodePlan(r: PreviewRow, obj: OnnObject | undefined, paused: boolean): NodePlan {
  const out: NodePlan = { node: r.node, stand: standOf(r, paused), addresses: addressesOf(r) };
  if (r.problem) out.refusal = `${r.problem.reason}: ${r.problem.message}`;
  else if (r.state.kind === 'updated' && r.state.agent.kind === 'failed')
    out.refusal = `${r.state.agent.reason}: ${r.state.agent.message}`;
  if (r.lack !== undefined) out.lack = r.lack;
  const spec = r.specAfter ?? (r.state.kind === 'updated' ? r.onn?.spec : undefined);
  if (!spec || r.problem) return out;
  if (!obj) return { ...out, unplanned: 'the node has no OvirtNodeNetwork' };
  try {
    const reported = requireParts(readReported(obj), 'capabilities', 'kernelConfig');
    out.plan = planAgainstStatus({ ...spec }, reported);
    if (!out.plan.ok)
      out.refusal = `invalid for this node: ${out.plan.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
  } catch (e) {
    out.unplanned = e instanceof ReportedError ? e.message : String(e);
  }
  return out;
}

export function nodePlans(p: PolicyPreview, objects: ReadonlyMap<string, OnnObject>, only?: string): NodePlan[] {
  return p.rows
    .filter((r) => only === undefined || r.node === only)
    .map((r) => nodePlan(r, objects.get(r.node), p.paused));
}

/** The one line per node: node, where it stands, steps, addresses, refusal or lack. */
export function summaryLine(n: NodePlan): string {
  const steps = n.plan?.ok
    ? `${n.plan.steps.length} step${n.plan.steps.length === 1 ? '' : 's'}`
    : n.unplanned
      ? 'no plan'
      : '-';
  const parts = [n.node, n.stand, steps, n.addresses.join(',') || '-'];
  if (n.refusal) parts.push(`refused: ${n.refusal}`);
  else if (n.lack) parts.push(`lacks the networks: ${n.lack}`);
  return parts.join('  ');
}

/** Said once for every plan of the output (planAgainstStatus says them with each). */
const GENERAL = [BASE_LIMIT, STEPS_LIMIT];

export function renderPolicyPlan(p: PolicyPreview, plans: readonly NodePlan[], json: boolean): string {
  if (json)
    return `${JSON.stringify({ policy: p.policy.name, paused: p.paused, status: p.status, nodes: plans }, null, 2)}\n`;
  const cond = (t: string) => p.status.conditions?.find((c) => c.type === t);
  const head =
    `policy ${p.policy.name} generation ${p.policy.generation}${p.paused ? ' (paused: nothing is written)' : ''}: ` +
    `${p.status.matchedNodes ?? 0} matched node(s); ` +
    ['Available', 'Progressing', 'Degraded']
      .map((t) => `${t}=${cond(t)?.status ?? '?'} (${cond(t)?.reason ?? ''})`)
      .join(' ') +
    '\n';
  const blocks = plans.map((n) => {
    const lines = [`${n.node}: ${n.stand}${n.addresses.length ? `, ${n.addresses.join(', ')}` : ''}`];
    if (n.refusal) lines.push(`  refused: ${n.refusal}`);
    if (n.unplanned) lines.push(`  no plan: ${n.unplanned}`);
    if (n.plan?.ok && n.plan.steps.length === 0) lines.push('  nothing to do: the node reports what the spec says');
    if (n.plan?.ok) n.plan.steps.forEach((s, i) => lines.push(`  ${String(i + 1).padStart(3)}. ${describeStep(s)}`));
    for (const note of n.plan?.notes ?? []) if (!GENERAL.includes(note)) lines.push(`  note: ${note}`);
    return lines.join('\n') + '\n';
  });
  const notes = plans.some((n) => n.plan) ? GENERAL : [];
  const summary = plans.length
    ? `\nsummary:\n${plans.map((n) => `  ${summaryLine(n)}\n`).join('')}`
    : '\nno node is involved\n';
  return head + blocks.join('') + summary + notes.map((n) => `note: ${n}\n`).join('');
}
