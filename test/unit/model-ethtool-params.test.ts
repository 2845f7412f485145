// Ring sizes and coalescing (src/model/ethtool-params.ts) end to end in pure code: the parsers of
// `ethtool -g` / `ethtool -c` text on real output and on output that is not what it should be
// (every byte value in a value and in a name, built-in property names, repeats, other devices),
// the argv, validation against the driver's report, the plan and its inverse, the compiler's
// operations with their undo, the read-back and drift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningConfig } from '../../src/api/config.js';
import { quoteName } from '../../src/api/names.js';
import { compile, emptyOrigins } from '../../src/apply/compile/index.js';
import type { CompileFacts } from '../../src/apply/compile/facts.js';
import { describeOp } from '../../src/apply/ops.js';
import {
  paramProblem,
  paramsReadArgv,
  paramsSetArgv,
  parseCoalesce,
  parseRings,
  type CoalesceRead,
  type RingsRead,
} from '../../src/model/ethtool-params.js';
import type { EthtoolRead } from '../../src/model/ethtool.js';
import { nicsKernelConfig } from '../../src/observe/kernel-config.js';
import { KernelOpSchema, PersistedRunningConfigSchema } from '../../src/persist/schemas.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { driftBase } from '../../src/plan/drift.js';
import { applyPlanToConfig, invertPlan, plan } from '../../src/plan/plan.js';
import { checkSpec, validate } from '../../src/plan/validate.js';

// Debian ethtool 6.1 on this machine's virtio_net NIC (kernel 6.18), read with `ethtool -g eth0` and `ethtool -c eth0`.
const RINGS_TEXT = `Ring parameters for e1:
Pre-set maximums:
RX:		256
RX Mini:	n/a
RX Jumbo:	n/a
TX:		256
Current hardware settings:
RX:		256
RX Mini:	n/a
RX Jumbo:	n/a
TX:		256
RX Buf Len:		n/a
CQE Size:		n/a
TX Push:	off
TCP data split:	n/a
`;
const COALESCE_TEXT = `Coalesce parameters for e1:
Adaptive RX: off  TX: n/a
stats-block-usecs: n/a
sample-interval: n/a
pkt-rate-low: n/a
pkt-rate-high: n/a

rx-usecs: 0
rx-frames: 1
rx-usecs-irq: n/a
rx-frames-irq: n/a

tx-usecs: 0
tx-frames: 1
tx-usecs-irq: n/a
tx-frames-irq: n/a

rx-usecs-low: n/a
rx-frame-low: n/a
tx-usecs-low: n/a
tx-frame-low: n/a

rx-usecs-high: n/a
rx-frame-high: n/a
tx-usecs-high: n/a
tx-frame-high: n/a

CQE mode RX: n/a  TX: n/a

`;
/** What a veth answers (kernel 6.18): it has features but neither rings nor coalescing. */
const VETH_ERROR = 'netlink error: Operation not supported';

const CHARS = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b));
const BUILT_INS = [
  ...new Set([...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Function.prototype)]),
];
function prototypesSnapshot(): string {
  return JSON.stringify([Object.prototype, Function.prototype].map((p) => Object.getOwnPropertyNames(p).sort()));
}

const RINGS: RingsRead = parseRings('e1', RINGS_TEXT);
const COALESCE: CoalesceRead = parseCoalesce('e1', COALESCE_TEXT);
const READ: EthtoolRead = { features: {}, groups: [], rings: RINGS, coalesce: COALESCE };
const HOST = { nics: ['e1', 'v1'], bonds: {}, ethtool: { e1: READ, v1: { features: {}, groups: [], rings: { error: VETH_ERROR }, coalesce: { error: VETH_ERROR } } } };

