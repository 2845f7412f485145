// The summary of a run.
import type { TrialResult } from './protocol.js';

/** A failure's kind for the summary: the kernel's complaint without the step, device names and numbers. */
export function failureKind(r: Pick<TrialResult, 'reason' | 'message'>): string {
  const m = (r.message ?? '').replace(/^.*?: (?=(write|ip) )/, '')
    .replace(/\/(conf|class\/net)\/[^/\s]+\//g, '/$1/<dev>/').replace(/ name \S+ /g, ' name <dev> ');
  return `${r.reason}: ${m.replace(/\d+/g, 'N').slice(0, 140)}`;
}
