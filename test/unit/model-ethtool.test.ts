// The ethtool feature rule (src/api/names.ts featureNameProblem) and the parser of `ethtool
// --json -k` (src/model/ethtool.ts) over whole classes of input: every byte value everywhere in a
// feature name, every name a JavaScript object or function already has, as a feature and as a
// NIC key, and ethtool output that is not what it should be. Nothing may throw where it should
// answer, change a prototype, or take a name the rule refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featureNameProblem, quoteName } from '../../src/api/names.js';
import { EthtoolOptsSchema } from '../../src/api/spec.js';
import {
  featureProblem,
  featureSetArgv,
  parseFeatureJson,
  requestedFeatures,
  type EthtoolRead,
} from '../../src/model/ethtool.js';
import { checkSpec, validate } from '../../src/plan/validate.js';

// ---- the rule, restated from the README (independently of src/api/names.ts) ----
const FEATURE_CHARS = new Set('abcdefghijklmnopqrstuvwxyz0123456789_-');
const isFeature = (n: string): boolean =>
  n.length >= 1 && n.length <= 31 && [...n].every((c) => FEATURE_CHARS.has(c)) && /^[a-z]$/.test(n[0]!);

/** Every byte value as a character, and a few beyond: a 2-byte, a 3-byte, a 4-byte one, a lone surrogate. */
const CHARS = [...Array.from({ length: 256 }, (_, b) => String.fromCharCode(b)), 'ñ', '\u2028', '\u{1f600}', '\udc80'];
const placed = (base: string, c: string): string[] => [c + base, base.slice(0, 3) + c + base.slice(3), base + c];
const NAMES = [...new Set(CHARS.flatMap((c) => placed('rx-gro-list', c)))];
const EDGE = ['a', 'a'.repeat(31), 'a'.repeat(32), '', '-k', '_a', '0a', 'tx-udp_tnl-segmentation', 'A', 'rx GRO'];

/** Names every object or function has (own names of the prototypes a lookup could reach). */
const BUILT_INS = [
  ...new Set([
    ...Object.getOwnPropertyNames(Object.prototype),
    ...Object.getOwnPropertyNames(Function.prototype),
    ...Object.getOwnPropertyNames(Array.prototype),
    'prototype',
  ]),
].sort();
const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Every prototype's own names and a sentinel read: compared before and after, so pollution fails a test. */
function prototypesSnapshot(): string {
  const names = [Object.prototype, Function.prototype, Array.prototype].map((p) => Object.getOwnPropertyNames(p).sort());
  const probe = {} as Record<string, unknown>;
  return JSON.stringify([names, probe.active, probe.requested, probe.fixed, Object.getPrototypeOf(probe) === Object.prototype]);
}

/** A read of a NIC with these changeable features (the shape the host reader makes). */
function readOf(names: readonly string[]): EthtoolRead {
  const features: Record<string, { active: boolean; requested: boolean; fixed: boolean }> = {};
  for (const n of names) features[n] = { active: false, requested: false, fixed: false };
  return { features, groups: [] };
}

/** JSON as an API server or a file gives it: "__proto__" is an own key, not the prototype. */
const asJson = (text: string): unknown => JSON.parse(text);
const specWith = (nic: string, feature: string): unknown =>
  asJson(`{"nics": {${JSON.stringify(nic)}: {"ethtoolOpts": {"features": {${JSON.stringify(feature)}: true}}}}}`);

test('the rule restated agrees with featureNameProblem on every byte, everywhere in a name', () => {
  for (const n of [...NAMES, ...EDGE]) {
    const p = featureNameProblem(n);
    assert.equal(p === undefined, isFeature(n), `${quoteName(n)}: ${p}`);
    if (p !== undefined) assert.match(p, /^[\x20-\x7e]*$/, `message of ${quoteName(n)} printable: ${quoteName(p)}`);
  }
  // The fuzz covers both sides.
  assert.ok(NAMES.filter(isFeature).length > 100 && NAMES.filter((n) => !isFeature(n)).length > 600);
});

