// Route tables of VDSM's per-network source routing: allocated, not hashed. Each network that
// routes by source gets a table id unique on the node, chosen from the ids nothing uses (not the
// persisted allocation, not any table the kernel shows in its routes or rules, so a hand-made
// table is never taken), recorded in origins.json with the running config (commit point: see
// transaction.ts), kept for as long as the network needs one, freed with it. Pure.
import type { Route } from '../../model/host-state.js';
import type { TopDev } from '../../model/layout.js';
import { fnv1a32 } from '../../util/hash.js';

/**
 * Whether a network's top device routes by source (VDSM's per-network gateways): a static
 * gateway of a family it has an address of, on a network that does not hold the default route.
 * Exactly these networks get a route table (below); addressing.ts topRoutes puts their gateway there.
 */
export function sourceRouted(t: TopDev): boolean {
  if (t.defaultRoute) return false;
  return (!t.dhcp4 && !!t.gateway && !!t.ipv4) || (!t.dhcp6 && !!t.ipv6gateway && !!t.ipv6);
}

/** Where allocated tables start: above the reserved ids (0, 253-255) and out of the way of small hand-made tables. */
export const TABLE_BASE = 0x10000000;
/** The largest table id the allocator hands out (ids are unsigned 32-bit; 0xffffffff is RT_TABLE_MAX, left alone). */
export const TABLE_LAST = 0xfffffffe;
/** Ids the kernel gives a meaning (unspec, compat, default, main, local). */
const RESERVED = new Set([0, 252, 253, 254, 255]);

/**
 * The table the previous version chose for a network: a 32-bit FNV-1a hash of its name. Only for
 * adopting what a persisted config of that version put in the kernel (migration), never to
 * choose a table: two names may hash alike.
 */
export function legacyRouteTable(network: string): number {
  return TABLE_BASE + (fnv1a32(network) % 0x6fffffff);
}

/** A table id the allocator may hand out or keep. */
export function isAllocatable(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= TABLE_BASE && id <= TABLE_LAST && !RESERVED.has(id);
}

/**
 * A kernel table name as `ip` prints it, as an id: numbers only (named tables are main, local, default, or rt_tables
 * entries).
 */
export function tableId(table: string): number | undefined {
  if (!/^\d{1,10}$/.test(table)) return undefined;
  const n = Number(table);
  return n <= 0xffffffff ? n : undefined;
}

/** Sets an own property whatever the key ("__proto__" included: a plain assignment would set the prototype). */
export function setOwn(o: Record<string, number>, k: string, v: number): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

export interface TableAllocationInput {
  /** The networks that need a table now. */
  networks: Iterable<string>;
  /** What each network had (persisted, or adopted from the kernel on migration); others' entries are freed. */
  recorded: Readonly<Record<string, number>>;
  /** Ids used by anything else: the kernel's routes and rules, the other side of a transaction. */
  inUse: Iterable<number>;
}

/**
 * One table per network, all distinct. A network keeps the table it had unless another network
 * listed before it (by name) already holds the same id (a pair the old hash gave one table, on
 * migration); every other network gets the lowest id from TABLE_BASE that nothing holds or uses.
 * So a network's table never changes because others come or go.
 */
export function allocateRouteTables(i: TableAllocationInput): Record<string, number> {
  const names = [...new Set(i.networks)].sort();
  const out: Record<string, number> = {};
  const held = new Set<number>();
  for (const n of names) {
    const had = Object.hasOwn(i.recorded, n) ? i.recorded[n] : undefined;
    if (isAllocatable(had) && !held.has(had)) {
      setOwn(out, n, had);
      held.add(had);
    }
  }
  const used = new Set(i.inUse);
  let next = TABLE_BASE;
  for (const n of names) {
    if (Object.hasOwn(out, n)) continue;
    while (held.has(next) || used.has(next) || RESERVED.has(next)) next++;
    if (next > TABLE_LAST) throw new Error('no route table id is free');
    setOwn(out, n, next);
    held.add(next);
  }
  return out;
}

/** Every numeric table id the kernel shows, in its routes and its rules. */
export function kernelTableIds(
  routes: readonly Pick<Route, 'table'>[],
  rules: readonly { table: string }[] = [],
): Set<number> {
  const out = new Set<number>();
  for (const r of [...routes, ...rules]) {
    const id = tableId(r.table);
    if (id !== undefined) out.add(id);
  }
  return out;
}

/**
 * Migration from a persisted state of the previous version (no table recorded): the table the
 * kernel shows for the network (a default route of a numeric table through its top device, of the
 * handler's protocol), else the old hash (what that version would have put there). An upgrade so
 * keeps every table where it is.
 */
export function adoptedTable(network: string, top: string, routes: readonly Route[], protocol: string): number {
  for (const r of routes) {
    if (r.dst !== 'default' || r.dev !== top || r.protocol !== protocol) continue;
    const id = tableId(r.table);
    if (id !== undefined && isAllocatable(id)) return id;
  }
  return legacyRouteTable(network);
}
