// The whole core (reconcile) over an in-memory cluster (test/helpers/fleet-sim.ts): rollouts
// under maxUnavailable (a property over node counts, limits and agent timing), the abort at the
// first failure and the resume with a new generation, progress from the objects alone (a fresh
// reconcile decides the same), removal on delete and on relabel, IPAM through edits, conflicts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Cluster, condition } from '../helpers/fleet-sim.js';
import { reconcile } from '../../src/fleet/reconcile.js';
import { POLICY_FINALIZER } from '../../src/api/constants.js';

const NOW = new Date('2026-01-02T00:00:00Z');

function cluster(n: number, labels: (i: number) => Record<string, string> = () => ({ role: 'hv', 'ovirt.org/storage-nic': 'eth1' })): Cluster {
  const c = new Cluster();
  for (let i = 1; i <= n; i++) c.addNode(`node-${String(i).padStart(2, '0')}`, labels(i));
  return c;
}

const storage = (extra: Record<string, unknown> = {}) => ({
  nodeSelector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['hv'] }] },
  networks: { storage: { nicFromNodeLabel: 'ovirt.org/storage-nic', vlan: 20, ipam: { pool: '10.20.0.0/24' }, ...extra } },
  maxUnavailable: 2,
});

/** Steps controller and agents until nothing changes; asserts the limit after every controller step. */
function settle(c: Cluster, limit = Infinity, rounds = 100): void {
  for (let i = 0; i < rounds; i++) {
    const d = c.step(NOW);
    assert.ok(c.changing().length <= limit, `${c.changing().length} nodes changing at once (limit ${limit})`);
    if (d.every((x) => x.applies.length === 0 && !x.finalizer && !x.statusChanged) && c.changing().length === 0) return;
    c.agents();
  }
  assert.fail('did not settle');
}

const addr = (c: Cluster, n: string) => (c.onns.get(n)!.spec.networks?.storage as { ipaddr?: string } | undefined)?.ipaddr;