test('real `ethtool -g` and `ethtool -c` output parses: what the driver reports, n/a left out', () => {
  assert.deepEqual(RINGS, { max: { rx: 256, tx: 256 }, current: { rx: 256, tx: 256 } });
  assert.deepEqual(COALESCE, { current: { 'adaptive-rx': false, 'rx-usecs': 0, 'rx-frames': 1, 'tx-usecs': 0, 'tx-frames': 1 } });
  // The singular spellings of -c are read as the -C names.
  const t = COALESCE_TEXT.replace('rx-frame-low: n/a', 'rx-frame-low: 7').replace('Adaptive RX: off  TX: n/a', 'Adaptive RX: on  TX: off');
  assert.deepEqual(parseCoalesce('e1', t).current, { ...COALESCE.current, 'adaptive-rx': true, 'adaptive-tx': false, 'rx-frames-low': 7 });
  assert.deepEqual(paramsReadArgv('rings', 'e1'), ['ethtool', '-g', 'e1']);
  assert.deepEqual(paramsReadArgv('coalesce', 'e1'), ['ethtool', '-c', 'e1']);
});

test('the parsers take untrusted text: another device, a repeat refuse the read; odd lines and values are not reported', () => {
  const before = prototypesSnapshot();
  assert.throws(() => parseRings('e1', RINGS_TEXT.replace('for e1:', 'for e2:')), /does not start with "Ring parameters for e1:"/);
  assert.throws(() => parseRings('e1', ''), /does not start with/);
  assert.throws(() => parseCoalesce('e1', RINGS_TEXT), /does not start with "Coalesce parameters for e1:"/);
  assert.throws(() => parseRings('e1', RINGS_TEXT.replace('TX:\t\t256\nCurrent', 'TX:\t\t256\nTX: 9\nCurrent')), /tx is given twice/);
  assert.throws(() => parseCoalesce('e1', COALESCE_TEXT.replace('rx-usecs: 0', 'rx-usecs: 0\nrx-usecs: 3')), /rx-usecs is given twice/);
  // Values that are not a decimal u32: not reported (so refused at validation, never set).
  for (const v of ['-1', '4294967296', '99999999999', '0x10', '1e3', '1.5', '', 'n/a', '２５６', '256abc']) {
    const r = parseRings('e1', RINGS_TEXT.replace('Current hardware settings:\nRX:\t\t256', `Current hardware settings:\nRX:\t\t${v}`));
    assert.deepEqual(r.current, { tx: 256 }, `RX ${quoteName(v)}`);
    const c = parseCoalesce('e1', COALESCE_TEXT.replace('rx-usecs: 0', `rx-usecs: ${v}`));
    assert.equal(Object.hasOwn(c.current, 'rx-usecs'), false, `rx-usecs ${quoteName(v)}`);
  }
  assert.equal(parseRings('e1', RINGS_TEXT.replace(/256/g, '4294967295')).max.rx, 4294967295);
  // A maximum of 0 is the ioctl's "not supported"; a ring only one section reports is not kept.
  assert.deepEqual(parseRings('e1', RINGS_TEXT.replace('RX:\t\t256\nRX Mini', 'RX:\t\t0\nRX Mini')).max, { tx: 256 });
  assert.deepEqual(parseRings('e1', RINGS_TEXT.replace('RX Jumbo:\tn/a\nTX:\t\t256\nCurrent', 'RX Jumbo:\t9\nTX:\t\t256\nCurrent')).max, { rx: 256, tx: 256 });
  // Rings before any section, CRLF line ends, extra spaces.
  assert.deepEqual(parseRings('e1', `Ring parameters for e1:\nRX: 5\n${RINGS_TEXT.split('\n').slice(1).join('\n')}`), RINGS);
  assert.deepEqual(parseRings('e1', RINGS_TEXT.replace(/\n/g, '\r\n')), RINGS);
  // Every byte value in a value and in a name: an answer, never a crash, never a parameter that is not one.
  for (const c of CHARS) {
    for (const text of [
      RINGS_TEXT.replace('RX:\t\t256\nRX Mini', `RX:\t\t25${c}\nRX Mini`),
      RINGS_TEXT.replace('RX Mini:', `RX${c}Mini:`),
      RINGS_TEXT.replace('TX:\t\t256\nRX Buf', `T${c}:\t\t256\nRX Buf`),
    ]) {
      let r: RingsRead | undefined;
      try {
        r = parseRings('e1', text);
      } catch (e) {
        assert.match((e as Error).message, /is given twice|does not start with/, quoteName(c));
      }
      if (r) for (const k of Object.keys(r.current)) assert.ok(['rx', 'tx', 'rx-mini', 'rx-jumbo'].includes(k), quoteName(c));
    }
    const c1 = parseCoalesce('e1', COALESCE_TEXT.replace('rx-usecs: 0', `rx-use${c}cs: 9`).replace('tx-usecs: 0', `tx-usecs: 9${c}`));
    assert.equal(Object.hasOwn(c1.current, 'rx-usecs'), false, quoteName(c));
    const tx = `9${c}`.trim();
    assert.equal(c1.current['tx-usecs'], /^[0-9]+$/.test(tx) ? Number(tx) : undefined, quoteName(c));
    for (const k of Object.keys(c1.current)) assert.ok(Object.hasOwn(COALESCE.current, k), quoteName(c));
  }
  // Built-in property names as printed names: skipped, never set on the result's prototype.
  for (const n of BUILT_INS) {
    const c = parseCoalesce('e1', `${COALESCE_TEXT}\n${n}: 5\n`);
    assert.deepEqual(c.current, COALESCE.current, n);
    const r = parseRings('e1', `${RINGS_TEXT}\n${n}: 5\n`);
    assert.deepEqual(r, RINGS, n);
  }
  assert.equal(prototypesSnapshot(), before);
});

