// Static addresses from a policy's pools. Nothing is stored apart from the nodes' objects: the
// address a node has is the one the policy's field manager wrote into its OvirtNodeNetwork spec,
// so a restarted controller rebuilds every allocation by reading the objects, and a node that
// leaves the policy frees its address when the removal takes it out of the spec. Only what the
// controller and the cluster's admins wrote (specs; agents cannot write specs) decides who has
// what: a node's own report (status.kernelConfig) never takes, moves or exhausts an address (see
// addresses.ts for the one bounded exception, an address being released). Allocation is
// deterministic: held addresses are kept while valid; the others get the lowest free address,
// nodes in name order.
import type { Ipam } from '../api/policy.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv4Cidr, parseIpv6, parseIpv6Cidr } from '../util/ip.js';

export type Family = 4 | 6;

/** A pool as numbers: the addresses a node may get are first..last, minus the excluded ones. */
export interface Pool {
  family: Family;
  prefix: number;
  first: bigint;
  last: bigint;
  /** The gateway: never a node's address. */
  excluded: readonly bigint[];
}

export function parseAddress(family: Family, s: string): bigint | undefined {
  if (family === 4) {
    const n = parseIpv4(s);
    return n === undefined ? undefined : BigInt(n);
  }
  return parseIpv6(s);
}

export function formatAddress(family: Family, v: bigint): string {
  return family === 4 ? formatIpv4(Number(v)) : formatIpv6(v);
}

/** An address written with or without "/prefix" (ipv6addr carries one). */
export function addressOf(family: Family, s: string): bigint | undefined {
  return parseAddress(family, s.includes('/') ? s.slice(0, s.indexOf('/')) : s);
}

/**
 * The pool of `ipam` (field path `at`), or the errors naming the field: a network address with
 * its prefix, a range of two addresses inside it in order, a gateway inside it, room for a host.
 */
export function parsePool(
  family: Family,
  ipam: Ipam,
  gateway: string | undefined,
  at: string,
): { pool: Pool } | { errors: { path: string; message: string }[] } {
  const errors: { path: string; message: string }[] = [];
  const bits = family === 4 ? 32 : 128;
  const cidr = family === 4 ? parseIpv4Cidr(ipam.pool) : parseIpv6Cidr(ipam.pool);
  if (!cidr)
    return { errors: [{ path: `${at}.pool`, message: `must be an IPv${family} network with its prefix length` }] };
  const prefix = cidr.prefix;
  const hostBits = BigInt(bits - prefix);
  const address = BigInt(cidr.address);
  const network = (address >> hostBits) << hostBits;
  if (network !== address)
    errors.push({
      path: `${at}.pool`,
      message: `has host bits set: the network is ${formatAddress(family, network)}/${prefix}`,
    });
  const top = network + (1n << hostBits) - 1n;
  // Not the network address (IPv4; IPv6's subnet-router anycast), nor IPv4's broadcast, on any
  // subnet with room for them.
  let first = prefix < bits - 1 ? network + 1n : network;
  let last = family === 4 && prefix < 31 ? top - 1n : top;
  if (prefix > bits - 1 && family === 6) first = network;
  if (ipam.range !== undefined) {
    const [a, b] = ipam.range.split('-') as [string, string];
    const lo = parseAddress(family, a);
    const hi = parseAddress(family, b);
    if (lo === undefined || hi === undefined)
      errors.push({ path: `${at}.range`, message: `must be two IPv${family} addresses "first-last"` });
    else if (lo > hi) errors.push({ path: `${at}.range`, message: `starts after it ends (${a} > ${b})` });
    else if (lo < first || hi > last)
      errors.push({
        path: `${at}.range`,
        message:
          `must lie inside the pool's host addresses ` +
          `${formatAddress(family, first)}-${formatAddress(family, last)}`,
      });
    else {
      first = lo;
      last = hi;
    }
  }
  const excluded: bigint[] = [];
  if (gateway !== undefined) {
    const g = parseAddress(family, gateway);
    if (g === undefined || g < network || g > top)
      errors.push({
        path: `${at.replace(/ipv6ipam$|ipam$/, '')}${family === 4 ? 'gateway' : 'ipv6gateway'}`,
        message: `must be inside the pool ${ipam.pool}`,
      });
    else excluded.push(g);
  }
  if (errors.length) return { errors };
  if (first > last || last - first + 1n <= BigInt(excluded.filter((g) => g >= first && g <= last).length)) {
    return { errors: [{ path: `${at}.pool`, message: 'has no address to hand out' }] };
  }
  return { pool: { family, prefix, first, last, excluded } };
}

/** One pool of one network of one policy, and the nodes that need an address from it. */
export interface AllocationRequest {
  /** Orders the requests (the older policy's first) and names the result. */
  key: string;
  /** The network the pool is for. */
  network: string;
  pool: Pool;
  /** Nodes needing an address, with the address their spec holds now (if any). */
  nodes: readonly { node: string; held?: bigint }[];
}

export interface AllocationResult {
  /** By request key, then node. */
  assigned: Map<string, Map<string, bigint>>;
  /** Nodes the pool had no address left for, by request key. */
  exhausted: Map<string, string[]>;
}

/**
 * Addresses for every request at once. `taken` (by address, its holders for messages) is what no
 * node gets anew: addresses in node specs, and addresses being released. A held address (one the
 * controller gave the node) is kept when it is in its pool, not excluded, and no earlier holder
 * kept it (two holders of one address — only an edit of the controller's entries makes that — keep
 * it for the first in order and move the others); nothing else can displace it. Every other node
 * gets the lowest address of its pool not taken or kept, requests in key order, nodes in name order.
 */
export function allocate(
  requests: readonly AllocationRequest[],
  taken: ReadonlyMap<bigint, readonly string[]>,
): AllocationResult {
  const used = new Set<bigint>(taken.keys());
  const assigned = new Map<string, Map<string, bigint>>();
  const exhausted = new Map<string, string[]>();
  const ordered = [...requests].sort((a, b) => cmp(a.key, b.key));
  const waiting: { req: AllocationRequest; node: string }[] = [];
  const kept = new Set<bigint>();
  for (const req of ordered) {
    const out = new Map<string, bigint>();
    assigned.set(req.key, out);
    for (const { node, held } of [...req.nodes].sort((a, b) => cmp(a.node, b.node))) {
      if (held !== undefined && inPool(req.pool, held) && !kept.has(held)) {
        out.set(node, held);
        kept.add(held);
      } else waiting.push({ req, node });
    }
  }
  const cursor = new Map<string, bigint>();
  for (const { req, node } of waiting) {
    let a = cursor.get(req.key) ?? req.pool.first;
    while (a <= req.pool.last && (used.has(a) || kept.has(a) || req.pool.excluded.includes(a))) a++;
    if (a > req.pool.last) {
      exhausted.set(req.key, [...(exhausted.get(req.key) ?? []), node]);
      continue;
    }
    used.add(a);
    cursor.set(req.key, a + 1n);
    assigned.get(req.key)!.set(node, a);
  }
  return { assigned, exhausted };
}

/** Whether the pool hands out `a`. */
export function inPool(pool: Pool, a: bigint): boolean {
  return a >= pool.first && a <= pool.last && !pool.excluded.includes(a);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
