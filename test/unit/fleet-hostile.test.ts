// Issue 23 (findings 4, 5, 10) as classes: hostile label keys and values — every built-in
// property name, "__proto__", every byte value — through the selector, render, IPAM and the whole
// reconcile; one policy failing alone; a node whose report names other nodes' addresses or the
// whole pool; several bond slaves from a node annotation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { selectorMatches } from '../../src/fleet/selector.js';
import { fragmentErrors, renderForNode } from '../../src/fleet/render.js';
import { checkPolicySpec } from '../../src/fleet/validate.js';
import { reconcile } from '../../src/fleet/reconcile.js';
import { PolicySpecSchema } from '../../src/api/policy.js';
import type { NodeView, OnnView } from '../../src/fleet/types.js';
import { Cluster, condition } from '../helpers/fleet-sim.js';

const NOW = new Date('2026-01-02T00:00:00Z');
const BUILTINS = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', ...Object.getOwnPropertyNames(Function.prototype), ...Object.getOwnPropertyNames(Array.prototype)])];
const BYTES = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b));
const hostileKey = fc.oneof(fc.constantFrom(...BUILTINS), fc.constantFrom(...BYTES), fc.string({ unit: fc.constantFrom(...BYTES), maxLength: 20 }));
const hostileValue = fc.oneof(fc.constantFrom(...BUILTINS, ...BYTES), fc.string({ unit: fc.constantFrom(...BYTES), maxLength: 40 }));
const m = (o: Record<string, string>) => new Map(Object.entries(o));
const node = (labels: Record<string, string>, annotations: Record<string, string> = {}): NodeView => ({ name: 'n1', labels: m(labels), annotations: m(annotations) });
const noAddresses = { v4: new Map<string, bigint>(), v6: new Map<string, bigint>() };
/** A record with the key as an own property, also for "__proto__" (as JSON.parse makes it). */
const rec = (k: string, v: unknown) => JSON.parse(`{${JSON.stringify(k)}:${JSON.stringify(v)}}`) as Record<string, string>;