test('every byte: zod, validation, the ethtool argv and the parser take exactly the names of the rule', () => {
  const before = prototypesSnapshot();
  for (const n of [...NAMES, ...EDGE]) {
    const ok = isFeature(n);
    assert.equal(EthtoolOptsSchema.safeParse({ features: { [n]: true } }).success, ok, `zod ${quoteName(n)}`);
    const errors = validate({ nics: { e1: { ethtoolOpts: { features: { [n]: true } } } } });
    assert.equal(errors.length === 0, ok, `validate ${quoteName(n)}: ${JSON.stringify(errors)}`);
    if (!ok) {
      // Named at the feature, with the rule's own message.
      const at = errors.find((e) => e.path.startsWith('spec.nics.e1.ethtoolOpts.features'));
      assert.ok(at, `${quoteName(n)}: ${JSON.stringify(errors)}`);
      assert.equal(at.message, featureNameProblem(n));
    }
    // With the host's read: a name of the rule the NIC has is taken; any other refused.
    const host = { nics: ['e1'], bonds: {}, ethtool: { e1: readOf(ok ? [n] : []) } };
    assert.equal(validate({ nics: { e1: { ethtoolOpts: { features: { [n]: false } } } } }, { host }).length === 0, ok);
    if (ok) assert.deepEqual(featureSetArgv('e1', { [n]: true }), ['ethtool', '-K', 'e1', n, 'on']);
    else assert.throws(() => featureSetArgv('e1', { [n]: true }), /refusing to pass the feature/);
    const parsed = parseFeatureJson('e1', JSON.stringify([{ ifname: 'e1', [n]: { active: true, fixed: false, requested: true } }]));
    assert.deepEqual(Object.keys(parsed.features), ok ? [n] : [], `parse ${quoteName(n)}`);
  }
  assert.equal(prototypesSnapshot(), before);
});

test('built-in property names as a feature: refused or judged by the host, never crashing, never polluting', () => {
  const before = prototypesSnapshot();
  const host = { nics: ['e1'], bonds: {}, ethtool: { e1: readOf(['rx-gro-list']) } };
  for (const n of BUILT_INS) {
    for (const ctx of [{}, { host }]) {
      const r = checkSpec(specWith('e1', n), ctx);
      const at = `spec.nics.e1.ethtoolOpts.features`;
      if (RESERVED.has(n) || !isFeature(n) || 'host' in ctx) {
        // An Object.prototype name, one outside the rule, or one the NIC's read lacks.
        assert.equal(r.ok, false, `${quoteName(n)} ${JSON.stringify(ctx)} was taken`);
        if (!r.ok) assert.ok(r.errors.some((e) => e.path.startsWith(at)), `${quoteName(n)}: ${JSON.stringify(r.errors)}`);
      } else {
        // "length", "name", "apply": names of the rule; without a read nothing says the NIC lacks them.
        assert.ok(r.ok, `${quoteName(n)}: ${JSON.stringify(r)}`);
        assert.deepEqual(r.config.nics, { e1: { ethtoolOpts: { features: { [n]: true } } } });
      }
    }
    // The host's side: a read without the name does not have it, by own property only.
    assert.deepEqual(requestedFeatures(readOf([]), [n]), {});
    assert.match(featureProblem(readOf([]), n)!, /is not a feature of this NIC/);
    assert.equal(featureProblem({ error: 'x' }, n), "the NIC's features cannot be read: x");
    // The parser: a document naming it keeps it only when it is a name of the rule.
    const doc = `[{"ifname": "e1", ${JSON.stringify(n)}: {"active": true, "fixed": false, "requested": true}}]`;
    const parsed = parseFeatureJson('e1', doc);
    assert.deepEqual(Object.keys(parsed.features), isFeature(n) ? [n] : []);
    assert.equal(Object.getPrototypeOf(parsed.features), Object.prototype);
  }
  assert.equal(prototypesSnapshot(), before);
});

test('built-in property names as a NIC key: refused at the key or judged by the host, never polluting', () => {
  const before = prototypesSnapshot();
  for (const nic of BUILT_INS) {
    const host = { nics: ['e1'], bonds: {}, ethtool: { e1: readOf(['rx-gro-list']) } };
    for (const ctx of [{}, { host }]) {
      const r = checkSpec(specWith(nic, 'rx-gro-list'), ctx);
      const named = (e: { path: string }) => e.path === `spec.nics.${nic}` || e.path === `spec.nics[${quoteName(nic)}]`;
      const deviceOk = /^[A-Za-z0-9][A-Za-z0-9_-]{0,14}$/.test(nic) && !/^if-?[0-9]/.test(nic);
      if (RESERVED.has(nic) || !deviceOk || 'host' in ctx) {
        assert.equal(r.ok, false, `NIC ${quoteName(nic)} ${JSON.stringify(ctx)} was taken`);
        if (!r.ok) assert.ok(r.errors.some(named), `${quoteName(nic)}: ${JSON.stringify(r.errors)}`);
      } else {
        assert.ok(r.ok, `${quoteName(nic)}: ${JSON.stringify(r)}`);
        assert.deepEqual(Object.keys(r.config.nics ?? {}), [nic]);
      }
    }
  }
  assert.equal(prototypesSnapshot(), before);
});

