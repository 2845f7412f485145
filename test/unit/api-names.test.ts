// The one name rule (src/api/names.ts), fuzzed over every byte value: at the start, in the
// middle and at the end of a name, in each place a name is given (a network's key, a bond's key,
// a network's nic and bonding, a bond's nics), the rule's function, the zod schemas, validation
// and the CRDs' generated CEL (evaluated by test/helpers/cel-subset.ts) all agree with the rule
// as the README states it, for the node spec and the policy alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCrd, buildPolicyCrd } from '../../src/api/crd.js';
import { bondNameProblem, deviceNameCel, deviceNameProblem, quoteName } from '../../src/api/names.js';
import { PolicySpecSchema } from '../../src/api/policy.js';
import { BondSpecSchema, NetworkSpecSchema, SpecSchema } from '../../src/api/spec.js';
import { checkPolicySpec } from '../../src/fleet/validate.js';
import { validate } from '../../src/plan/validate.js';
import { compileCel } from '../helpers/cel-subset.js';

// ---- the rule, restated from the README (independently of src/api/names.ts) ----
const NAME_CHARS = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-');
const ALNUM = /^[A-Za-z0-9]$/;
function isDevice(n: string): boolean {
  return n.length >= 1 && n.length <= 15 && [...n].every((c) => NAME_CHARS.has(c)) && ALNUM.test(n[0]!)
    && !['all', 'default', 'lo', 'bonding_masters'].includes(n) && !/^if-?[0-9]/.test(n);
}
const isBond = (n: string): boolean => isDevice(n) && /^bond[A-Za-z0-9_]+$/.test(n);

/** Every byte value as a character, and a few beyond: a 2-byte, a 3-byte (a line separator), a 4-byte one, a lone surrogate. */
const CHARS = [...Array.from({ length: 256 }, (_, b) => String.fromCharCode(b)), 'ñ', '\u2028', '\u{1f600}', '\udc80'];

/** Names with c at the start, in the middle, at the end of a valid base. */
const placed = (base: string, c: string): string[] => [c + base, base.slice(0, 2) + c + base.slice(2), base + c];
const DEVICE_NAMES = [...new Set(CHARS.flatMap((c) => placed('net1', c)))];
const BOND_NAMES = [...new Set(CHARS.flatMap((c) => placed('bond1', c)))];
/** Names that stress the rest of the rule: lengths, reserved words, the "if" prefix, a leading "_". */
const EDGE = ['a', 'abcdefghijklmno', 'abcdefghijklmnop', 'all', 'default', 'lo', 'bonding_masters', 'if0', 'if12', 'if-3', 'if', 'ifx', 'if_1', 'iff0', 'xif0',
  '_a', '-a', '0', '9net', 'ALL', 'Lo', 'bond', 'bond_', 'bond-1', 'bondA', 'bond012345678901', 'bond01234567890', '.', '..', 'a.b', ''];

/** Names every JavaScript object has are refused separately (validate.ts RESERVED_NAMES); not this rule's business. */
const PROTO = new Set(Object.getOwnPropertyNames(Object.prototype));

test('the rule restated agrees with deviceNameProblem and bondNameProblem on every byte, everywhere in a name', () => {
  for (const n of [...DEVICE_NAMES, ...BOND_NAMES, ...EDGE]) {
    assert.equal(deviceNameProblem(n) === undefined, isDevice(n), `device ${quoteName(n)}: ${deviceNameProblem(n)}`);
    assert.equal(bondNameProblem(n) === undefined, isBond(n), `bond ${quoteName(n)}: ${bondNameProblem(n)}`);
  }
  // Sanity: the fuzz covers both sides.
  assert.ok(DEVICE_NAMES.filter(isDevice).length > 150 && DEVICE_NAMES.filter((n) => !isDevice(n)).length > 500);
});

test('messages print every name safely: printable ASCII only, the name quoted with escapes', () => {
  for (const n of [...DEVICE_NAMES, ...BOND_NAMES, ...EDGE]) {
    for (const m of [deviceNameProblem(n), bondNameProblem(n)]) {
      if (m !== undefined) assert.match(m, /^[\x20-\x7e]*$/, `${quoteName(n)}: ${quoteName(m)}`);
    }
    // quoteName is JSON: it reads back as the name.
    assert.equal(JSON.parse(quoteName(n)), n);
  }
});

test('zod: the network and bond maps, nic, bonding and nics take exactly the names of the rule', () => {
  for (const n of [...DEVICE_NAMES, ...EDGE]) {
    if (PROTO.has(n)) continue;
    assert.equal(SpecSchema.safeParse({ networks: { [n]: {} } }).success, isDevice(n), `network key ${quoteName(n)}`);
    assert.equal(NetworkSpecSchema.safeParse({ nic: n }).success, isDevice(n), `nic ${quoteName(n)}`);
    assert.equal(BondSpecSchema.safeParse({ nics: [n] }).success, isDevice(n), `nics[] ${quoteName(n)}`);
    assert.equal(PolicySpecSchema.safeParse({ networks: { [n]: {} } }).success, isDevice(n), `policy network key ${quoteName(n)}`);
  }
  for (const n of [...BOND_NAMES, ...EDGE]) {
    if (PROTO.has(n)) continue;
    assert.equal(SpecSchema.safeParse({ bondings: { [n]: { nics: ['eth1'] } } }).success, isBond(n), `bond key ${quoteName(n)}`);
    assert.equal(NetworkSpecSchema.safeParse({ bonding: n }).success, isBond(n), `bonding ${quoteName(n)}`);
    assert.equal(PolicySpecSchema.safeParse({ bondings: { [n]: { nics: ['eth1'] } } }).success, isBond(n), `policy bond key ${quoteName(n)}`);
  }
});

