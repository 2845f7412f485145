// Text for messages.

export function clip(s: string | undefined, n: number): string {
  if (s === undefined) return 'undefined';
  return s.length > n ? `${s.slice(0, n)}…(${s.length})` : s;
}
