// resolv.conf: the one reading of its nameserver lines (the observer, the host facts, the
// compiler's "already as wanted?" check and the DNS probe) and the one way the handler writes it.

/** A nameserver line; the address is the first word after the keyword. */
const NAMESERVER = /^\s*nameserver\s+(\S+)/;

/** The nameservers of a resolv.conf (or of one of its lines), in file order. */
export function resolvNameservers(text: string | undefined): string[] {
  return (text ?? '').split('\n').flatMap((l) => NAMESERVER.exec(l)?.[1] ?? []);
}

/**
 * resolv.conf with its nameserver lines replaced by these: every other line is kept (blank lines
 * dropped), so the options and search domains the node had survive.
 */
export function resolvContent(current: string | undefined, nameservers: readonly string[]): string {
  const kept = (current ?? '').split('\n').filter((l) => l.trim() !== '' && !/^\s*nameserver\s/.test(l));
  return [...kept, ...nameservers.map((n) => `nameserver ${n}`)].join('\n') + '\n';
}