test('validate() and checkPolicySpec refuse exactly the names the rule refuses, each at its field', () => {
  const pathOf = (base: string, k: string) => (/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(k) ? `${base}.${k}` : `${base}[${quoteName(k)}]`);
  for (const n of [...DEVICE_NAMES, ...EDGE]) {
    if (PROTO.has(n)) continue;
    const key = validate({ networks: { [n]: {} } });
    assert.equal(key.length === 0, isDevice(n), `network ${quoteName(n)}: ${JSON.stringify(key)}`);
    if (!isDevice(n)) assert.ok(key.some((e) => e.path === pathOf('spec.networks', n)), JSON.stringify(key));
    const nic = validate({ networks: { net1: { nic: n, bridged: false } } });
    assert.equal(nic.length === 0, isDevice(n), `nic ${quoteName(n)}: ${JSON.stringify(nic)}`);
    if (!isDevice(n)) assert.deepEqual(nic.map((e) => e.path), ['spec.networks.net1.nic']);
    const slave = validate({ bondings: { bond1: { nics: [n] } } });
    assert.equal(slave.length === 0, isDevice(n), `nics[0] ${quoteName(n)}: ${JSON.stringify(slave)}`);
    if (!isDevice(n)) assert.deepEqual(slave.map((e) => e.path), ['spec.bondings.bond1.nics[0]']);
    const policy = checkPolicySpec({ networks: { [n]: {} } });
    assert.equal(policy.ok, isDevice(n), `policy network ${quoteName(n)}`);
    if (!policy.ok && !isDevice(n)) assert.ok(policy.errors.some((e) => e.path === pathOf('spec.networks', n)), JSON.stringify(policy.errors));
  }
  for (const n of [...BOND_NAMES, ...EDGE]) {
    if (PROTO.has(n)) continue;
    const key = validate({ bondings: { [n]: { nics: ['eth1'] } } });
    assert.equal(key.length === 0, isBond(n), `bond ${quoteName(n)}: ${JSON.stringify(key)}`);
    if (!isBond(n)) assert.ok(key.some((e) => e.path === pathOf('spec.bondings', n)), JSON.stringify(key));
    const bonding = validate({ networks: { net1: { bonding: n, bridged: false } }, bondings: { [n]: { nics: ['eth1'] } } });
    assert.equal(bonding.length === 0, isBond(n), `bonding ${quoteName(n)}: ${JSON.stringify(bonding)}`);
    if (!isBond(n)) assert.ok(bonding.some((e) => e.path === 'spec.networks.net1.bonding'), JSON.stringify(bonding));
  }
});

// ---- the CRDs ----

type Node = Record<string, unknown>;
function at(root: Node, path: string[]): Node {
  let n = root;
  for (const p of path) n = (p === '*' ? n.additionalProperties : p === '[]' ? n.items : (n.properties as Node)[p]) as Node;
  return n;
}
const specOf = (crd: Node) => at((crd as { spec: { versions: { schema: { openAPIV3Schema: Node } }[] } }).spec.versions[0]!.schema.openAPIV3Schema, ['spec']);
/** The one CEL rule of a node that mentions matches() (the name rule), compiled. */
function nameRule(n: Node): (v: unknown) => boolean {
  const rules = (n['x-kubernetes-validations'] as { rule: string }[]).filter((r) => r.rule.includes('.matches('));
  assert.equal(rules.length, 1);
  const f = compileCel(rules[0]!.rule);
  const max = n.maxLength as number | undefined;
  const min = n.minLength as number | undefined;
  return (v) => (typeof v !== 'string' || ((max === undefined || [...v].length <= max) && (min === undefined || v.length >= min))) && f(v as string);
}

for (const [kind, crd] of [['OvirtNodeNetwork', buildCrd()], ['OvirtNetworkPolicy', buildPolicyCrd()]] as const) {
  test(`the ${kind} CRD's CEL rules (maxLength with them) take exactly the names of the rule`, () => {
    const spec = specOf(crd as Node);
    const networks = nameRule(at(spec, ['networks']));
    const bondings = nameRule(at(spec, ['bondings']));
    const nic = nameRule(at(spec, ['networks', '*', 'nic']));
    const bonding = nameRule(at(spec, ['networks', '*', 'bonding']));
    const slave = nameRule(at(spec, ['bondings', '*', 'nics', '[]']));
    for (const n of [...DEVICE_NAMES, ...EDGE]) {
      assert.equal(networks({ [n]: {} }), isDevice(n), `network key ${quoteName(n)}`);
      assert.equal(nic(n), isDevice(n), `nic ${quoteName(n)}`);
      assert.equal(slave(n), isDevice(n), `nics[] ${quoteName(n)}`);
    }
    for (const n of [...BOND_NAMES, ...EDGE]) {
      assert.equal(bondings({ [n]: {} }), isBond(n), `bond key ${quoteName(n)}`);
      assert.equal(bonding(n), isBond(n), `bonding ${quoteName(n)}`);
    }
  });
}

test('the CEL subset reads the rule as generated, and refuses what it does not know', () => {
  assert.equal(compileCel(deviceNameCel('self'))('eth0'), true);
  assert.equal(compileCel(deviceNameCel('self'))('if3'), false);
  assert.throws(() => compileCel("self.startsWith('a')"), /unknown method/);
  assert.throws(() => compileCel("self.matches('a\\\\d')"), /escapes/);
});