test('the set argv: ethtool -G / -C names and u32 values only, on/off for the switches', () => {
  assert.deepEqual(paramsSetArgv('rings', 'e1', { tx: 128, rx: 512 }), ['ethtool', '-G', 'e1', 'rx', '512', 'tx', '128']);
  assert.deepEqual(paramsSetArgv('coalesce', 'e1', { 'rx-usecs': 8, 'adaptive-rx': true }), ['ethtool', '-C', 'e1', 'adaptive-rx', 'on', 'rx-usecs', '8']);
  const bad: [Parameters<typeof paramsSetArgv>, RegExp][] = [
    [['rings', 'e1', {}], /nothing to set/],
    [['rings', '-e1', { rx: 1 }], /refusing to pass the device/],
    [['rings', 'e1', { rx: 0 }], /from 1 to 4294967295/],
    [['rings', 'e1', { rx: 2 ** 32 }], /from 1 to 4294967295/],
    [['rings', 'e1', { rx: 1.5 }], /integer/],
    [['rings', 'e1', { rx: true }], /integer/],
    [['rings', 'e1', { 'rx-usecs': 1 }], /not a parameter of ethtool -G/],
    [['coalesce', 'e1', { rx: 1 }], /not a parameter of ethtool -C/],
    [['coalesce', 'e1', { 'adaptive-rx': 1 }], /true or false/],
    [['coalesce', 'e1', { 'rx-usecs': -1 }], /from 0 to/],
    [['coalesce', 'e1', { 'rx-usecs': false }], /integer/],
  ];
  for (const [args, why] of bad) assert.throws(() => paramsSetArgv(...args), why, JSON.stringify(args));
  for (const n of BUILT_INS) {
    assert.throws(() => paramsSetArgv('rings', 'e1', JSON.parse(`{${JSON.stringify(n)}: 1}`)), /not a parameter|nothing to set/, n);
    assert.throws(() => paramsSetArgv('coalesce', 'e1', JSON.parse(`{${JSON.stringify(n)}: 1}`)), /not a parameter|nothing to set/, n);
  }
});

const spec = (opts: unknown, nic = 'e1'): unknown => ({ nics: { [nic]: { ethtoolOpts: opts } } });
const errorsOf = (s: unknown, ctx = { host: HOST }): string[] => validate(s, ctx).map((e) => `${e.path}: ${e.message}`);

