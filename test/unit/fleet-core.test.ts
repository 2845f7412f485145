// The fleet core's stages one by one: selector matching, pools and allocation (with properties:
// no two nodes share an address, held addresses stay), rendering for a node, conflicts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { requirementMatches, selectorMatches } from '../../src/fleet/selector.js';
import { allocate, formatAddress, parsePool, type AllocationRequest, type Pool } from '../../src/fleet/ipam.js';
import { fragmentErrors, nicsFromValue, renderForNode } from '../../src/fleet/render.js';

const m = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));
const nodeOf = (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) => ({ name, labels: m(labels), annotations: m(annotations) });
import { clashWith, deviceUses, resolveClaims, usesClash } from '../../src/fleet/conflicts.js';
import { ownership, ownedFragment, managerOf } from '../../src/fleet/ownership.js';
import { checkPolicySpec, maxUnavailableOf } from '../../src/fleet/validate.js';
import { PolicySpecSchema } from '../../src/api/policy.js';
import { fieldSet } from '../../src/k8s/managed-fields.js';
import type { Fragment, OnnView } from '../../src/fleet/types.js';

describe('selector', () => {
  const labels = m({ rack: 'r1', 'ovirt.org/storage': 'yes' });
  it('each operator, NotIn and DoesNotExist matching a node without the label', () => {
    assert.equal(requirementMatches({ key: 'rack', operator: 'In', values: ['r1', 'r2'] }, labels), true);
    assert.equal(requirementMatches({ key: 'rack', operator: 'In', values: ['r2'] }, labels), false);
    assert.equal(requirementMatches({ key: 'zone', operator: 'In', values: ['r1'] }, labels), false);
    assert.equal(requirementMatches({ key: 'rack', operator: 'NotIn', values: ['r1'] }, labels), false);
    assert.equal(requirementMatches({ key: 'zone', operator: 'NotIn', values: ['a'] }, labels), true);
    assert.equal(requirementMatches({ key: 'rack', operator: 'Exists' }, labels), true);
    assert.equal(requirementMatches({ key: 'zone', operator: 'Exists' }, labels), false);
    assert.equal(requirementMatches({ key: 'zone', operator: 'DoesNotExist' }, labels), true);
    assert.equal(requirementMatches({ key: 'rack', operator: 'DoesNotExist' }, labels), false);
  });
  it('matchLabels and matchExpressions are ANDed; empty or absent matches all', () => {
    assert.equal(selectorMatches(undefined, m({})), true);
    assert.equal(selectorMatches({}, m({})), true);
    assert.equal(selectorMatches({ matchLabels: { rack: 'r1' }, matchExpressions: [{ key: 'ovirt.org/storage', operator: 'Exists' }] }, labels), true);
    assert.equal(selectorMatches({ matchLabels: { rack: 'r1' }, matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels), false);
    assert.equal(selectorMatches({ matchLabels: { rack: 'r2' } }, labels), false);
    assert.equal(selectorMatches({ matchLabels: { toString: '' } }, m({})), false, 'no prototype keys');
  });
});

describe('policy spec check', () => {
  it('errors name the field: pools, ranges, gateways, exclusive fields', () => {
    const r = checkPolicySpec({
      networks: {
        a: { ipam: { pool: '10.0.0.5/24' } },
        b: { ipam: { pool: '10.0.0.0/24', range: '10.0.0.99-10.0.0.10' } },
        c: { ipam: { pool: '10.0.0.0/24', range: '10.0.0.10-10.0.1.10' } },
        d: { ipam: { pool: '10.0.0.0/24' }, gateway: '10.9.0.1' },
        e: { nic: 'eth1', nicFromNodeLabel: 'x/nic' },
        f: { gateway: '10.0.0.1' },
        g: { ipam: { pool: '10.0.0.0/30', range: '10.0.0.1-10.0.0.1' }, gateway: '10.0.0.1' },
      },
      bondings: { bond1: { options: 'mode=1' } },
    });
    assert.equal(r.ok, false);
    const paths = !r.ok ? r.errors.map((e) => e.path).sort() : [];
    assert.deepEqual(paths, [
      'spec.bondings.bond1.nics', 'spec.networks.a.ipam.pool', 'spec.networks.b.ipam.range', 'spec.networks.c.ipam.range',
      'spec.networks.d.gateway', 'spec.networks.e.nicFromNodeLabel', 'spec.networks.f.gateway', 'spec.networks.g.ipam.pool',
    ]);
  });
  it('a schema error is reported with its path', () => {
    const r = checkPolicySpec({ networks: { a: { vlan: 5000 } } });
    assert.ok(!r.ok && r.errors.some((e) => e.path === 'spec.networks.a.vlan'));
  });
  it('maxUnavailable: a count as is; a percent of the matched nodes, rounded down, at least 1', () => {
    assert.equal(maxUnavailableOf(3, 50), 3);
    assert.equal(maxUnavailableOf('20%', 50), 10);
    assert.equal(maxUnavailableOf('25%', 6), 1);
    assert.equal(maxUnavailableOf('10%', 3), 1);
    assert.equal(maxUnavailableOf('100%', 7), 7);
  });
});

const pool4 = (cidr: string, range?: string, gw?: string): Pool => {
  const r = parsePool(4, { pool: cidr, ...(range ? { range } : {}) }, gw, 'spec.networks.n.ipam');
  if ('errors' in r) throw new Error(JSON.stringify(r.errors));
  return r.pool;
};

describe('pools', () => {
  it('IPv4: the network and broadcast addresses and the gateway are never handed out', () => {
    const p = pool4('10.0.0.0/29', undefined, '10.0.0.1');
    assert.equal(formatAddress(4, p.first), '10.0.0.1');
    assert.equal(formatAddress(4, p.last), '10.0.0.6');
    const r = allocate([{ key: 'p/n/v4', network: 'n', pool: p, nodes: ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((node) => ({ node })) }], new Map());
    assert.deepEqual([...r.assigned.get('p/n/v4')!.values()].map((a) => formatAddress(4, a)), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    assert.deepEqual(r.exhausted.get('p/n/v4'), ['f', 'g']);
  });
  it('IPv6: from the range, the subnet-router address never', () => {
    const r = parsePool(6, { pool: 'fd00:20::/64' }, undefined, 'x');
    assert.ok('pool' in r);
    assert.equal(formatAddress(6, r.pool.first), 'fd00:20::1');
    const ranged = parsePool(6, { pool: 'fd00:20::/64', range: 'fd00:20::10-fd00:20::1f' }, 'fd00:20::10', 'x');
    assert.ok('pool' in ranged);
    const a = allocate([{ key: 'k', network: 'n', pool: ranged.pool, nodes: [{ node: 'a' }] }], new Map());
    assert.equal(formatAddress(6, a.assigned.get('k')!.get('a')!), 'fd00:20::11');
  });
  it('addresses other nodes have (spec or kernel) are skipped; a held address stays', () => {
    const p = pool4('10.0.0.0/24');
    const taken = new Map([[BigInt(0x0a000001), ['x/other']], [BigInt(0x0a000007), ['b/n']]]);
    const r = allocate([{ key: 'k', network: 'n', pool: p, nodes: [{ node: 'a' }, { node: 'b', held: BigInt(0x0a000007) }] }], taken);
    assert.equal(formatAddress(4, r.assigned.get('k')!.get('a')!), '10.0.0.2');
    assert.equal(formatAddress(4, r.assigned.get('k')!.get('b')!), '10.0.0.7');
  });
  it('a held address outside the edited pool moves; a duplicate is kept by the first holder only', () => {
    const p = pool4('10.0.0.0/24', '10.0.0.100-10.0.0.200');
    const dup = BigInt(0x0a000064);
    const r = allocate([{ key: 'k', network: 'n', pool: p, nodes: [{ node: 'a', held: BigInt(0x0a000005) }, { node: 'b', held: dup }, { node: 'c', held: dup }] }], new Map([[dup, ['b/n', 'c/n']], [BigInt(0x0a000005), ['a/n']]]));
    const got = r.assigned.get('k')!;
    assert.equal(formatAddress(4, got.get('b')!), '10.0.0.100');
    assert.notEqual(got.get('c'), dup);
    assert.notEqual(got.get('a'), BigInt(0x0a000005));
  });

  const arbRequest = fc.record({
    nodes: fc.uniqueArray(fc.constantFrom(...Array.from({ length: 30 }, (_, i) => `node-${i}`)), { maxLength: 30 }),
    heldSeed: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 30, maxLength: 30 }),
    takenSeed: fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 10 }),
  });

  it('property: no two nodes get the same address, none that is taken, all inside the pool', () => {
    fc.assert(fc.property(arbRequest, fc.boolean(), ({ nodes, heldSeed, takenSeed }, twoPools) => {
      const p = pool4('10.0.0.0/26');
      const taken = new Map<bigint, string[]>(takenSeed.map((t) => [BigInt(0x0a000000 + t), ['outside/x']]));
      const reqs: AllocationRequest[] = [{ key: 'a/n/v4', network: 'n', pool: p, nodes: nodes.map((node, i) => (heldSeed[i]! > 0 ? { node, held: BigInt(0x0a000000 + heldSeed[i]!) } : { node })) }];
      if (twoPools) reqs.push({ key: 'b/m/v4', network: 'm', pool: p, nodes: nodes.map((node) => ({ node })) });
      const r = allocate(reqs, taken);
      const all = [...r.assigned.values()].flatMap((m) => [...m.values()]);
      assert.equal(new Set(all).size, all.length, 'unique');
      for (const a of all) {
        assert.ok(a >= p.first && a <= p.last);
        assert.ok(!taken.has(a) || reqs[0]!.nodes.some((n) => n.held === a), 'only a holder keeps a taken address');
      }
    }));
  });

  it('property: stable — allocating again with what was handed out as held gives the same, also with nodes added', () => {
    fc.assert(fc.property(arbRequest, fc.uniqueArray(fc.constantFrom('new-a', 'new-b', 'new-c')), ({ nodes }, added) => {
      const p = pool4('10.0.0.0/24');
      const first = allocate([{ key: 'k', network: 'n', pool: p, nodes: nodes.map((node) => ({ node })) }], new Map()).assigned.get('k')!;
      // What the objects hold after the writes: the addresses in the specs (taken, and held by their nodes).
      const taken = new Map([...first].map(([n, a]) => [a, [`${n}/n`]]));
      const again = allocate([{ key: 'k', network: 'n', pool: p, nodes: [...added, ...nodes].map((node) => ({ node, ...(first.has(node) ? { held: first.get(node)! } : {}) })) }], taken).assigned.get('k')!;
      for (const [n, a] of first) assert.equal(again.get(n), a, n);
      const all = [...again.values()];
      assert.equal(new Set(all).size, all.length);
    }));
  });
});

