// The agent's standby ip dump (observe/standby.ts) on this machine's kernel: a device deleted and
// re-created under the same name between two passes, while the next pass's processes already
// wait, reads as the new device (new ifindex, its own address), exactly as a cold read sees it.
// A process given no line has cached no device name; one kept open across passes would not be safe.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dumpCommands, HostObserver, observeHost, StandbyIpDump } from '../../src/observe/index.js';
import { run } from '../../src/util/exec.js';
import { randomId } from './observe-topology.js';

const ns = `ovnh-stby-${randomId()}`;
const ip = (...a: string[]) => run(['ip', '-n', ns, ...a]);

before(async () => {
  await run(['ip', 'netns', 'add', ns]);
  await ip('link', 'add', 'sa', 'type', 'veth', 'peer', 'name', 'sb');
  await ip('addr', 'add', '10.91.0.1/24', 'dev', 'sa');
  await ip('link', 'set', 'sa', 'up');
});
after(async () => {
  await run(['ip', 'netns', 'del', ns], { allowFailure: true });
});

/** Waits (polling) until the standby processes of the next pass are started. */
async function standbyStarted(s: StandbyIpDump): Promise<void> {
  for (let i = 0; i < 200 && !s.waiting; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(s.waiting, true, 'the standby processes were started after the pass');
}

describe('the standby ip dump', () => {
  it('sees a device deleted and re-created between two passes as the new one', async () => {
    const standby = new StandbyIpDump(dumpCommands(ns).ip);
    try {
      const observer = new HostObserver({ netns: ns, ipDump: standby.dump });
      const first = await observer.observe();
      const old = first.links.sa!;
      assert.deepEqual(old.addresses.map((a) => `${a.local}/${a.prefixlen}`).filter((a) => a.startsWith('10.')), ['10.91.0.1/24']);
      await standbyStarted(standby);
      await ip('link', 'del', 'sa');
      await ip('link', 'add', 'sx', 'type', 'bridge'); // takes the next index (no dummy in every kernel here)
      await ip('link', 'add', 'sa', 'type', 'veth', 'peer', 'name', 'sc');
      await ip('addr', 'add', '10.92.0.1/24', 'dev', 'sa');
      await ip('link', 'set', 'sa', 'mtu', '1400', 'up');
      const second = await observer.observe(); // through the processes started before the change
      const cold = await observeHost({ netns: ns });
      const now = second.links.sa!;
      assert.notEqual(now.index, old.index);
      assert.equal(now.index, cold.links.sa!.index);
      assert.equal(now.mtu, 1400);
      assert.deepEqual(now.addresses, cold.links.sa!.addresses);
      assert.deepEqual(now.addresses.map((a) => `${a.local}/${a.prefixlen}`).filter((a) => a.startsWith('10.')), ['10.92.0.1/24']);
      assert.deepEqual(Object.keys(second.links).sort(), Object.keys(cold.links).sort());
      assert.equal(second.links.sb, undefined);
      assert.equal(now.parent, cold.links.sa!.parent);
    } finally {
      standby.close();
    }
  });
});
