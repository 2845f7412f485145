// Route tables allocated, not hashed (src/apply/compile/tables.ts): any set of networks gets
// distinct tables (names the old hash gave one table included), a network keeps its table as
// others come and go, the kernel's tables are never taken, and a state of the previous version
// keeps the tables it has in the kernel. Then the same through the compiler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RunningConfig } from '../../src/api/config.js';
import type { NetworkSpec } from '../../src/api/spec.js';
import { compile, emptyOrigins, type Compiled, type Origins } from '../../src/apply/compile/index.js';
import { adoptedTable, allocateRouteTables, isAllocatable, legacyRouteTable, TABLE_BASE, tableId } from '../../src/apply/compile/tables.js';
import type { CompileFacts, LinkFact } from '../../src/apply/compile/facts.js';
import { describeOp } from '../../src/apply/ops.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { fnv1a32 } from '../../src/util/hash.js';

/**
 * Two valid network names with equal FNV-1a hashes, found by a birthday search over
 * pseudo-random 8-character names (a fixed seed: about 70k names, well under a second).
 */
function fnvCollision(): [string, string] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const seen = new Map<number, string>();
  let x = 1;
  for (;;) {
    let s = 'n';
    for (let k = 0; k < 7; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      s += alphabet[(x >>> 16) % alphabet.length];
    }
    const h = fnv1a32(s);
    const o = seen.get(h);
    if (o !== undefined && o !== s) return [o, s];
    seen.set(h, s);
  }
}

const [A, B] = fnvCollision();

test('the crafted pair collides under the old hash', () => {
  assert.notEqual(A, B);
  assert.equal(fnv1a32(A), fnv1a32(B));
  assert.equal(legacyRouteTable(A), legacyRouteTable(B));
});

const distinct = (t: Record<string, number>) => new Set(Object.values(t)).size === Object.keys(t).length;
const names = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 15 }), { maxLength: 30 });
const ids = fc.array(fc.oneof(fc.integer({ min: TABLE_BASE, max: TABLE_BASE + 64 }), fc.integer({ min: 0, max: 0xffffffff })), { maxLength: 20 });

test('any set of networks (the colliding pair and every Object.prototype name among them) gets distinct tables the kernel does not use', () => {
  const proto = Object.getOwnPropertyNames(Object.prototype);
  fc.assert(fc.property(names, ids, fc.boolean(), (ns, inUse, withProto) => {
    const all = [...ns, A, B, ...(withProto ? proto : [])];
    // Recorded: the old hash for every network (a migrated state), so the pair asks for one id.
    const recorded = Object.fromEntries(all.map((n) => [n, legacyRouteTable(n)]));
    const t = allocateRouteTables({ networks: all, recorded, inUse });
    assert.deepEqual(Object.keys(t).sort(), [...new Set(all)].sort());
    assert.ok(distinct(t));
    for (const [n, id] of Object.entries(t)) {
      assert.ok(isAllocatable(id), `${n}: ${id}`);
      // A fresh id never is one the kernel uses (a kept one is the network's own).
      if (id !== recorded[n]) assert.ok(!inUse.includes(id), `${n} took ${id}, which the kernel uses`);
    }
  }));
});

test('a network keeps its table while others are added and removed', () => {
  fc.assert(fc.property(names, names, ids, (before, added, inUse) => {
    const first = allocateRouteTables({ networks: [...before, A], recorded: {}, inUse });
    const removed = new Set(before.filter((_, i) => i % 2 === 0));
    const now = [...before.filter((n) => !removed.has(n)), ...added, A, B];
    // The kernel now shows the tables of the first allocation too (its routes and rules).
    const second = allocateRouteTables({ networks: now, recorded: first, inUse: [...inUse, ...Object.values(first)] });
    assert.ok(distinct(second));
    for (const n of now) if (Object.hasOwn(first, n)) assert.equal(second[n], first[n], `${n} moved`);
    // A fresh network never takes the table of one that is gone in the same transaction.
    const gone = new Set([...removed].filter((n) => !now.includes(n)).map((n) => first[n]));
    for (const n of now) if (!Object.hasOwn(first, n)) assert.ok(!gone.has(second[n]!), `${n} took a table freed now`);
  }));
});

