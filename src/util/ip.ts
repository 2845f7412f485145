// IPv4/IPv6 address arithmetic for canonicalization and validation. Strict parsers (no leading
// zeros, no shorthand like "10.1") because what the spec says is what `ip` will be given.

/** "a.b.c.d" -> 32-bit unsigned number; undefined unless four decimal octets without leading zeros. */
export function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIpv4(s: string): boolean {
  return parseIpv4(s) !== undefined;
}

/**
 * 24 -> 0xffffff00 (unsigned). A prefix outside 0..32 is clamped to it: a shift by 32 - prefix
 * would otherwise wrap (JS shifts count mod 32) and give a mask of the wrong length.
 */
export function prefixToMask(prefix: number): number {
  if (prefix <= 0) return 0;
  return prefix >= 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
}

/** 24 -> "255.255.255.0" (prefix clamped to 0..32). */
export function prefixToNetmask(prefix: number): string {
  return formatIpv4(prefixToMask(prefix));
}

/**
 * "255.255.255.0" -> 24; undefined when not a strict dotted quad (see parseIpv4) or not
 * contiguous ones then zeros. Callers that cannot go on without a prefix throw themselves, with
 * a message naming the field.
 */
export function netmaskToPrefix(mask: string): number | undefined {
  const n = parseIpv4(mask);
  if (n === undefined) return undefined;
  const prefix = Math.clz32(~n >>> 0);
  return prefixToMask(prefix) === n ? prefix : undefined;
}

/** 128-bit value of an IPv6 address (RFC 4291 text forms, incl. "::" and a trailing dotted quad). */
export function parseIpv6(s: string): bigint | undefined {
  if (s.length === 0 || s.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  let text = s;
  const tail: number[] = [];
  // An embedded IPv4 address counts as the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    if (lastColon < 0) return undefined;
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail.push(v4 >>> 16, v4 & 0xffff);
    // "::ffff:1.2.3.4" -> "::ffff", "::1.2.3.4" -> "::" (a "::" must survive).
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  const rest = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const explicit = head.length + rest.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (explicit > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
  } else {
    if (explicit !== 8) return undefined;
    groups = [...head, ...tail];
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

export function isIpv6(s: string): boolean {
  return parseIpv6(s) !== undefined;
}

/**
 * RFC 5952 text, as the kernel and `ip` print it (glibc inet_ntop): lowercase, the longest run
 * of two or more zero groups as "::" (the first on a tie), IPv4-mapped/compatible as dotted quad.
 */
export function formatIpv6(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const dotted = bestStart === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff));
  const hexGroups = dotted ? groups.slice(0, 6) : groups;
  const hex = hexGroups.map((g) => g.toString(16));
  let text: string;
  if (bestStart < 0) {
    text = hex.join(':');
  } else {
    const end = Math.min(bestStart + bestLen, hex.length);
    text = `${hex.slice(0, bestStart).join(':')}::${hex.slice(end).join(':')}`;
  }
  if (dotted) {
    const v4 = (groups[6]! << 16) | groups[7]!;
    text = `${text}${text.endsWith(':') ? '' : ':'}${formatIpv4(v4 >>> 0)}`;
  }
  return text;
}

/** Canonical text of an IPv6 address, or undefined if it is not one. */
export function canonicalIpv6(s: string): string | undefined {
  const v = parseIpv6(s);
  return v === undefined ? undefined : formatIpv6(v);
}

/** "addr/prefix" with prefix 0..128, or undefined. */
export function parseIpv6Cidr(s: string): { address: bigint; prefix: number } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpv6(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
  const prefix = Number(p);
  return prefix <= 128 ? { address, prefix } : undefined;
}

export function isIpv6Cidr(s: string): boolean {
  return parseIpv6Cidr(s) !== undefined;
}

export function canonicalIpv6Cidr(s: string): string | undefined {
  const c = parseIpv6Cidr(s);
  return c === undefined ? undefined : `${formatIpv6(c.address)}/${c.prefix}`;
}

/** "a.b.c.d/len" with len 0..32, or undefined. */
export function parseIpv4Cidr(s: string): { address: number; prefix: number } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpv4(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9]\d?)$/.test(p)) return undefined;
  const prefix = Number(p);
  return prefix <= 32 ? { address, prefix } : undefined;
}

export function isIpv4Cidr(s: string): boolean {
  return parseIpv4Cidr(s) !== undefined;
}

/** An IPv4 or IPv6 address (nameservers may be either). */
export function isIpAddress(s: string): boolean {
  return isIpv4(s) || isIpv6(s);
}

/** Nameservers keep their family's canonical text so the spec and resolv.conf compare equal. */
export function canonicalIp(s: string): string {
  return isIpv4(s) ? s : (canonicalIpv6(s) ?? s);
}

/** Whether an IPv4 address lies in the subnet of "a.b.c.d/len" (a gateway on-link through that address). */
export function inIpv4Subnet(addr: string, cidr: string): boolean {
  const [net, len] = cidr.split('/') as [string, string | undefined];
  const a = parseIpv4(addr);
  const n = parseIpv4(net);
  if (a === undefined || n === undefined) return false;
  const mask = prefixToMask(Number(len ?? 32));
  return (a & mask) >>> 0 === (n & mask) >>> 0;
}