describe('hostile label keys and values', () => {
  it('every built-in property name as a label key: the selector sees only labels the node has', () => {
    for (const k of BUILTINS) {
      assert.equal(selectorMatches({ matchExpressions: [{ key: k, operator: 'Exists' }] }, m({})), false, k);
      assert.equal(selectorMatches({ matchExpressions: [{ key: k, operator: 'DoesNotExist' }] }, m({})), true, k);
      assert.equal(selectorMatches({ matchLabels: rec(k, 'x') }, m({})), false, k);
      assert.equal(selectorMatches({ matchLabels: rec(k, 'x') }, m(rec(k, 'x'))), true, k);
    }
  });

  it('property: render never throws; a missing key is MissingNodeLabel/Annotation, a present one is used or refused as not a NIC name', () => {
    fc.assert(fc.property(hostileKey, hostileValue, fc.boolean(), (key, value, present) => {
      const spec = PolicySpecSchema.parse({ networks: { net1: { nicFromNodeLabel: 'x/nic' } }, bondings: { bond0: { nicsFromNodeAnnotation: 'x/slaves' } } });
      // The policy's keys are the hostile ones (past the CRD, as a spec from a file could be).
      spec.networks.net1!.nicFromNodeLabel = key;
      spec.bondings.bond0!.nicsFromNodeAnnotation = key;
      const labels = present ? rec(key, value) : {};
      const r = renderForNode(spec, node(labels, labels), noAddresses);
      if (!present) {
        assert.ok(!r.ok && (r.reason === 'MissingNodeAnnotation' || r.reason === 'MissingNodeLabel'), JSON.stringify(r));
        return;
      }
      if (r.ok) {
        assert.deepEqual(r.fragment.bondings.bond0!.nics, value.split(',').map((s) => s.trim()));
        assert.equal(r.fragment.networks.net1!.nic, value);
      } else assert.match(r.reason, /^InvalidNode(Label|Annotation)$/);
    }), { numRuns: 2000 });
  });

  it('nicFromNodeLabel: constructor on a node without that label is MissingNodeLabel (issue 23, finding 4)', () => {
    for (const k of BUILTINS) {
      const spec = PolicySpecSchema.parse({ networks: { net1: { nicFromNodeLabel: 'x/nic' } }, bondings: { bond0: { nicsFromNodeLabel: 'x/nic' } } });
      spec.networks.net1!.nicFromNodeLabel = k;
      spec.bondings.bond0!.nicsFromNodeLabel = k;
      const r = renderForNode(spec, node({}), noAddresses);
      assert.ok(!r.ok && r.reason === 'MissingNodeLabel', `${k}: ${JSON.stringify(r)}`);
    }
  });

  it('every built-in name as a network name: never lost nor inherited; "__proto__" refused by name', () => {
    for (const k of BUILTINS.filter((n) => n.length <= 15)) {
      const raw = { networks: JSON.parse(`{${JSON.stringify(k)}: {"nic": "eth1"}}`) };
      const chk = checkPolicySpec(raw);
      if (k === '__proto__') {
        assert.ok(!chk.ok && chk.errors.some((e) => e.path.includes('__proto__')), JSON.stringify(chk));
        continue;
      }
      if (!chk.ok) continue; // refused by the name rule: fine
      const r = renderForNode(chk.spec, node({}), noAddresses);
      assert.ok(r.ok && Object.hasOwn(r.fragment.networks, k) && Object.keys(r.fragment.networks).length === 1, k);
      // The node spec's validation refuses what it reserves (a clear error), and never throws.
      for (const e of fragmentErrors(r.fragment, undefined)) assert.match(e, new RegExp(`^spec\\.networks\\.${k.replace(/[$]/g, '\\$&')}: `), k);
    }
    // And through the whole core: such a policy is refused by validation, not by a crash.
    const c = new Cluster();
    c.addNode('n1');
    const names = BUILTINS.filter((n) => n.length <= 15 && n !== '__proto__' && checkPolicySpec({ networks: rec(n, { nic: 'eth1', vlan: 1 }) }).ok);
    assert.ok(names.includes('constructor'));
    c.putPolicy('p', { networks: Object.fromEntries(names.map((n, i) => [n, { nic: 'eth1', vlan: i + 1 }])) });
    for (let i = 0; i < 4; i++) { c.step(NOW); c.agents(); }
    const reason = condition(c.policy('p'), 'Degraded')?.reason;
    assert.ok(reason === 'AsExpected' || reason === 'InvalidRender', String(reason));
  });

  it('property: the whole reconcile over hostile labels, annotations and policy keys never throws, and writes only where it renders', () => {
    fc.assert(fc.property(fc.array(fc.tuple(hostileKey, hostileValue), { maxLength: 6 }), hostileKey, (pairs, key) => {
      const c = new Cluster();
      const labels = Object.fromEntries(pairs);
      c.addNode('n1', labels, true, labels);
      c.addNode('n2', { 'x/nic': 'eth1' }, true, { 'x/nics': 'eth2,eth3' });
      c.putPolicy('hostile', { networks: { a: { nicFromNodeLabel: 'x/nic', ipam: { pool: '10.1.0.0/24' } } }, bondings: { bond1: { nicsFromNodeAnnotation: 'x/nics' } }, nodeSelector: { matchExpressions: [{ key: 'x/nic', operator: 'Exists' }] } });
      const p = c.policies.get('hostile')!;
      (p.spec as { networks: { a: { nicFromNodeLabel: string } } }).networks.a.nicFromNodeLabel = key;
      for (let i = 0; i < 3; i++) {
        c.step(NOW);
        c.agents();
      }
      const st = c.policy('hostile')!.status!;
      assert.notEqual(condition(c.policy('hostile'), 'Degraded')?.reason, 'ReconcileFailed', JSON.stringify(st));
    }), { numRuns: 300 });
  });
});