describe('rollout', () => {
  it('adds the finalizer first, then writes at most maxUnavailable nodes, and ends Available', () => {
    const c = cluster(5);
    c.putPolicy('st', storage());
    const first = c.step(NOW)[0]!;
    assert.equal(first.finalizer, 'add');
    assert.equal(first.applies.length, 2);
    assert.deepEqual(first.applies.map((a) => a.manager), ['ovirt-network-policy/st', 'ovirt-network-policy/st']);
    assert.deepEqual(c.changing(), ['node-01', 'node-02']);
    assert.equal(c.step(NOW)[0]!.applies.length, 0, 'nothing more while two are changing');
    settle(c, 2);
    const p = c.policy('st')!;
    assert.deepEqual(p.finalizers, [POLICY_FINALIZER]);
    assert.equal(condition(p, 'Available')?.status, 'True');
    assert.equal(condition(p, 'Progressing')?.status, 'False');
    assert.deepEqual([p.status?.matchedNodes, p.status?.updatedNodes, p.status?.availableNodes], [5, 5, 5]);
    const spec = c.onns.get('node-03')!.spec.networks!.storage;
    assert.deepEqual(spec, { vlan: 20, nic: 'eth1', ipaddr: '10.20.0.3', prefix: 24 });
    assert.equal(c.onns.get('node-03')!.annotations['network-policy.ovirt.org/st'], '1');
    const addrs = [...c.onns.keys()].map((n) => addr(c, n));
    assert.equal(new Set(addrs).size, 5);
  });

  it('property: never more than maxUnavailable nodes changing, whatever the agents\' timing; everything ends applied', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.boolean(), { minLength: 50, maxLength: 50 }),
      (nodes, maxU, timing) => {
        const c = cluster(nodes);
        c.putPolicy('st', { ...storage(), maxUnavailable: maxU });
        for (let i = 0; i < 200 && condition(c.policy('st'), 'Available')?.status !== 'True'; i++) {
          c.step(NOW);
          assert.ok(c.changing().length <= maxU);
          // Some agents answer this round, the others later.
          c.agents((n) => timing[(i + Number(n.slice(-2))) % timing.length]!);
        }
        assert.equal(condition(c.policy('st'), 'Available')?.status, 'True');
      },
    ), { numRuns: 60 });
  });

  it('a percent maxUnavailable is of the matched nodes', () => {
    const c = cluster(10);
    c.putPolicy('st', { ...storage(), maxUnavailable: '30%' });
    assert.equal(c.step(NOW)[0]!.applies.length, 3);
  });

  it('the first failure stops the rollout and names the node; a new generation resumes', () => {
    const c = cluster(6);
    c.failing.set('node-02', 'ConnectivityLost');
    c.putPolicy('st', { ...storage(), maxUnavailable: 2 });
    settle(c, 2);
    const p = c.policy('st')!;
    const deg = condition(p, 'Degraded')!;
    assert.equal(deg.status, 'True');
    assert.equal(deg.reason, 'RolloutAborted');
    assert.match(deg.message, /node node-02 failed \(ConnectivityLost/);
    assert.deepEqual(p.status?.failedNodes?.map((f) => [f.node, f.reason]), [['node-02', 'ConnectivityLost']]);
    // node-01 and node-02 were written together; no node after the failure was.
    const written = [...c.onns.values()].filter((o) => o.spec.networks?.storage).map((o) => o.name);
    assert.deepEqual(written, ['node-01', 'node-02']);
    assert.equal(p.status?.updatedNodes, 2);
    // A fresh controller (nothing but the objects) decides the same: still stopped.
    assert.deepEqual(reconcile(c.world(), NOW).map((d) => d.applies.length), [0]);
    // The fix: a new generation (an MTU the path carries); the agent succeeds now.
    c.failing.delete('node-02');
    c.putPolicy('st', storage({ mtu: 1400 }));
    settle(c, 2);
    assert.equal(condition(c.policy('st'), 'Available')?.status, 'True');
    assert.equal(condition(c.policy('st'), 'Degraded')?.status, 'False');
    assert.ok([...c.onns.values()].every((o) => (o.spec.networks?.storage as { mtu?: number }).mtu === 1400));
  });

  it('events: once per new failure and abort, and RolloutComplete once', () => {
    const c = cluster(2);
    c.failing.set('node-01', 'SetupFailed');
    c.putPolicy('st', { ...storage(), maxUnavailable: 1 });
    const events: string[] = [];
    for (let i = 0; i < 6; i++) {
      events.push(...c.step(NOW).flatMap((d) => d.events.map((e) => e.reason)));
      c.agents();
    }
    assert.deepEqual(events.sort(), ['RolloutAborted', 'SetupFailed']);
    c.failing.clear();
    c.putPolicy('st', storage({ mtu: 1400 }));
    const later: string[] = [];
    for (let i = 0; i < 8; i++) {
      later.push(...c.step(NOW).flatMap((d) => d.events.map((e) => e.reason)));
      c.agents();
    }
    assert.deepEqual(later, ['RolloutComplete']);
  });

  it('a controller restart mid-rollout: the same decisions from the objects, and the rollout finishes', () => {
    const c = cluster(6);
    c.putPolicy('st', storage());
    c.step(NOW);
    c.agents((n) => n === 'node-01');
    // Two controllers with no shared memory, each given the objects as they are.
    const a = reconcile(c.world(), NOW);
    const b = reconcile(structuredClone(c.world()), NOW);
    assert.deepEqual(a, b);
    assert.deepEqual(a[0]!.applies.map((x) => x.node), ['node-03'], 'node-02 still changing, one slot free');
    settle(c, 2);
    assert.equal(c.policy('st')!.status?.availableNodes, 6);
  });
});