test('validation holds rings and coalescing to the driver, naming the field; nothing else is taken', () => {
  assert.deepEqual(errorsOf(spec({ rings: { rx: 128, tx: 256 }, coalesce: { 'rx-usecs': 8, 'adaptive-rx': true } })), []);
  assert.deepEqual(errorsOf(spec({ rings: { rx: 512, 'rx-mini': 8 } })), [
    'spec.nics.e1.ethtoolOpts.rings.rx: 512 is over the driver\'s maximum of 256 ("Pre-set maximums" in `ethtool -g`)',
    'spec.nics.e1.ethtoolOpts.rings.rx-mini: is not supported by the driver of this NIC ("n/a" in `ethtool -g`)',
  ]);
  assert.deepEqual(errorsOf(spec({ coalesce: { 'adaptive-tx': true, 'rx-usecs-irq': 3 } })), [
    'spec.nics.e1.ethtoolOpts.coalesce.adaptive-tx: is not supported by the driver of this NIC ("n/a" in `ethtool -c`)',
    'spec.nics.e1.ethtoolOpts.coalesce.rx-usecs-irq: is not supported by the driver of this NIC ("n/a" in `ethtool -c`)',
  ]);
  assert.deepEqual(errorsOf(spec({ rings: { rx: 64 }, coalesce: { 'tx-frames': 2 } }, 'v1')), [
    `spec.nics.v1.ethtoolOpts.coalesce.tx-frames: the NIC's coalescing parameters cannot be read: ${VETH_ERROR}`,
    `spec.nics.v1.ethtoolOpts.rings.rx: the NIC's ring sizes cannot be read: ${VETH_ERROR}`,
  ]);
  // The schema's own refusals, with or without a host.
  for (const ctx of [{}, { host: HOST }]) {
    const e = (s: unknown) => validate(s, ctx).map((x) => `${x.path}: ${x.message}`);
    assert.deepEqual(e(spec({ rings: { rx: 0 } })), ['spec.nics.e1.ethtoolOpts.rings.rx: must be at least 1']);
    assert.deepEqual(e(spec({ rings: { rx: 2 ** 32 } })), ['spec.nics.e1.ethtoolOpts.rings.rx: must be at most 4294967295']);
    assert.deepEqual(e(spec({ rings: { rx: '256' } })), ['spec.nics.e1.ethtoolOpts.rings.rx: must be a number']);
    assert.deepEqual(e(spec({ rings: { rx: 1.5 } })), ['spec.nics.e1.ethtoolOpts.rings.rx: must be an integer']);
    assert.deepEqual(e(spec({ rings: { 'rx-buf-len': 1 } })), ['spec.nics.e1.ethtoolOpts.rings.rx-buf-len: unknown field']);
    assert.deepEqual(e(spec({ coalesce: { 'adaptive-rx': 'on' } })), ['spec.nics.e1.ethtoolOpts.coalesce.adaptive-rx: must be true or false']);
    assert.deepEqual(e(spec({ coalesce: { 'rx-usecs': -1 } })), ['spec.nics.e1.ethtoolOpts.coalesce.rx-usecs: must be at least 0']);
    assert.deepEqual(e(spec({ coalesce: { 'rx-frame-low': 1 } })), ['spec.nics.e1.ethtoolOpts.coalesce.rx-frame-low: unknown field']);
  }
});

test('built-in property names as a ring or coalescing key: refused, never crashing, never polluting', () => {
  const before = prototypesSnapshot();
  for (const n of BUILT_INS) {
    for (const group of ['rings', 'coalesce']) {
      for (const ctx of [{}, { host: HOST }]) {
        const raw = JSON.parse(`{"nics": {"e1": {"ethtoolOpts": {"${group}": {${JSON.stringify(n)}: 1}}}}}`);
        const r = checkSpec(raw, ctx);
        assert.equal(r.ok, false, `${group}.${n} was taken`);
        if (!r.ok) assert.ok(r.errors.some((e) => e.path.startsWith(`spec.nics.e1.ethtoolOpts.${group}`)), `${n}: ${JSON.stringify(r.errors)}`);
      }
    }
    assert.match(paramProblem('rings', RINGS, n, 1)!, /not supported/);
    assert.match(paramProblem('coalesce', COALESCE, n, 1)!, /not supported/);
  }
  assert.equal(prototypesSnapshot(), before);
});

const config = (opts: Record<string, unknown>): RunningConfig =>
  canonicalize({ networks: {}, bondings: {}, nics: { e1: { ethtoolOpts: opts } } } as never);
const EMPTY: RunningConfig = { networks: {}, bondings: {} };

