// spec.nics.NIC.ethtoolOpts.rings / .coalesce against the real devices this machine's kernel has
// in a namespace of the test's own. Which ones have anything (kernel 6.18, Debian ethtool 6.1):
// veth, bridge, macvlan, vxlan, ifb and lo answer `ethtool -g` and `ethtool -c` with "netlink
// error: Operation not supported"; a tap (tun driver) supports one coalescing parameter,
// rx-frames (its rx batching, which the driver caps at 64), and no rings; there is no netdevsim
// and no dummy (no modules). So: through the CLI, a veth's rings and coalescing are refused at
// validation naming each field, nothing changed; on the tap, the handler's own read (observe),
// validation against it, the compiler's operation and undo, the set through its argv with the
// real ethtool, the read-back and drift. The tap is not a NIC by the handler's NIC rule (a VM's
// tap is libvirt's), so the CLI cannot be pointed at it: the steps run one by one here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { VethNamespace } from './apply-support.js';
import type { RunningConfig } from '../../src/api/config.js';
import { compile, emptyOrigins } from '../../src/apply/compile/index.js';
import type { CompileFacts } from '../../src/apply/compile/facts.js';
import type { KernelOp } from '../../src/apply/ops.js';
import { currentParams, paramsSetArgv } from '../../src/model/ethtool-params.js';
import { readEthtool } from '../../src/observe/host.js';
import { nicsKernelConfig } from '../../src/observe/kernel-config.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { driftBase } from '../../src/plan/drift.js';
import { validate } from '../../src/plan/validate.js';

const rig = new VethNamespace('ring', { nicUp: false });
const { ns: NS, stateDir: STATE, resolv: RESOLV } = rig;
const NOT_SUPPORTED = 'netlink error: Operation not supported';

const inNs = (argv: string[], allowFailure = false) => rig.exec(argv, { allowFailure });
/** The whole of `ethtool -g` and `ethtool -c` as ethtool prints them: what an undo must give back. */
const settings = async (dev: string) => [
  (await inNs(['ethtool', '-g', dev], true)).stdout,
  (await inNs(['ethtool', '-c', dev], true)).stdout,
];

const cli = rig.cli.bind(rig);

