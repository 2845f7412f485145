// `kubectl onn plan` (and the spec side of `diff`): a spec validated and planned against what a
// node reported, with the functions the agent uses (checkSpec, plan), the host facts projected
// from capabilities and the plan's base from kernelConfig (src/plan). Pure.
import type { RunningConfig } from '../api/config.js';
import { baseFromStatus } from '../plan/drift.js';
import { validationFactsFromCapabilities } from '../plan/host-facts.js';
import { describeStep, plan, type Step } from '../plan/plan.js';
import { checkSpec, extractSpec, type SpecCheck, type ValidationError } from '../plan/validate.js';
import { condition, type Reported } from './reported.js';

export type ReportedNode = Reported & Required<Pick<Reported, 'capabilities' | 'kernelConfig'>>;

// What the status cannot tell, and so what a plan from it may get wrong: said with every plan
// (and diff), not left for the reader to guess.
export const BASE_LIMIT =
  'compared with the reported kernelConfig: the running config the agent persists on the node is not in the status; ' +
  'the two differ only where the node drifted';
export const STEPS_LIMIT =
  "these are the plan's steps; the kernel operations they become depend on routes, sysctls and address origins the " +
  'status does not report';

export interface Checked {
  check: SpecCheck;
  /** What the plan starts from: the reported kernelConfig, with the DHCP clients capabilities mark. */
  base: RunningConfig;
  /** BASE_LIMIT, and an apply under way on the node. */
  notes: string[];
}

/** The spec (the object's, or a document given with -f) checked against the node's report. */
export function checkAgainstStatus(spec: unknown, r: ReportedNode): Checked {
  const caps = r.capabilities;
  const base = baseFromStatus(r.kernelConfig, (n) => ({
    v4: caps.networks[n]?.dhcpv4 === true,
    v6: caps.networks[n]?.dhcpv6 === true,
  }));
  const check = checkSpec(spec, { host: validationFactsFromCapabilities(caps), running: base });
  return { check, base, notes: [BASE_LIMIT, ...progressNotes(r)] };
}

function progressNotes(r: Reported): string[] {
  const progressing = condition(r, 'Progressing');
  if (progressing?.status === 'True')
    return [
      `${r.node} is applying generation ${progressing.observedGeneration} now: its kernelConfig may be about to change`,
    ];
  if (r.observedGeneration !== undefined && r.observedGeneration < r.generation)
    return [`${r.node}'s agent has not acted on generation ${r.generation} yet (last: ${r.observedGeneration})`];
  return [];
}

/** Drift as the node reports it: what its kernel lost is not in kernelConfig. */
function driftNote(r: Reported): string[] {
  const degraded = condition(r, 'Degraded');
  if (degraded?.status !== 'True' || degraded.reason !== 'Drifted') return [];
  return [
    `${r.node} reports drift; what its kernel lost is planned here as new, where the agent replaces it: ` +
      `${degraded.message}`,
  ];
}

export type StatusPlan =
  | { ok: true; steps: Step[]; desired: RunningConfig; notes: string[] }
  | { ok: false; errors: ValidationError[]; notes: string[] };

/** A document given to `plan -f` (an OvirtNodeNetwork or a bare spec) planned against the node's report. */
export function planAgainstStatus(doc: unknown, r: ReportedNode): StatusPlan {
  const { spec, errors: docErrors } = extractSpec(doc);
  const checked = checkAgainstStatus(spec, r);
  const { check, base } = checked;
  const notes = [...checked.notes, ...driftNote(r)];
  const errors = [...docErrors, ...(check.ok ? [] : check.errors)];
  if (!check.ok || errors.length) return { ok: false, errors, notes };
  return { ok: true, steps: plan(check.config, base), desired: check.config, notes: [...notes, STEPS_LIMIT] };
}

export interface Rendered {
  stdout: string;
  stderr: string;
}

export function renderPlan(node: string, p: StatusPlan, json: boolean): Rendered {
  if (json)
    return {
      stdout: `${JSON.stringify(
        p.ok ? { steps: p.steps, desired: p.desired, notes: p.notes } : { errors: p.errors, notes: p.notes },
        null,
        2,
      )}\n`,
      stderr: '',
    };
  const notes = p.notes.map((n) => `note: ${n}\n`).join('');
  if (!p.ok) {
    const head = `invalid spec for ${node}: ${p.errors.length} error${p.errors.length === 1 ? '' : 's'}\n`;
    return { stdout: '', stderr: head + p.errors.map((e) => `  ${e.path}: ${e.message}\n`).join('') + notes };
  }
  if (p.steps.length === 0)
    return { stdout: `nothing to do: ${node} reports what the spec says\n${notes}`, stderr: '' };
  const steps = p.steps.map((s, i) => `${String(i + 1).padStart(4)}. ${describeStep(s)}\n`).join('');
  return {
    stdout:
      `${p.steps.length} step${p.steps.length === 1 ? '' : 's'} on ${node}, against its reported ` +
      `kernelConfig:\n${steps}${notes}`,
    stderr: '',
  };
}
