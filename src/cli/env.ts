// What the process environment may set, read once by the entry points (the verbs in src/cli)
// and passed down as options: nothing under src/apply, src/handler or src/k8s reads process.env.

/**
 * Crash tests (test/integration/apply-crash.test.ts): SIGKILL the process once that many kernel
 * operations of an apply ran; one more than the apply has kills it right after the commit point.
 */
export const CRASH_ENV = 'OVNH_TEST_CRASH_AFTER_STEP';

export function crashPointFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = env[CRASH_ENV];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${CRASH_ENV}=${v}: expected a non-negative integer`);
  return n;
}