before(async () => {
  await rig.up();
  await inNs(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
});

after(() => rig.down());

test('a veth has no rings or coalescing: the CLI refuses each field naming it and the reason; nothing changes', async () => {
  const pristine = await settings('e1');
  const spec = { nics: { e1: { ethtoolOpts: { rings: { rx: 256 }, coalesce: { 'rx-usecs': 8, 'adaptive-rx': true } } } } };
  const r = await cli(['apply', '-f', '-', '--state-dir', STATE, '--resolv-conf', RESOLV, '-q'], JSON.stringify(spec));
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /spec\.nics\.e1\.ethtoolOpts\.rings\.rx: the NIC's ring sizes cannot be read: ethtool -g e1 exited 1: netlink error: Operation not supported\n/);
  for (const f of ['rx-usecs', 'adaptive-rx'])
    assert.match(r.stderr, new RegExp(`spec\\.nics\\.e1\\.ethtoolOpts\\.coalesce\\.${f}: the NIC's coalescing parameters cannot be read: ethtool -c e1 exited 1: netlink error: Operation not supported`));
  assert.deepEqual(await settings('e1'), pristine);
});

const config = (coalesce: Record<string, number>): RunningConfig =>
  canonicalize({ networks: {}, bondings: {}, nics: { tap0: { ethtoolOpts: { coalesce } } } } as never);

/** The compiler's facts for the tap from a real read: its link and its current values. */
function facts(read: Awaited<ReturnType<typeof readEthtool>>): CompileFacts {
  const t = read.tap0!;
  assert.ok(!('error' in t), JSON.stringify(t));
  return {
    links: { tap0: { name: 'tap0', kind: 'tun', mtu: 1500, hwaddr: '02:00:00:00:00:01', up: false, addresses: [] } },
    routes: [], sysctls: {}, resolv: undefined, features: { tap0: {} },
    params: { tap0: { coalesce: currentParams(t.coalesce, Object.keys(t.coalesce && !('error' in t.coalesce) ? t.coalesce.current : {})) } },
  };
}

/** An ethtool operation as the executor runs it (apply/kernel.ts: paramsSetArgv), in the namespace. */
async function runOp(op: KernelOp): Promise<void> {
  assert.equal(op.kind, 'ethtool-coalesce');
  if (op.kind !== 'ethtool-coalesce') return;
  await inNs(paramsSetArgv('coalesce', op.dev, op.values));
}

test('a tap: read, validated, set and undone exactly with the real ethtool; read back; a driver cap shows as drift', async () => {
  const pristine = await settings('tap0');
  const read = await readEthtool({ netns: NS }, ['tap0']);
  const t = read.tap0!;
  assert.ok(!('error' in t));
  assert.deepEqual(t.coalesce, { current: { 'rx-frames': 0 } }, 'the tun driver supports rx-frames only');
  assert.deepEqual(t.rings, { error: `ip netns exec ${NS} ethtool -g tap0 exited 1: ${NOT_SUPPORTED}` });

  const host = { nics: ['tap0'], bonds: {}, ethtool: read };
  const spec = (ethtoolOpts: unknown) => ({ nics: { tap0: { ethtoolOpts } } });
  assert.deepEqual(validate(spec({ coalesce: { 'rx-frames': 16 } }), { host }), []);
  assert.deepEqual(validate(spec({ coalesce: { 'tx-frames': 1 }, rings: { tx: 64 } }), { host }).map((e) => `${e.path}: ${e.message}`), [
    'spec.nics.tap0.ethtoolOpts.coalesce.tx-frames: is not supported by the driver of this NIC ("n/a" in `ethtool -c`)',
    `spec.nics.tap0.ethtoolOpts.rings.tx: the NIC's ring sizes cannot be read: ip netns exec ${NS} ethtool -g tap0 exited 1: ${NOT_SUPPORTED}`,
  ]);
  // What the refusal protects from: the driver itself refuses the unsupported parameter.
  const raw = await inNs(['ethtool', '-C', 'tap0', 'tx-frames', '1'], true);
  assert.notEqual(raw.code, 0);
  assert.match(raw.stderr, /cannot modify an unsupported parameter/);

  const want = config({ 'rx-frames': 16 });
  const c = compile({ from: { networks: {}, bondings: {} }, to: want, host: facts(read), origins: emptyOrigins(), resolvConf: RESOLV });
  assert.deepEqual(c.ops.map((p) => [p.op, p.undo]), [[
    { kind: 'ethtool-coalesce', dev: 'tap0', values: { 'rx-frames': 16 } },
    [{ kind: 'ethtool-coalesce', dev: 'tap0', values: { 'rx-frames': 0 } }],
  ]]);
  await runOp(c.ops[0]!.op);
  const after = await readEthtool({ netns: NS }, ['tap0']);
  assert.deepEqual(nicsKernelConfig({ ethtool: after } as never, want), want.nics);
  assert.deepEqual(driftBase(want, { networks: {}, bondings: {}, nics: nicsKernelConfig({ ethtool: after } as never, want)! }).drifted, []);
  // The compiler on the new read: nothing left to do.
  assert.deepEqual(compile({ from: want, to: want, host: facts(after), origins: emptyOrigins(), resolvConf: RESOLV }).ops, []);
  for (const u of c.ops[0]!.undo as KernelOp[]) await runOp(u);
  assert.deepEqual(await settings('tap0'), pristine, 'the undo gave back every value ethtool prints');

  // Over the driver's cap: ethtool succeeds, the kernel holds 64; the read-back says so and drift names it.
  const over = config({ 'rx-frames': 100 });
  await inNs(paramsSetArgv('coalesce', 'tap0', { 'rx-frames': 100 }));
  const capped = nicsKernelConfig({ ethtool: await readEthtool({ netns: NS }, ['tap0']) } as never, over)!;
  assert.deepEqual(capped, { tap0: { ethtoolOpts: { features: {}, coalesce: { 'rx-frames': 64 } } } });
  assert.deepEqual(driftBase(over, { networks: {}, bondings: {}, nics: capped }).drifted, [
    'nic tap0: ethtoolOpts.coalesce: rx-frames 100 in the running config, 64 in the kernel',
  ]);
  await inNs(paramsSetArgv('coalesce', 'tap0', { 'rx-frames': 0 }));
  assert.deepEqual(await settings('tap0'), pristine);
});