describe('render', () => {
  const spec = PolicySpecSchema.parse({
    networks: {
      storage: { nicFromNodeLabel: 'ovirt.org/storage-nic', vlan: 20, bridged: false, ipam: { pool: '10.20.0.0/24' }, ipv6ipam: { pool: 'fd00:20::/64' } },
      vms: { bonding: 'bond0' },
    },
    bondings: { bond0: { nicsFromNodeAnnotation: 'ovirt.org/bond-nics', options: 'mode=1' } },
  });
  const addresses = { v4: new Map([['storage', BigInt(0x0a140005)]]), v6: new Map([['storage', 0xfd000020000000000000000000000005n]]) };

  it('NIC names and slaves from node labels, addresses with the pool\'s prefix', () => {
    const r = renderForNode(spec, nodeOf('n1', { 'ovirt.org/storage-nic': 'ens3f1' }, { 'ovirt.org/bond-nics': 'ens3f2, ens3f3' }), addresses);
    assert.ok(r.ok);
    assert.deepEqual(r.fragment, {
      networks: { storage: { vlan: 20, bridged: false, nic: 'ens3f1', ipaddr: '10.20.0.5', prefix: 24, ipv6addr: 'fd00:20::5/64' }, vms: { bonding: 'bond0' } },
      bondings: { bond0: { options: 'mode=1', nics: ['ens3f2', 'ens3f3'] } },
    });
    assert.deepEqual(fragmentErrors(r.fragment, undefined), []);
  });
  it('a missing label refuses the node, naming the label and the field', () => {
    const r = renderForNode(spec, nodeOf('n1', {}, { 'ovirt.org/bond-nics': 'a' }), addresses);
    assert.ok(!r.ok);
    assert.equal(r.reason, 'MissingNodeLabel');
    assert.match(r.message, /ovirt\.org\/storage-nic.*spec\.networks\.storage\.nicFromNodeLabel/);
  });
  it('a label naming a NIC the node lacks is caught before writing, with the node spec\'s validation', () => {
    const r = renderForNode(spec, nodeOf('n1', { 'ovirt.org/storage-nic': 'nope0' }, { 'ovirt.org/bond-nics': 'eth1' }), addresses);
    assert.ok(r.ok);
    const onn = { name: 'n1', generation: 1, annotations: {}, spec: {}, managedFields: [], status: { capabilities: { nics: { eth1: {}, eth2: {} } } } } satisfies OnnView;
    assert.ok(fragmentErrors(r.fragment, onn).some((e) => e.startsWith('spec.networks.storage.nic')));
  });
  it('a bad label or annotation value is refused on the node, naming the key and the field', () => {
    const label = renderForNode(spec, nodeOf('n1', { 'ovirt.org/storage-nic': 'a-very-long-nic-name' }, { 'ovirt.org/bond-nics': 'eth1' }), addresses);
    assert.ok(!label.ok && label.reason === 'InvalidNodeLabel');
    assert.match(label.message, /label ovirt\.org\/storage-nic \(spec\.networks\.storage\.nicFromNodeLabel\)/);
    const ann = renderForNode(spec, nodeOf('n1', { 'ovirt.org/storage-nic': 'eth1' }, { 'ovirt.org/bond-nics': 'eth2,,eth3' }), addresses);
    assert.ok(!ann.ok && ann.reason === 'InvalidNodeAnnotation');
    assert.match(ann.message, /annotation ovirt\.org\/bond-nics \(spec\.bondings\.bond0\.nicsFromNodeAnnotation\)/);
    const missing = renderForNode(spec, nodeOf('n1', { 'ovirt.org/storage-nic': 'eth1' }), addresses);
    assert.ok(!missing.ok && missing.reason === 'MissingNodeAnnotation');
  });
  it('an annotation lists slaves by ","; a label names one NIC', () => {
    assert.deepEqual(nicsFromValue('annotation', 'a,b, c'), { nics: ['a', 'b', 'c'] });
    assert.deepEqual(nicsFromValue('label', 'eth1'), { nics: ['eth1'] });
    for (const bad of ['', 'a,,b', 'a,', 'a,a', 'a,' + 'x'.repeat(16)]) assert.ok('problem' in nicsFromValue('annotation', bad), bad);
  });
});