test('canonical form, the plan and its inverse: each part set alone, the others kept', () => {
  const both = config({ features: { 'rx-gro-list': true }, rings: { tx: 128, rx: 128 }, coalesce: { 'rx-usecs': 8 } });
  assert.deepEqual(both.nics, { e1: { ethtoolOpts: { features: { 'rx-gro-list': true }, rings: { rx: 128, tx: 128 }, coalesce: { 'rx-usecs': 8 } } } });
  assert.deepEqual(config({ rings: {} }).nics, undefined);
  assert.deepEqual(config({ rings: { rx: 64 } }).nics, { e1: { ethtoolOpts: { features: {}, rings: { rx: 64 } } } });
  assert.ok(PersistedRunningConfigSchema.safeParse(both).success);
  assert.equal(PersistedRunningConfigSchema.safeParse(config({ rings: { rx: 64 } })).success, true);
  assert.equal(PersistedRunningConfigSchema.safeParse({ ...EMPTY, nics: { e1: { ethtoolOpts: { features: {}, rings: { 'rx-x': 1 } } } } }).success, false);
  const pairs: [RunningConfig, RunningConfig][] = [
    [EMPTY, both],
    [both, EMPTY],
    [both, config({ features: { 'rx-gro-list': true }, rings: { rx: 256 } })],
    [config({ rings: { rx: 64 } }), config({ coalesce: { 'adaptive-rx': true } })],
  ];
  for (const [from, to] of pairs) {
    const p = plan(to, from);
    assert.deepEqual(applyPlanToConfig(from, p), to, JSON.stringify(p));
    assert.deepEqual(applyPlanToConfig(to, invertPlan(p)), from);
  }
  assert.deepEqual(plan(config({ features: { 'rx-gro-list': true }, rings: { rx: 256 } }), both), [
    { kind: 'setNicParams', nic: 'e1', group: 'rings', from: { rx: 128, tx: 128 }, to: { rx: 256 } },
    { kind: 'setNicParams', nic: 'e1', group: 'coalesce', from: { 'rx-usecs': 8 }, to: {} },
  ]);
});

function facts(params: CompileFacts['params']): CompileFacts {
  return {
    links: { e1: { name: 'e1', kind: 'virtio', mtu: 1500, hwaddr: '02:00:00:00:00:01', up: true, addresses: [] } },
    routes: [], sysctls: {}, resolv: undefined, features: { e1: {} }, params,
  };
}

test('the compiler sets only what the kernel lacks, and its undo is what the kernel had', () => {
  const to = config({ rings: { rx: 128, tx: 256 }, coalesce: { 'adaptive-rx': true, 'rx-usecs': 0 } });
  const c = compile({ from: EMPTY, to, host: facts({ e1: { rings: RINGS.current, coalesce: COALESCE.current } }), origins: emptyOrigins(), resolvConf: '/tmp/r' });
  const ops = c.ops.map((p) => [describeOp(p.op), p.undo === 'previous' ? 'previous' : p.undo.map(describeOp)]);
  assert.deepEqual(ops, [
    ['ethtool -G e1 rx 128', ['ethtool -G e1 rx 256']],
    ['ethtool -C e1 adaptive-rx on', ['ethtool -C e1 adaptive-rx off']],
  ]);
  for (const p of c.ops) {
    assert.ok(KernelOpSchema.safeParse(p.op).success, JSON.stringify(p.op));
    for (const u of p.undo === 'previous' ? [] : p.undo) assert.ok(KernelOpSchema.safeParse(u).success);
  }
  // Nothing to do when the kernel has it all; a missing read or a parameter it lacks stops the compile.
  const same = compile({ from: EMPTY, to: config({ rings: { rx: 256 } }), host: facts({ e1: { rings: RINGS.current } }), origins: emptyOrigins(), resolvConf: '/tmp/r' });
  assert.deepEqual(same.ops, []);
  assert.throws(() => compile({ from: EMPTY, to, host: facts({ e1: {} }), origins: emptyOrigins(), resolvConf: '/tmp/r' }), /the rings of NIC e1 were not read/);
  assert.throws(() => compile({ from: EMPTY, to: config({ rings: { 'rx-mini': 5 } }), host: facts({ e1: { rings: RINGS.current } }), origins: emptyOrigins(), resolvConf: '/tmp/r' }), /the rings of NIC e1: the kernel does not report rings rx-mini/);
  assert.equal(KernelOpSchema.safeParse({ kind: 'ethtool-rings', dev: 'e1', values: { rx: 0 } }).success, false);
  assert.equal(KernelOpSchema.safeParse({ kind: 'ethtool-coalesce', dev: 'e1', values: { constructor: 1 } }).success, false);
});

