// Spec generation. Three kinds of trial:
//   valid   — built to pass validation (conflicts dropped while building); mostly bridges and
//             bridgeless networks on the NICs with static IPv4/IPv6, a fifth with bonds and VLANs;
//   mutated — a valid spec with one thing dropped, replaced, garbled, duplicated or mistyped;
//   random  — every field drawn from the vocabulary, good values mostly, bad ones sometimes.
// Specs go through JSON before use: that is what the agent gets from the API server.
import fc from 'fast-check';
import { mutatedSpec } from './mutated-spec.js';
import { randomSpec } from './random-spec.js';
import { validSpec } from './valid-spec.js';

/** replayed: a spec from --specs, of no known kind (the oracle's valid-built rule does not apply). */
export type TrialKind = 'valid' | 'mutated' | 'random' | 'replayed';
export interface Trial {
  kind: TrialKind;
  spec: unknown;
  /** For mutated specs, what was done to the valid one. */
  mutation?: string;
}

export const trialArbitrary: fc.Arbitrary<Trial> = fc.oneof(
  { weight: 4, arbitrary: validSpec.map((spec): Trial => ({ kind: 'valid', spec })) },
  { weight: 4, arbitrary: mutatedSpec.map(([spec, mutation]): Trial => ({ kind: 'mutated', spec, mutation })) },
  { weight: 3, arbitrary: randomSpec.map((spec): Trial => ({ kind: 'random', spec })) },
);

/** n trials, the same for the same seed; each spec as JSON would carry it. */
export function generateTrials(n: number, seed: number): Trial[] {
  if (n <= 0) return [];
  return fc.sample(trialArbitrary, { numRuns: n, seed }).map((t) => ({ ...t, spec: JSON.parse(JSON.stringify(t.spec ?? null)) as unknown }));
}
