// spec.nics.NIC.ethtoolOpts.features against a real veth in a namespace of its own, through the
// CLI as a user runs it (`apply`, `show`, `restore`): applied with Debian's ethtool, read back
// into kernelConfig (which applies as a spec with nothing to do), re-applied as a no-op, healed
// after a change behind the handler's back, undone exactly after a crash mid-apply, and refused
// at validation — a fixed feature, a group, one the NIC lacks — with nothing on the host changed.
// veth has no ring or coalescing parameters to read (`ethtool -g/-c`: Operation not supported).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { VethNamespace } from './apply-support.js';

const rig = new VethNamespace('eth');
const { stateDir: STATE, resolv: RESOLV } = rig;
const cli = rig.cli.bind(rig);

/** Every feature of e1 as ethtool reports it: the whole state an undo must give back. */
async function features(): Promise<Record<string, { active: boolean; fixed: boolean | null; requested: boolean | null }>> {
  const r = await rig.exec(['ethtool', '--json', '-k', 'e1']);
  const [doc] = JSON.parse(r.stdout) as [Record<string, unknown>];
  delete doc.ifname;
  return doc as never;
}

const apply = (spec: unknown, extra: string[] = []) =>
  cli(['apply', '-f', '-', '--state-dir', STATE, '--resolv-conf', RESOLV, '-q', ...extra], JSON.stringify(spec));

async function kernelConfig(): Promise<{ nics?: Record<string, unknown> }> {
  const r = await cli(['show', '--json', '--state-dir', STATE]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { kernelConfig: { nics?: Record<string, unknown> } }).kernelConfig;
}

// Off on a new veth, changeable: GRO and GRO list on, generic TX checksumming off (which takes
// the TSO family's active state down with it: the undo must bring that back too).
const WANT = { 'generic-receive-offload': true, 'rx-gro-list': true, 'tx-checksum-ip-generic': false };
const SPEC = { nics: { e1: { ethtoolOpts: { features: WANT } } } };

before(() => rig.up());
after(() => rig.down());

test('refused at validation, naming the field: a fixed feature, a group, one the NIC lacks; nothing changes', async () => {
  const pristine = await features();
  assert.equal(pristine['large-receive-offload']?.fixed, true, 'veth has LRO fixed off');
  const r = await apply({
    nics: {
      e1: {
        ethtoolOpts: {
          features: { ...WANT, 'large-receive-offload': true, 'tx-checksumming': false, 'no-such-feature': true },
        },
      },
    },
  });
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /spec\.nics\.e1\.ethtoolOpts\.features\.large-receive-offload: is fixed by the driver/);
  assert.match(r.stderr, /spec\.nics\.e1\.ethtoolOpts\.features\.tx-checksumming: is a group of features/);
  assert.match(r.stderr, /spec\.nics\.e1\.ethtoolOpts\.features\.no-such-feature: is not a feature of this NIC/);
  const bad = await apply({ nics: { nope0: { ethtoolOpts: { features: { 'rx-gro-list': true } } } } });
  assert.match(bad.stderr, /spec\.nics\.nope0: NIC nope0 does not exist on the node/);
  assert.deepEqual(await features(), pristine, 'the refused specs changed nothing');
});

test('a crash right after the ethtool operation: restore undoes it exactly (every feature, active and requested)', async () => {
  const pristine = await features();
  const r = await apply(SPEC, ['--test-crash-after-operation', '1']);
  assert.notEqual(r.code, 0, 'killed mid-apply');
  assert.equal((await features())['rx-gro-list']!.requested, true, 'the operation ran before the kill');
  const restore = await cli(['restore', '--state-dir', STATE, '--resolv-conf', RESOLV]);
  assert.equal(restore.code, 0, restore.stderr);
  assert.deepEqual(await features(), pristine);
});

test('applied, read back into kernelConfig (a spec that applies with nothing to do), re-applied as a no-op', async () => {
  const before = await features();
  const r = await apply(SPEC);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /nic e1: features \(none\) -> generic-receive-offload on rx-gro-list on tx-checksum-ip-generic off/);
  const now = await features();
  for (const [f, v] of Object.entries(WANT)) assert.equal(now[f]!.requested, v, f);
  // Only what was asked for (and what the kernel derives from it) changed.
  assert.equal(before['tx-tcp-segmentation']!.active, true);
  assert.equal(now['tx-tcp-segmentation']!.active, false, 'TSO needs checksumming');
  assert.equal(now['tx-tcp-segmentation']!.requested, true, 'its own setting is untouched');

  const kc = await kernelConfig();
  assert.deepEqual(kc.nics, { e1: { ethtoolOpts: { features: WANT } } });
  const again = await apply(kc);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to do/);
  assert.match((await apply(SPEC, ['--dry-run'])).stdout, /nothing to do/);
});

test('a managed feature changed behind the handler is drift: planned back and healed by the next apply', async () => {
  await rig.exec(['ethtool', '-K', 'e1', 'rx-gro-list', 'off']);
  const kc = await kernelConfig();
  assert.deepEqual(kc.nics, { e1: { ethtoolOpts: { features: { ...WANT, 'rx-gro-list': false } } } });
  const plan = await apply(SPEC, ['--dry-run']);
  assert.match(plan.stdout, /nic e1: features .*rx-gro-list off.* -> .*rx-gro-list on/);
  assert.match(plan.stdout, /ethtool -K e1 rx-gro-list on\n/);
  const heal = await apply(SPEC);
  assert.equal(heal.code, 0, heal.stderr);
  assert.equal((await features())['rx-gro-list']!.requested, true);
  assert.deepEqual((await kernelConfig()).nics, SPEC.nics);
});

test('a spec without the NIC stops managing it: the kernel keeps its values, kernelConfig no longer shows it', async () => {
  const held = await features();
  const r = await apply({});
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await features(), held);
  assert.equal((await kernelConfig()).nics, undefined);
});