describe('IPAM through the objects', () => {
  it('addresses survive a policy edit and a restart; a leaving node frees its address, a new one does not steal it', () => {
    const c = cluster(4);
    c.putPolicy('st', storage());
    settle(c);
    const before = new Map([...c.onns.keys()].map((n) => [n, addr(c, n)]));
    c.putPolicy('st', storage({ mtu: 9000, ipam: { pool: '10.20.0.0/24', range: '10.20.0.1-10.20.0.50' } }));
    settle(c);
    for (const [n, a] of before) assert.equal(addr(c, n), a, `${n} kept its address`);
    // node-02 leaves (relabelled): its network and address go.
    c.label('node-02', { role: 'spare', 'ovirt.org/storage-nic': 'eth1' });
    c.addNode('node-05', { role: 'hv', 'ovirt.org/storage-nic': 'eth1' });
    const d = c.step(NOW)[0]!;
    assert.deepEqual(d.applies.map((x) => [x.node, x.kind]), [['node-02', 'remove'], ['node-05', 'update']]);
    // The removal is a JSON patch at the version read (never an apply that empties a map: the API
    // server would write it as null), the apply after it only marks the node; the update removes nothing.
    const [removal, update] = d.applies;
    assert.deepEqual(removal!.remove?.slice(1), [{ op: 'remove', path: '/spec/networks/storage' }]);
    assert.equal(removal!.remove?.[0]?.path, '/metadata/resourceVersion');
    assert.deepEqual(removal!.body.spec, {});
    assert.deepEqual((removal!.body.metadata as { annotations: unknown }).annotations, { 'network-policy.ovirt.org/st': 'removed' });
    assert.equal(update!.remove, undefined);
    // The new node does not get node-02's address while node-02's kernel may still have it.
    assert.notEqual(addr(c, 'node-05'), before.get('node-02'));
    settle(c);
    assert.equal(c.onns.get('node-02')!.spec.networks?.storage, undefined);
    assert.equal(c.onns.get('node-02')!.annotations['network-policy.ovirt.org/st'], undefined, 'removal done, annotation dropped');
    assert.equal(c.policy('st')!.status?.matchedNodes, 4);
  });

  it('a pool edit that leaves a node\'s address outside moves that node only', () => {
    const c = cluster(3);
    c.putPolicy('st', storage());
    settle(c);
    c.putPolicy('st', storage({ ipam: { pool: '10.20.0.0/24', range: '10.20.0.2-10.20.0.99' } }));
    settle(c);
    assert.deepEqual(['node-01', 'node-02', 'node-03'].map((n) => addr(c, n)), ['10.20.0.4', '10.20.0.2', '10.20.0.3']);
  });

  it('two policies with overlapping pools never give one address twice', () => {
    const c = cluster(4);
    c.putPolicy('a', storage());
    c.putPolicy('b', { ...storage(), networks: { other: { nic: 'eth2', ipam: { pool: '10.20.0.0/24' } } } });
    settle(c);
    const all = [...c.onns.values()].flatMap((o) => Object.values(o.spec.networks ?? {}).map((n) => (n as { ipaddr: string }).ipaddr));
    assert.equal(all.length, 8);
    assert.equal(new Set(all).size, 8);
  });

  it('an exhausted pool refuses the nodes left over', () => {
    const c = cluster(3);
    c.putPolicy('st', storage({ ipam: { pool: '10.20.0.0/24', range: '10.20.0.1-10.20.0.2' } }));
    settle(c);
    assert.deepEqual(c.policy('st')!.status?.failedNodes?.map((f) => [f.node, f.reason]), [['node-03', 'PoolExhausted']]);
  });
});

describe('removal', () => {
  it('deleting a policy removes its networks from every node at maxUnavailable, then drops the finalizer', () => {
    const c = cluster(5);
    c.handEdit('node-01', 'networks', 'mgmt', { nic: 'eth0' });
    c.agents();
    c.putPolicy('st', storage());
    settle(c);
    c.deletePolicy('st');
    const d = c.step(NOW)[0]!;
    assert.deepEqual(d.applies.map((x) => x.kind), ['remove', 'remove']);
    settle(c, 2);
    assert.equal(c.policy('st'), undefined, 'finalizer removed, the policy is gone');
    for (const o of c.onns.values()) {
      assert.equal(o.spec.networks?.storage, undefined);
      assert.deepEqual(Object.keys(o.annotations), []);
    }
    assert.deepEqual(c.onns.get('node-01')!.spec.networks, { mgmt: { nic: 'eth0' } }, 'the hand-made network stays');
  });

  it('an invalid spec changes nothing and says why, naming the field', () => {
    const c = cluster(2);
    c.putPolicy('st', storage());
    settle(c);
    c.putPolicy('st', { ...storage(), networks: { storage: { ipam: { pool: '10.20.0.7/24' } } } });
    const d = c.step(NOW)[0]!;
    assert.deepEqual(d.applies, []);
    const deg = condition(c.policy('st'), 'Degraded')!;
    assert.equal(deg.reason, 'InvalidSpec');
    assert.match(deg.message, /spec\.networks\.storage\.ipam\.pool: has host bits set/);
  });
});

