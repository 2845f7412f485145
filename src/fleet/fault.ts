// One policy's failure stays that policy's: the core runs each policy's part of a stage through
// attempt(), and a throw (a bug, or input no check foresaw) becomes a refusal or a Degraded
// status of that policy with the message, while the others are decided as usual.

/** An exception as one line for a status message: its type, message and where it was thrown. */
export function faultMessage(e: unknown): string {
  if (!(e instanceof Error)) {
    try {
      return `threw ${String(e)}`.slice(0, 500);
    } catch {
      return 'threw a value that cannot be printed';
    }
  }
  const where = e.stack
    ?.split('\n')
    .find((l) => l.trim().startsWith('at '))
    ?.trim();
  return `${e.name}: ${e.message}${where ? ` (${where})` : ''}`.slice(0, 500);
}

export type Attempt<T> = { ok: true; value: T } | { ok: false; message: string };

export function attempt<T>(fn: () => T): Attempt<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    return { ok: false, message: faultMessage(e) };
  }
}