describe('one policy fails alone', () => {
  it('a policy whose render throws is Degraded ReconcileFailed with an Event; another policy rolls out', () => {
    const c = new Cluster();
    c.addNode('n1', { 'x/nic': 'eth1' });
    c.addNode('n2', { 'x/nic': 'eth1' });
    c.putPolicy('a-broken', { networks: { na: { nicFromNodeLabel: 'a/nic' } } });
    c.putPolicy('b-fine', { networks: { nb: { nicFromNodeLabel: 'x/nic' } }, maxUnavailable: 2 });
    // No JSON input makes render throw any more; the fault is injected through the input: node
    // n1's labels throw for the key only policy a-broken reads (a label map the core cannot trust).
    const real = c.nodes.get('n1')!;
    const labels = new Map(real.labels);
    labels.get = (k: string) => {
      if (k === 'a/nic') throw new TypeError('hostile label map');
      return Map.prototype.get.call(labels, k) as string | undefined;
    };
    c.nodes.set('n1', { ...real, labels });
    let events: string[] = [];
    for (let i = 0; i < 5; i++) {
      const d = c.step(NOW);
      events.push(...d.filter((x) => x.policy === 'a-broken').flatMap((x) => x.events.map((e) => e.reason)));
      c.agents();
    }
    const a = c.policy('a-broken')!;
    assert.equal(condition(a, 'Degraded')?.reason, 'ReconcileFailed');
    assert.match(condition(a, 'Degraded')!.message, /hostile label map/);
    assert.ok(events.includes('ReconcileFailed'));
    assert.equal(a.status?.failedNodes?.find((f) => f.node === 'n1')?.reason, 'ReconcileFailed');
    assert.equal(condition(c.policy('b-fine'), 'Available')?.status, 'True');
    assert.equal(c.onns.get('n1')!.spec.networks?.na, undefined, 'nothing written for the failed policy on n1');
    assert.deepEqual(c.onns.get('n1')!.spec.networks?.nb, { nic: 'eth1' });
    events = [];
  });

  it('a policy whose spec cannot even be read is Degraded ReconcileFailed as a whole; the others go on', () => {
    const c = new Cluster();
    c.addNode('n1', { 'x/nic': 'eth1' });
    c.putPolicy('b-fine', { networks: { nb: { nicFromNodeLabel: 'x/nic' } } });
    c.putPolicy('a-broken', {});
    const p = c.policies.get('a-broken')!;
    c.policies.set('a-broken', { ...p, spec: new Proxy({}, { get() { throw new RangeError('unreadable spec'); }, ownKeys() { throw new RangeError('unreadable spec'); } }) });
    const d = reconcile(c.world(), NOW);
    const a = d.find((x) => x.policy === 'a-broken')!;
    assert.equal(a.status.conditions?.find((x) => x.type === 'Degraded')?.reason, 'ReconcileFailed');
    assert.deepEqual(a.applies, []);
    assert.equal(d.find((x) => x.policy === 'b-fine')!.applies.length, 1);
  });
});