test('the -k parser: output that is not one document for the device is refused, odd entries skipped', () => {
  const before = prototypesSnapshot();
  const refused: [string, RegExp][] = [
    ['', /not JSON/],
    ['not json', /not JSON/],
    ['{"ifname": "e1"}', /not one entry for e1/],
    ['[]', /not one entry/],
    ['[null]', /not one entry/],
    ['[[]]', /not one entry/],
    ['["e1"]', /not one entry/],
    ['[{"ifname": "e2"}]', /not one entry for e1/],
    ['[{"ifname": "e1"}, {"ifname": "e1"}]', /not one entry/],
    ['[{"ifname": ["e1"]}]', /not one entry/],
    ['[{}]', /not one entry/],
    ['[{"ifname": "e1"}', /not JSON/],
    ['[{"ifname": "e1", "a": {"active": true, "fixed": false, "requested": true}}] trailing', /not JSON/],
  ];
  for (const [text, why] of refused) assert.throws(() => parseFeatureJson('e1', text), why, JSON.stringify(text));
  const odd = {
    ifname: 'e1',
    good: { active: true, fixed: false, requested: true },
    'fixed-one': { active: false, fixed: true, requested: false },
    group: { active: true, fixed: null, requested: null },
    'str-active': { active: 'true', fixed: false, requested: true },
    'num-fixed': { active: true, fixed: 0, requested: true },
    'null-state': null,
    'list-state': [true, false, true],
    'a-number': 7,
    'half-group': { active: true, fixed: null, requested: false },
    'UPPER-case': { active: true, fixed: false, requested: true },
    __proto__x: { active: true, fixed: false, requested: true },
  };
  const text = JSON.stringify([odd]).replace('"__proto__x"', '"__proto__"');
  const r = parseFeatureJson('e1', text);
  assert.deepEqual(r.features, {
    good: { active: true, fixed: false, requested: true },
    'fixed-one': { active: false, fixed: true, requested: false },
  });
  assert.deepEqual(r.groups, ['group']);
  assert.equal(prototypesSnapshot(), before);
  // A duplicated key: JSON.parse keeps the last, and the parser reads that one.
  const dup = '[{"ifname": "e1", "a": {"active": true, "fixed": false, "requested": true}, "a": {"active": false, "fixed": true, "requested": false}}]';
  assert.deepEqual(parseFeatureJson('e1', dup).features, { a: { active: false, fixed: true, requested: false } });
  // Deep nesting and a large document answer without throwing anything but the parser's errors.
  const deep = `[{"ifname": "e1", "a": ${'['.repeat(5000)}${']'.repeat(5000)}}]`;
  assert.deepEqual(parseFeatureJson('e1', deep).features, {});
  const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, { active: true, fixed: false, requested: i % 2 === 0 }]));
  assert.equal(Object.keys(parseFeatureJson('e1', JSON.stringify([{ ifname: 'e1', ...many }])).features).length, 5000);
});

test('a real `ethtool --json -k` document parses: leaf features, fixed ones, groups', () => {
  // Debian ethtool 6.1 on a veth (abridged), as test/integration/ethtool-netns.test.ts reads it live.
  const text = `[ {
        "ifname": "e1",
        "rx-checksumming": { "active": true, "fixed": true, "requested": true },
        "tx-checksumming": { "active": true, "fixed": null, "requested": null },
        "tx-checksum-ip-generic": { "active": true, "fixed": false, "requested": true },
        "large-receive-offload": { "active": false, "fixed": true, "requested": false },
        "rx-gro-list": { "active": false, "fixed": false, "requested": false }
    } ]`;
  const r = parseFeatureJson('e1', text);
  assert.deepEqual(Object.keys(r.features).sort(), ['large-receive-offload', 'rx-checksumming', 'rx-gro-list', 'tx-checksum-ip-generic']);
  assert.deepEqual(r.groups, ['tx-checksumming']);
  assert.match(featureProblem(r, 'large-receive-offload')!, /fixed by the driver/);
  assert.match(featureProblem(r, 'tx-checksumming')!, /is a group of features/);
  assert.equal(featureProblem(r, 'rx-gro-list'), undefined);
});
