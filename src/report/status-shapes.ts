// Pure pieces of the agent's reporting: the status shapes the seed showed (infoStatus,
// setupStatus), the Kubernetes-style conditions of each phase of an apply, and the patch of the
// top-level fields that changed.
import { isDeepStrictEqual } from 'node:util';
import type { Condition, Outcome } from '../api/status.js';

export type { Condition, Outcome };

export function success(reason = '', message = ''): Outcome {
  return { Success: { reason, message } };
}

export function failed(reason: string, message: string): Outcome {
  return { Failed: { reason, message: shortMessage(message) } };
}

/** A status message is for a person: one paragraph, no stack trace, bounded. */
export function shortMessage(message: string, max = 1000): string {
  const lines = message.split('\n').filter((l) => !/^\s+at /.test(l));
  const text = lines.join('\n').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export type Phase =
  | { kind: 'progressing'; generation: number }
  | { kind: 'available'; generation: number; message?: string }
  | { kind: 'failed'; generation: number; reason: string; message: string; rolledBack: boolean }
  /** The kernel no longer has what generation applied; `healing`: it is being applied again. */
  | { kind: 'drifted'; generation: number; message: string; healing: boolean };

type Want = Omit<Condition, 'lastTransitionTime'>;

/** The three conditions for a phase; lastTransitionTime only moves when a status flips. */
export function conditionsFor(phase: Phase, previous: Condition[] | undefined, now = new Date()): Condition[] {
  return wantedConditions(phase).map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now.toISOString();
    return { ...c, message: shortMessage(c.message, 500), lastTransitionTime };
  });
}

/** Available, Progressing and Degraded, in that order, as a phase sets them. */
function wantedConditions(phase: Phase): Want[] {
  switch (phase.kind) {
    case 'progressing':
      return progressingConditions(phase.generation);
    case 'drifted':
      return driftedConditions(phase);
    case 'available':
      return availableConditions(phase.generation, phase.message);
    case 'failed':
      return failedConditions(phase);
  }
}

function progressingConditions(g: number): Want[] {
  return [
    {
      type: 'Available',
      status: 'False',
      reason: 'Progressing',
      message: `applying generation ${g}`,
      observedGeneration: g,
    },
    {
      type: 'Progressing',
      status: 'True',
      reason: 'Applying',
      message: `applying generation ${g}`,
      observedGeneration: g,
    },
    { type: 'Degraded', status: 'False', reason: 'Progressing', message: '', observedGeneration: g },
  ];
}

function driftedConditions(phase: Extract<Phase, { kind: 'drifted' }>): Want[] {
  const g = phase.generation;
  return [
    { type: 'Available', status: 'False', reason: 'Drifted', message: phase.message, observedGeneration: g },
    {
      type: 'Progressing',
      status: phase.healing ? 'True' : 'False',
      reason: phase.healing ? 'Healing' : 'Drifted',
      message: phase.healing ? `applying generation ${g} again` : '',
      observedGeneration: g,
    },
    { type: 'Degraded', status: 'True', reason: 'Drifted', message: phase.message, observedGeneration: g },
  ];
}

function availableConditions(g: number, message: string | undefined): Want[] {
  return [
    {
      type: 'Available',
      status: 'True',
      reason: 'SuccessfullyConfigured',
      message: message ?? `generation ${g} applied`,
      observedGeneration: g,
    },
    { type: 'Progressing', status: 'False', reason: 'SuccessfullyConfigured', message: '', observedGeneration: g },
    { type: 'Degraded', status: 'False', reason: 'SuccessfullyConfigured', message: '', observedGeneration: g },
  ];
}

function failedConditions(phase: Extract<Phase, { kind: 'failed' }>): Want[] {
  const g = phase.generation;
  return [
    { type: 'Available', status: 'False', reason: phase.reason, message: phase.message, observedGeneration: g },
    { type: 'Progressing', status: 'False', reason: phase.reason, message: '', observedGeneration: g },
    {
      type: 'Degraded',
      status: 'True',
      reason: phase.reason,
      message: phase.rolledBack ? `${phase.message} (rolled back to the previous configuration)` : phase.message,
      observedGeneration: g,
    },
  ];
}

/**
 * The merge patch that brings `reported` to `next`, limited to the given top-level keys,
 * or undefined when nothing changed (so nothing is written).
 */
export function statusPatch(
  reported: Record<string, unknown>,
  next: Record<string, unknown>,
  keys: readonly string[],
): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  for (const k of keys) {
    if (!(k in next)) continue;
    if (!isDeepStrictEqual(reported[k], next[k])) patch[k] = next[k];
  }
  return Object.keys(patch).length ? patch : undefined;
}