describe('IPAM trusts only what the controller wrote', () => {
  const pool = { nodeSelector: { matchLabels: { role: 'hv' } }, networks: { st: { nic: 'eth1', ipam: { pool: '10.9.0.0/24', range: '10.9.0.1-10.9.0.20' } } }, maxUnavailable: 10 };
  function settled(n: number): Cluster {
    const c = new Cluster();
    for (let i = 1; i <= n; i++) c.addNode(`node-${i}`, { role: 'hv' });
    c.putPolicy('p', pool);
    for (let i = 0; i < 10; i++) {
      c.step(NOW);
      c.agents();
    }
    return c;
  }
  const addrs = (c: Cluster) => Object.fromEntries([...c.onns].map(([n, o]) => [n, (o.spec.networks?.st as { ipaddr?: string } | undefined)?.ipaddr]));
  /** The node's agent reports these addresses (kernelConfig), keeping the rest of its status. */
  const report = (c: Cluster, nodeName: string, ips: string[]) => {
    const o = c.onns.get(nodeName)!;
    const networks = Object.fromEntries(ips.map((ip, i) => [`evil${i}`, { ipaddr: ip, prefix: 24 }]));
    c.onns.set(nodeName, { ...o, status: { ...o.status, kernelConfig: { networks } } } satisfies OnnView);
  };

  it('(a) a node reporting another node\'s address moves nobody; the duplicate is counted and announced', () => {
    const c = settled(3);
    const before = addrs(c);
    // The reporter sorts first: the old rule kept a shared address for the first holder by name.
    report(c, 'node-1', [before['node-3']!]);
    const d = c.step(NOW);
    assert.deepEqual(addrs(c), before);
    assert.equal(c.policy('p')!.status?.conflictingAddresses, 1);
    assert.ok(d[0]!.events.some((e) => e.reason === 'ConflictingAddress' && e.message.includes(`node node-1 reports ${before['node-3']}`)), JSON.stringify(d[0]!.events));
    assert.equal(c.step(NOW)[0]!.events.length, 0, 'announced once');
  });

  it('(b) a node reporting every address of the pool starves nobody: a new node still gets one', () => {
    const c = settled(3);
    const before = addrs(c);
    report(c, 'node-2', Array.from({ length: 20 }, (_, i) => `10.9.0.${i + 1}`));
    c.addNode('node-4', { role: 'hv' });
    for (let i = 0; i < 5; i++) {
      c.step(NOW);
      c.agents();
    }
    const after = addrs(c);
    for (const n of ['node-1', 'node-2', 'node-3']) assert.equal(after[n], before[n], n);
    assert.ok(after['node-4'] && !Object.values(before).includes(after['node-4']), JSON.stringify(after));
    const p = c.policy('p')!;
    assert.ok(!p.status?.failedNodes?.some((f) => f.reason === 'PoolExhausted'), JSON.stringify(p.status?.failedNodes));
    assert.equal(p.status?.conflictingAddresses, 19, 'every address but its own, surfaced');
  });

  it('a node leaving reserves only the one address it had, while its kernel still has it', () => {
    const c = settled(2);
    const had = addrs(c)['node-2']!;
    c.label('node-2', {});
    c.step(NOW); // the removal is written; node-2's agent has not acted on it yet
    const o = c.onns.get('node-2')!;
    // Its report: the released address under the policy's network, and other addresses besides.
    c.onns.set('node-2', { ...o, status: { ...o.status, kernelConfig: { networks: { st: { ipaddr: had, prefix: 24 }, other: { ipaddr: '10.9.0.5', prefix: 24 } } } } });
    c.addNode('node-3', { role: 'hv' });
    c.step(NOW);
    const got = addrs(c)['node-3'];
    assert.ok(got && got !== had, `${got} is not the address still being released (${had})`);
    assert.equal(got, '10.9.0.3', 'the address reported under another name is not reserved');
  });
});

describe('several bond slaves from a node annotation', () => {
  it('renders the listed NICs; a bad list refuses the node naming the annotation; the label form stays one NIC', () => {
    const c = new Cluster();
    c.addNode('n1', { role: 'hv' }, true, { 'ovirt.org/bond-nics': 'eth1, eth2' });
    c.addNode('n2', { role: 'hv' }, true, { 'ovirt.org/bond-nics': 'eth1,a-very-long-nic-name' });
    c.putPolicy('b', { bondings: { bond0: { nicsFromNodeAnnotation: 'ovirt.org/bond-nics', options: 'mode=1' } }, maxUnavailable: 2 });
    c.step(NOW);
    assert.deepEqual(c.onns.get('n1')!.spec.bondings?.bond0, { options: 'mode=1', nics: ['eth1', 'eth2'] });
    const f = c.policy('b')!.status?.failedNodes?.find((x) => x.node === 'n2');
    assert.equal(f?.reason, 'InvalidNodeAnnotation');
    assert.match(f!.message, /annotation ovirt\.org\/bond-nics/);
    assert.equal(c.onns.get('n2')!.spec.bondings, undefined);
  });
  it('exactly one of nics, nicsFromNodeAnnotation and nicsFromNodeLabel', () => {
    const r = checkPolicySpec({ bondings: { bond0: { nicsFromNodeAnnotation: 'a/b', nicsFromNodeLabel: 'a/c' } } });
    assert.ok(!r.ok && r.errors.some((e) => e.path === 'spec.bondings.bond0.nics'));
  });
});