describe('conflicts', () => {
  const frag = (f: Partial<Fragment>): Fragment => ({ networks: {}, bondings: {}, ...f });
  it('devices: a slave shares with nobody; VLANs share a NIC; two untagged do not', () => {
    const slave = deviceUses(frag({ bondings: { bond1: { nics: ['eth1'] } } }))[0]!;
    const v10 = deviceUses(frag({ networks: { a: { nic: 'eth1', vlan: 10 } } }))[0]!;
    const v20 = deviceUses(frag({ networks: { b: { nic: 'eth1', vlan: 20 } } }))[0]!;
    const untagged = deviceUses(frag({ networks: { c: { nic: 'eth1' } } }))[0]!;
    assert.equal(usesClash(slave, v10), true);
    assert.equal(usesClash(v10, v20), false);
    assert.equal(usesClash(v10, untagged), false);
    assert.equal(usesClash(untagged, { ...untagged, by: 'networks/d' }), true);
    assert.equal(usesClash(v10, { ...v10, by: 'networks/e' }), true);
  });

  const onnWith = (entries: { manager: string; networks?: Record<string, unknown>; bondings?: Record<string, unknown> }[]): OnnView => {
    const spec = { networks: Object.assign({}, ...entries.map((e) => e.networks ?? {})), bondings: Object.assign({}, ...entries.map((e) => e.bondings ?? {})) };
    return {
      name: 'n1', generation: 3, annotations: {}, spec,
      managedFields: entries.map((e) => ({ manager: e.manager, operation: 'Apply', apiVersion: 'ovirt.org/v1alpha1', time: 't', fieldsType: 'FieldsV1', fieldsV1: fieldSet({ spec: { ...(e.networks ? { networks: e.networks } : {}), ...(e.bondings ? { bondings: e.bondings } : {}) } }) })),
    };
  };

  it('a name a hand edit has is refused to a policy; a NIC a hand-made bond enslaves too', () => {
    const onn = onnWith([{ manager: 'kubectl-edit', networks: { net1: { nic: 'eth1' } }, bondings: { bond9: { nics: ['eth3'] } } }]);
    const own = ownership(onn);
    const claim = (policy: string, desired: Fragment) => ({ policy, manager: managerOf(policy), desired, holds: ownedFragment(onn, own, managerOf(policy)) });
    const r = resolveClaims(onn, own, [claim('p1', frag({ networks: { net1: { nic: 'eth2' } } })), claim('p2', frag({ networks: { st: { nic: 'eth3', vlan: 5 } } })), claim('p3', frag({ networks: { ok: { nic: 'eth1', vlan: 7 } } }))]);
    assert.match(r.get('p1')!.message, /networks net1 is already on the node by hand/);
    assert.match(r.get('p2')!.message, /uses eth3 \(vlan 5\), which bondings bond9 on the node by hand uses \(slave\)/);
    assert.equal(r.has('p3'), false, 'a VLAN on a NIC another network uses untagged is no conflict');
  });

  it('between policies the earlier claim stands; a policy already holding the name comes first', () => {
    const onn = onnWith([{ manager: managerOf('young'), networks: { net1: { nic: 'eth1' } } }]);
    const own = ownership(onn);
    const want = frag({ networks: { net1: { nic: 'eth1' } } });
    // "old" is older, but "young" holds net1 on this node: the caller orders holders first.
    const r = resolveClaims(onn, own, [
      { policy: 'young', manager: managerOf('young'), desired: want, holds: ownedFragment(onn, own, managerOf('young')) },
      { policy: 'old', manager: managerOf('old'), desired: want, holds: frag({}) },
    ]);
    assert.equal(r.has('young'), false);
    assert.match(r.get('old')!.message, /already of policy young/);
  });

  it('a hand edit of a field of the policy\'s network refuses the policy there (never forced back)', () => {
    const base = onnWith([{ manager: managerOf('p'), networks: { net1: { nic: 'eth1', mtu: 1500 } } }]);
    const onn: OnnView = {
      ...base,
      spec: { networks: { net1: { nic: 'eth1', mtu: 9000 } } },
      managedFields: [...base.managedFields.map((e) => ({ ...e, fieldsV1: fieldSet({ spec: { networks: { net1: { nic: 'eth1' } } } }) })), { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'ovirt.org/v1alpha1', time: 't', fieldsType: 'FieldsV1', fieldsV1: fieldSet({ spec: { networks: { net1: { mtu: 9000 } } } }) }],
    };
    const own = ownership(onn);
    const r = resolveClaims(onn, own, [{ policy: 'p', manager: managerOf('p'), desired: frag({ networks: { net1: { nic: 'eth1', mtu: 1500 } } }), holds: ownedFragment(onn, own, managerOf('p')) }]);
    assert.match(r.get('p')!.message, /changed by kubectl-edit \(\.spec\.networks\.net1\.mtu\)/);
  });

  it('clashWith names the entries', () => {
    assert.equal(clashWith(frag({ networks: { a: { nic: 'eth1', vlan: 1 } } }), []), undefined);
  });
});