test('the old hash\'s pair on migration: the first by name keeps its table, the other gets the lowest free one', () => {
  const [lo, hi] = [A, B].sort() as [string, string];
  const t = allocateRouteTables({ networks: [hi, lo], recorded: { [lo]: legacyRouteTable(lo), [hi]: legacyRouteTable(hi) }, inUse: [legacyRouteTable(lo), TABLE_BASE] });
  assert.equal(t[lo], legacyRouteTable(lo));
  assert.equal(t[hi], TABLE_BASE + 1);
});

test('a recorded id the allocator would not hand out (reserved, out of range, not an integer) is replaced', () => {
  for (const bad of [0, 252, 253, 254, 255, 1, TABLE_BASE - 1, 0xffffffff, 2 ** 32, -1, 1.5, Number.NaN, Infinity]) {
    const t = allocateRouteTables({ networks: ['net1'], recorded: { net1: bad }, inUse: [] });
    assert.equal(t.net1, TABLE_BASE, String(bad));
  }
});

test('table names as ip prints them: numbers only are ids', () => {
  assert.equal(tableId('268435456'), 268435456);
  for (const s of ['main', 'local', 'default', 'mgmt', '', '-1', '1e3', '0x10', '4294967296', '99999999999']) assert.equal(tableId(s), undefined, s);
});

test('adoption: the table the kernel shows for the network\'s device, else the old hash', () => {
  const route = (table: string, dev = 'net1', protocol = 'static') => ({ family: 4 as const, dst: 'default', gateway: '192.0.2.1', dev, table, type: 'unicast', protocol });
  assert.equal(adoptedTable('net1', 'net1', [route('main'), route(String(TABLE_BASE + 7))], 'static'), TABLE_BASE + 7);
  assert.equal(adoptedTable('net1', 'net1', [route(String(TABLE_BASE + 7), 'other')], 'static'), legacyRouteTable('net1'));
  assert.equal(adoptedTable('net1', 'net1', [route(String(TABLE_BASE + 7), 'net1', 'dhcp')], 'static'), legacyRouteTable('net1'));
  assert.equal(adoptedTable('net1', 'net1', [route('100')], 'static'), legacyRouteTable('net1'));
});

// ---- through the compiler ----

const DEFAULT_SYSCTLS = { accept_ra: '1', autoconf: '1', disable_ipv6: '0' };
const cfg = (networks: Record<string, NetworkSpec>): RunningConfig => canonicalize({ networks, bondings: {} });
const bridge = (name: string): LinkFact => ({ name, kind: 'bridge', mtu: 1500, hwaddr: '02:00:00:00:00:01', up: true, addresses: [] });
const host = (links: LinkFact[], extra: Partial<CompileFacts> = {}): CompileFacts => ({
  links: Object.fromEntries(links.map((l) => [l.name, l])), routes: [], sysctls: { default: { ...DEFAULT_SYSCTLS } }, resolv: undefined, ...extra,
});
const run = (from: RunningConfig, to: RunningConfig, h: CompileFacts, origins: Origins = emptyOrigins()): Compiled => compile({ from, to, host: h, origins, resolvConf: '/tmp/resolv.conf' });
const lines = (c: Compiled) => c.ops.map((p) => describeOp(p.op));
const tableOfLine = (c: Compiled, re: RegExp) => {
  const l = lines(c).find((x) => re.test(x));
  assert.ok(l, `no operation matches ${re}:\n${lines(c).join('\n')}`);
  return Number(/ table (\d+)/.exec(l)![1]);
};
const gw = (i: number): NetworkSpec => ({ ipaddr: `192.0.${i}.2`, prefix: 24, gateway: `192.0.${i}.1`, ipv6addr: `2001:db8:${i}::2/64`, ipv6gateway: `2001:db8:${i}::1` });

