// The one pseudo-random source of the experiments: mulberry32 (Tommy Ettinger's 32-bit
// generator, public domain), seeded, so a trial's random choices (a kill's delay, a cut's point)
// are drawn again by a rerun with the same seed. Never Math.random() in an experiment: what it
// drew cannot be drawn again.

/** A generator of floats in [0, 1): the same seed gives the same sequence. */
export type Random = () => number;

/** mulberry32: 32 bits of state; each call advances it and returns a float in [0, 1). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of one experiment's stream, from the run's seed and the experiment's name (FNV-1a of
 * the name mixed into the seed): `--only kill --seed S` draws what the full run with seed S drew
 * for kill, whatever ran before it.
 */
export function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/** An integer in [0, n) from a generator (n >= 1). */
export function randomInt(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** A fresh seed for a run that was given none: printed and recorded so the run can be repeated. */
export function newSeed(): number {
  return Date.now() % 2_147_483_647;
}
