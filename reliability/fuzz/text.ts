// Text for messages.

export function clip(s: string | undefined, n: number): string {
  if (s === undefined) return 'undefined';
  return s.length > n ? `${s.slice(0, n)}…(${s.length})` : s;
}

/** An exception as a problem's text: its stack where it has one. */
export function errorText(e: unknown): string {
  return (e as Error).stack ?? String(e);
}