test('two networks the old hash gave one table: distinct tables for routes and rules of both families, recorded in origins', () => {
  const to = cfg({ [A]: gw(1), [B]: gw(2) });
  const c = run(cfg({}), to, host([]));
  const ta = tableOfLine(c, /^ip rule add from 192\.0\.1\.2\/32 table/);
  const tb = tableOfLine(c, /^ip rule add from 192\.0\.2\.2\/32 table/);
  assert.notEqual(ta, tb);
  assert.equal(tableOfLine(c, new RegExp(`^ip route replace 0\\.0\\.0\\.0/0 via 192\\.0\\.1\\.1 dev ${A} table`)), ta);
  assert.equal(tableOfLine(c, new RegExp(`^ip route replace ::/0 via 2001:db8:1::1 dev ${A} .*table`)), ta);
  assert.equal(tableOfLine(c, /^ip -6 rule add from 2001:db8:2::2\/128 table/), tb);
  assert.deepEqual(c.originsAfter.routeTables, { [A]: ta, [B]: tb });
});

test('removing one of them takes its rules and routes out of its own table, and frees it; the other keeps its own', () => {
  const both = cfg({ [A]: gw(1), [B]: gw(2) });
  const first = run(cfg({}), both, host([]));
  const tables = first.originsAfter.routeTables!;
  // The kernel has what the first transaction made of B (a route it lacked would be put back).
  const bRoutes = [4, 6].map((family) => ({
    family: family as 4 | 6, dst: 'default', gateway: family === 4 ? '192.0.2.1' : '2001:db8:2::1', dev: B,
    table: String(tables[B]), type: 'unicast', protocol: 'static', ...(family === 6 ? { metric: 1024 } : {}),
  }));
  const c = run(both, cfg({ [B]: gw(2) }), host([bridge(A), bridge(B)], { routes: bRoutes }), first.originsAfter);
  assert.equal(tableOfLine(c, /^ip rule del from 192\.0\.1\.2\/32 table/), tables[A]);
  assert.equal(tableOfLine(c, /^ip -6 rule del from 2001:db8:1::2\/128 table/), tables[A]);
  assert.ok(!lines(c).some((l) => l.includes(`table ${tables[B]}`)), 'nothing of the network that stays is touched');
  assert.deepEqual(c.originsAfter.routeTables, { [B]: tables[B] });
});

test('a state of the previous version keeps the tables the kernel has; a hand-made table is never taken', () => {
  const was = cfg({ net1: gw(1) });
  const old = legacyRouteTable('net1');
  const routes = [
    { family: 4 as const, dst: 'default', gateway: '192.0.1.1', dev: 'net1', table: String(old), type: 'unicast', protocol: 'static' },
    { family: 6 as const, dst: 'default', gateway: '2001:db8:1::1', dev: 'net1', table: String(old), type: 'unicast', protocol: 'static', metric: 1024 },
    { family: 4 as const, dst: '10.9.0.0/16', gateway: '192.0.1.9', dev: 'net1', table: String(TABLE_BASE), type: 'unicast', protocol: 'boot' },
  ];
  const h = host([bridge('net1')], { routes, rules: [{ table: String(TABLE_BASE + 1) }] });
  const same = run(was, was, h);
  assert.deepEqual(lines(same), []);
  assert.deepEqual(same.originsAfter.routeTables, { net1: old });
  // A new network avoids the tables the kernel's routes and rules use.
  const more = run(was, cfg({ net1: gw(1), net2: gw(2) }), h);
  assert.equal(tableOfLine(more, /^ip rule add from 192\.0\.2\.2\/32 table/), TABLE_BASE + 2);
  assert.equal(more.originsAfter.routeTables!.net1, old);
});