describe('conflicts on nodes', () => {
  it('the later of two policies claiming one network name is refused there, with a Conflict event; nothing written', () => {
    const c = cluster(2);
    c.putPolicy('first', { ...storage(), maxUnavailable: 5 });
    settle(c);
    c.putPolicy('second', { ...storage(), networks: { storage: { nic: 'eth3' } }, maxUnavailable: 5 });
    const d = c.step(NOW).find((x) => x.policy === 'second')!;
    assert.deepEqual(d.applies, []);
    assert.ok(d.events.some((e) => e.reason === 'Conflict' && /node node-01: networks storage is already of policy first/.test(e.message)));
    assert.equal(condition(c.policy('second'), 'Degraded')?.reason, 'Conflict');
    assert.deepEqual(c.onns.get('node-01')!.spec.networks?.storage, { vlan: 20, nic: 'eth1', ipaddr: '10.20.0.1', prefix: 24 });
    // Once the first is deleted and gone from the nodes, the second gets its turn.
    c.deletePolicy('first');
    settle(c);
    assert.deepEqual(c.onns.get('node-01')!.spec.networks?.storage, { nic: 'eth3' });
    assert.equal(condition(c.policy('second'), 'Available')?.status, 'True');
  });

  it('a policy wanting a NIC a hand-made bond enslaves is refused on that node only', () => {
    const c = cluster(2);
    c.handEdit('node-02', 'bondings', 'bond0', { nics: ['eth1', 'eth2'] });
    c.agents();
    c.putPolicy('st', storage());
    settle(c);
    const p = c.policy('st')!;
    assert.deepEqual(p.status?.failedNodes?.map((f) => [f.node, f.reason]), [['node-02', 'Conflict']]);
    assert.equal(c.onns.get('node-02')!.spec.networks?.storage, undefined);
    assert.ok(c.onns.get('node-01')!.spec.networks?.storage);
  });

  it('a node without the NIC label is refused (MissingNodeLabel); labelling it brings the network', () => {
    const c = cluster(2, (i): Record<string, string> => (i === 1 ? { role: 'hv', 'ovirt.org/storage-nic': 'eth1' } : { role: 'hv' }));
    c.putPolicy('st', storage());
    settle(c);
    assert.deepEqual(c.policy('st')!.status?.failedNodes?.map((f) => f.reason), ['MissingNodeLabel']);
    c.label('node-02', { role: 'hv', 'ovirt.org/storage-nic': 'eth4' });
    settle(c);
    assert.equal((c.onns.get('node-02')!.spec.networks?.storage as { nic: string }).nic, 'eth4');
    assert.equal(condition(c.policy('st'), 'Available')?.status, 'True');
  });
});

describe('status', () => {
  it('out of sync: matched nodes whose kernelConfig differs from what the policy asks', () => {
    const c = cluster(2);
    c.putPolicy('st', storage());
    settle(c);
    const kc = (ip: string) => ({ networks: { storage: { nic: 'eth1', vlan: 20, bridged: true, stp: false, mtu: 1500, bootproto: 'none', ipaddr: ip, netmask: '255.255.255.0', defaultRoute: false, dhcpv6: false, ipv6autoconf: false, nameservers: [], switch: 'legacy' } }, bondings: {} });
    for (const n of ['node-01', 'node-02']) {
      const o = c.onns.get(n)!;
      c.onns.set(n, { ...o, status: { ...o.status, kernelConfig: kc(n === 'node-01' ? addr(c, n)! : '10.20.0.99') } });
    }
    c.step(NOW);
    assert.equal(c.policy('st')!.status?.outOfSyncNodes, 1);
  });
});