test('read back into kernelConfig.nics and drift: the kernel\'s current values of the managed names', () => {
  const running = config({ features: {}, rings: { rx: 128 }, coalesce: { 'adaptive-rx': true, 'rx-usecs': 8 } });
  const host = { ethtool: { e1: READ } } as never;
  const kc = nicsKernelConfig(host, running);
  assert.deepEqual(kc, { e1: { ethtoolOpts: { features: {}, rings: { rx: 256 }, coalesce: { 'adaptive-rx': false, 'rx-usecs': 0 } } } });
  const d = driftBase(running, { ...EMPTY, ...(kc ? { nics: kc } : {}) });
  assert.deepEqual(d.drifted, [
    'nic e1: ethtoolOpts.coalesce: adaptive-rx on in the running config, off in the kernel, rx-usecs 8 in the running config, 0 in the kernel',
    'nic e1: ethtoolOpts.rings: rx 128 in the running config, 256 in the kernel',
  ]);
  assert.deepEqual(plan(running, d.from).map((s) => s.kind), ['setNicParams', 'setNicParams']);
  // A NIC whose rings cannot be read: taken as running has it, reported.
  const unread = driftBase(running, { ...EMPTY, nics: { e1: { ethtoolOpts: { features: {}, coalesce: { 'adaptive-rx': true, 'rx-usecs': 8 } } } } });
  assert.deepEqual(unread.drifted, ['nic e1: ethtoolOpts.rings: rx unreadable in the kernel']);
  assert.deepEqual(unread.from.nics, running.nics);
  assert.deepEqual(nicsKernelConfig({ ethtool: { e1: { error: 'gone' } } } as never, running), undefined);
});

test('built-in property names as NIC keys past validation: canonical form, plan, inverse, read-back and drift stay own-keyed', () => {
  // Validation refuses these names (model-ethtool.test.ts); the stages behind it must still not
  // reach a prototype when a config holds one (a persisted file, a journal).
  const before = prototypesSnapshot();
  for (const n of BUILT_INS) {
    const k = JSON.stringify(n);
    const c = canonicalize(JSON.parse(`{"networks": {}, "bondings": {}, "nics": {${k}: {"ethtoolOpts": {"features": {"rx-gro-list": true}, "rings": {"rx": 128}}}}}`));
    if (n === '__proto__') {
      // An object literal's "__proto__" is never an own key: the NIC is dropped, not put on a prototype.
      assert.equal(c.nics, undefined);
      continue;
    }
    assert.deepEqual(Object.keys(c.nics ?? {}), [n]);
    const p = plan(c, EMPTY);
    assert.deepEqual(p.map((s) => s.kind), ['setNicFeatures', 'setNicParams'], n);
    assert.deepEqual(applyPlanToConfig(EMPTY, p), c, n);
    assert.deepEqual(applyPlanToConfig(c, invertPlan(p)), EMPTY, n);
    const host = JSON.parse(`{"ethtool": {${k}: {"features": {"rx-gro-list": {"active": false, "requested": false, "fixed": false}}, "groups": [], "rings": {"max": {"rx": 256}, "current": {"rx": 256}}}}}`);
    const kc = nicsKernelConfig(host, c);
    assert.deepEqual(kc, JSON.parse(`{${k}: {"ethtoolOpts": {"features": {"rx-gro-list": false}, "rings": {"rx": 256}}}}`));
    assert.deepEqual(driftBase(c, { ...EMPTY, nics: kc! }).drifted, [
      `nic ${n}: ethtoolOpts.features: rx-gro-list on in the running config, off in the kernel`,
      `nic ${n}: ethtoolOpts.rings: rx 128 in the running config, 256 in the kernel`,
    ]);
  }
  assert.equal(prototypesSnapshot(), before);
});
