// "k=v k=v" option strings (bridgeOpts, bond options): one reading for the validators, the
// canonicalizers and the kernel-side comparisons, so that what validation accepts is exactly
// what the others see as pairs.
//
// A token is a pair when it has a non-empty key before its first '=' and a non-empty value
// after it; the value is the rest of the token, '=' and ',' included (arp_ip_target=a,b).

/** The whitespace-separated words of s ("" and undefined: none). */
export function words(s: string | undefined): string[] {
  return (s ?? '').split(/\s+/).filter(Boolean);
}

/** One token as [key, value], or undefined when it is not key=value (no key, no value). */
export function splitKvToken(tok: string): [string, string] | undefined {
  const eq = tok.indexOf('=');
  return eq > 0 && eq < tok.length - 1 ? [tok.slice(0, eq), tok.slice(eq + 1)] : undefined;
}

/** The pairs of s in order (a key may repeat), and the tokens that are not pairs. */
export function splitKv(s: string | undefined): { pairs: [string, string][]; bad: string[] } {
  const pairs: [string, string][] = [];
  const bad: string[] = [];
  for (const tok of words(s)) {
    const kv = splitKvToken(tok);
    if (kv) pairs.push(kv);
    else bad.push(tok);
  }
  return { pairs, bad };
}

/**
 * The pairs of s as a record: the last value of a repeated key wins, tokens that are not pairs
 * are ignored (validation reports them). Own properties only, so even "__proto__" is a key.
 */
export function parseKv(s: string | undefined): Record<string, string> {
  return Object.fromEntries(splitKv(s).pairs);
}

/** parseKv, but a token that is not a pair throws, naming what the string holds ("bond option"). */
export function parseKvStrict(s: string | undefined, what: string): Record<string, string> {
  const { pairs, bad } = splitKv(s);
  if (bad.length) throw new Error(`${what} "${bad[0]}" is not key=value`);
  return Object.fromEntries(pairs);
}

/** Two spellings of one value: "0x0" and "0", "100" and "0100", MAC addresses in either case. */
export function sameOptionValue(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.toLowerCase() === b.toLowerCase() && /^[0-9a-f:]+$/i.test(a)) return true;
  const na = Number(a),
    nb = Number(b);
  return a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && na === nb;
}
