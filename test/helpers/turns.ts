// Waiting in unit tests without the wall clock: the code under test runs on in-memory fakes, so
// whatever it does next happens within a few turns of the event loop. setImmediate is never
// mocked (tests mock setTimeout/setInterval with node:test's mock.timers), so these keep working
// while timers are frozen.

/** Lets the event loop turn n times (microtasks and I/O callbacks run in between). */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Turns the event loop until cond holds; fails after maxTurns (something that should follow never did). */
export async function until(what: string, cond: () => boolean, maxTurns = 2000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`${what}: not within ${maxTurns} turns of the event loop`);
}

/** A promise with its resolve, for fakes that hold an operation until the test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve: (v: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Runs a mock clock forward in steps until p settles: for code that sleeps between attempts
 * (the clock moves only while p is pending, so its waits are measured in mock time).
 */
export async function advancing<T>(clock: { tick(ms: number): void }, p: Promise<T>, stepMs = 100, maxMs = 600_000): Promise<T> {
  let settled = false;
  p.then(() => (settled = true), () => (settled = true));
  for (let elapsed = 0; ; elapsed += stepMs) {
    await turns(5);
    if (settled) return p;
    if (elapsed > maxMs) throw new Error(`still pending after ${maxMs} ms of mock time`);
    clock.tick(stepMs);
  }
}
