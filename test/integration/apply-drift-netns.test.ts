// Drift in a namespace: what the handler applied, changed by hand (a bridge deleted, an address
// removed, a route removed), never wedges the node. Applying the spec again heals it, and a spec
// that removes the drifted network applies, since removing what is already gone succeeds.
// (Bonds and VLANs need the lab VM's kernel; the unit property test covers their drift.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NetworkSpec } from '../../src/api/spec.js';
import { canonicalize } from '../../src/plan/canonicalize.js';
import { run } from '../../src/util/exec.js';
import { NetnsRig } from './apply-support.js';

const rig = new NetnsRig();
before(async () => rig.up());
after(async () => rig.down());

const SPEC = {
  networks: {
    net1: { nic: 'e1', ipaddr: '192.0.2.10', prefix: 24, gateway: '192.0.2.1', defaultRoute: true, nameservers: ['192.0.2.53'] },
    net2: { nic: 'e2', bridged: false, ipaddr: '198.51.100.10', prefix: 24, gateway: '198.51.100.1' },
  } satisfies Record<string, NetworkSpec>,
};

const inNode = (...args: string[]) => run(['ip', '-n', rig.node, ...args]);

async function apply(spec: unknown): Promise<string> {
  const r = await rig.apply(spec);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout + r.stderr;
}

describe('drift: a hand-made change never wedges the node', () => {
  before(async () => void (await apply(SPEC)));

  for (const [what, change] of [
    ['the bridge of net1 deleted', () => inNode('link', 'del', 'dev', 'net1')],
    ['the address of net2 removed', () => inNode('addr', 'del', '198.51.100.10/24', 'dev', 'e2')],
    ['the default route of net1 removed', () => inNode('route', 'del', 'default', 'dev', 'net1')],
  ] as const) {
    it(`${what}: the kernel reads back the difference, and the spec applied again heals it`, async () => {
      const want = canonicalize(SPEC, { hostNameservers: ['10.77.0.1'] });
      assert.deepEqual((await rig.show()).kernelConfig, want, 'applied');
      await change();
      assert.notDeepEqual((await rig.show()).kernelConfig, want, 'the change shows in kernelConfig');
      const dry = await rig.apply(SPEC, ['--dry-run']);
      assert.match(dry.stdout + dry.stderr, /\d+ kernel operation/, 'the plan heals it');
      await apply(SPEC);
      assert.deepEqual((await rig.show()).kernelConfig, want, 'healed');
    });
  }

  it('a spec that removes a network whose bridge was deleted by hand applies, and the rest stays', async () => {
    await apply(SPEC);
    await inNode('link', 'del', 'dev', 'net1');
    await apply({ networks: { net2: SPEC.networks.net2 } });
    const kc = (await rig.show()).kernelConfig as { networks: Record<string, unknown> };
    assert.deepEqual(Object.keys(kc.networks), ['net2']);
    // And a later spec applies as usual.
    await apply(SPEC);
    assert.deepEqual(Object.keys(((await rig.show()).kernelConfig as { networks: Record<string, unknown> }).networks).sort(), ['net1', 'net2']);
  });
});
