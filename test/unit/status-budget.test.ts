// The object's byte budget: the largest spec the CRD accepts, applied to a host of that size
// (bench/lib/synthetic-host.ts, read by the real parser), gets a status from the real
// capabilities/kernelConfig/statistics that the budget fits into 1 MiB with capabilities kept;
// and the truncation order: each level leaves out what it says and nothing essential, and a
// status that fits is written as it is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCrd } from '../../src/api/crd.js';
import { BONDINGS_MAX, NETWORKS_MAX, SpecSchema } from '../../src/api/spec.js';
import { StatusSchema } from '../../src/api/status.js';
import { validate } from '../../src/plan/validate.js';
import { baseBytes, ESSENTIAL_FIELDS, fitStatus, leftOut, MAX_LEVEL, OBJECT_BUDGET_BYTES, objectBytes, statusManagedFields, truncate, truncationCondition, TRUNCATION_ORDER, withTruncationCondition, type StatusFields } from '../../src/report/status-budget.js';
import { conditionsFor, success } from '../../src/report/status-shapes.js';
import { capabilities } from '../../src/observe/capabilities.js';
import { kernelConfig } from '../../src/observe/kernel-config.js';
import { assembleHostState } from '../../src/observe/parse.js';
import { StatisticsSampler } from '../../src/observe/statistics.js';
import { bondName, fullStatus, jsonBytes, largestSpec, shapeSpec, storedObject, writtenStatus } from '../../bench/status-size.js';
import { loadDumps, loadRunning } from './observe-fixtures.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLldpNeighbors } from '../../src/observe/lldp.js';

// dist/test/unit -> test/fixtures/lldp
const LLDP_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'lldp');

type Obj = Record<string, unknown>;

describe('the object\'s byte budget at the largest spec the CRD accepts', () => {
  const spec = largestSpec();
  const full = fullStatus(spec);
  const written = writtenStatus(spec, full);
  const obj = storedObject(spec, written.status);

  it('is a spec the CRD accepts, and one network or bond more is refused, naming the field', () => {
    assert.equal(SpecSchema.safeParse(spec).success, true);
    const more = shapeSpec('vlan-bond-bridged-v4v6', NETWORKS_MAX + 1, BONDINGS_MAX);
    assert.deepEqual(validate(more).map((e) => `${e.path}: ${e.message}`), [`spec.networks: must have at most ${NETWORKS_MAX} networks`]);
    const bonds = { ...spec, bondings: { ...spec.bondings, [bondName(BONDINGS_MAX)]: { nics: ['eth0'] } } };
    assert.deepEqual(validate(bonds).map((e) => `${e.path}: ${e.message}`), [`spec.bondings: must have at most ${BONDINGS_MAX} bonds`]);
    const crd = buildCrd() as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, { maxProperties?: number }> } } } } }[] } };
    const props = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties;
    assert.deepEqual([props.networks!.maxProperties, props.bondings!.maxProperties], [NETWORKS_MAX, BONDINGS_MAX]);
  });

  it('the full status would not fit; the status written does, with capabilities of every network kept', () => {
    assert.ok(jsonBytes(storedObject(spec, full)) > OBJECT_BUDGET_BYTES, 'the full status is over the budget (else this proves nothing)');
    const bytes = jsonBytes(obj);
    assert.ok(bytes <= OBJECT_BUDGET_BYTES, `${bytes} bytes`);
    assert.equal(written.bytes, bytes, 'the reporter\'s estimate is the object\'s size');
    assert.ok(written.level <= TRUNCATION_ORDER.findIndex((l) => l.leavesOut === 'capabilities'), `level ${written.level} leaves out capabilities`);
    const caps = written.status.capabilities as { networks: Obj; bondings: Obj; bridges: Obj; vlans: Obj };
    assert.equal(Object.keys(caps.networks).length, NETWORKS_MAX);
    assert.equal(Object.keys(caps.bondings).length, BONDINGS_MAX);
    assert.equal(Object.keys(caps.bridges).length, NETWORKS_MAX);
    for (const [name, n] of Object.entries(spec.networks!)) assert.equal((caps.networks[name] as Obj).vlanid, n.vlan, name);
  });

  it('keeps the result of the apply and says what it left out', () => {
    for (const k of ESSENTIAL_FIELDS.filter((f) => f !== 'conditions')) assert.deepEqual(written.status[k], full[k], k);
    const conditions = written.status.conditions as { type: string; status: string; reason: string; message: string }[];
    assert.deepEqual(conditions.slice(0, 3), full.conditions);
    const t = conditions.find((c) => c.type === 'StatusTruncated')!;
    assert.deepEqual([t.status, t.reason], ['True', 'ObjectTooLarge']);
    for (const what of leftOut(written.level)) assert.ok(t.message.includes(what), what);
    assert.match(t.message, /\/metrics/);
    assert.ok(StatusSchema.safeParse(written.status).success, 'a status the CRD accepts');
  });
});

it('issue 17\'s case, NETWORKS_MAX nicless bridges, fits with nothing left out (it was 1.49 MB at 800)', () => {
  const spec = shapeSpec('nicless-bridge', NETWORKS_MAX);
  const w = writtenStatus(spec, fullStatus(spec));
  assert.equal(w.level, 0);
  assert.ok(jsonBytes(storedObject(spec, w.status)) <= OBJECT_BUDGET_BYTES);
});

/** A status the real code builds from the VM fixture (bond, VLANs, bridges, networks) and an apply. */
function vmStatus(): StatusFields {
  const running = loadRunning('vm');
  const sampler = new StatisticsSampler();
  const host = assembleHostState(loadDumps('vm'), 1000);
  sampler.sample(assembleHostState(loadDumps('vm'), 990));
  const caps = capabilities(host, running);
  // What the captured lab switch announces, on every NIC.
  const heard = parseLldpNeighbors(readFileSync(join(LLDP_FIXTURES, 'lab-switch.json0'), 'utf8'), ['eth1'], new Set(['eth1']));
  const lldp = Object.fromEntries(Object.keys(caps.nics).map((n) => [n, heard.eth1!]));
  return {
    capabilities: caps,
    kernelConfig: kernelConfig(host, running),
    statistics: sampler.sample(host),
    lldp,
    infoStatus: success(),
    setupStatus: success(),
    conditions: conditionsFor({ kind: 'available', generation: 4 }, undefined, new Date('2026-01-01T00:00:00Z')),
    observedGeneration: 4,
  };
}

const isNone = (k: string, v: unknown) => v === '' || v === false || (Array.isArray(v) && !v.length) || (typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.keys(v).length) || (k === 'ipv6gateway' && v === '::');

describe('truncation order', () => {
  const s = vmStatus();
  const caps = s.capabilities as { nics: Obj; bondings: Obj; bridges: Obj; vlans: Obj; networks: Record<string, Obj> };

  it('level 0 is the status as it is; a level outside the order is refused, naming it', () => {
    assert.equal(truncate(s, 0), s);
    assert.throws(() => truncate(s, MAX_LEVEL + 1), new RegExp(`truncation level ${MAX_LEVEL + 1}: must be an integer in 0\\.\\.${MAX_LEVEL}`));
    assert.throws(() => truncate(s, 1.5), /truncation level 1\.5/);
  });

  it('every level keeps the essential fields as they are', () => {
    for (let level = 0; level <= MAX_LEVEL; level++) {
      const t = truncate(s, level);
      for (const k of ESSENTIAL_FIELDS) assert.deepEqual(t[k], s[k], `level ${level}: ${k}`);
    }
    assert.deepEqual(Object.keys(truncate(s, MAX_LEVEL)).sort(), [...ESSENTIAL_FIELDS].sort(), 'the deepest level is the essential fields');
  });

  it('1: statistics of NICs and bonds only', () => {
    const stats = truncate(s, 1).statistics as Obj;
    const ports = [...Object.keys(caps.nics), ...Object.keys(caps.bondings)].filter((n) => n in (s.statistics as Obj));
    assert.deepEqual(Object.keys(stats).sort(), ports.sort());
    assert.ok('b4fx' in stats && 'v4afx' in stats && !('ndfx' in stats) && !('b4fx.100' in stats) && !('lo' in stats));
    assert.deepEqual(stats.b4fx, (s.statistics as Obj).b4fx);
  });

  it('2: no statistics', () => {
    assert.equal('statistics' in truncate(s, 2), false);
    assert.deepEqual(truncate(s, 2).capabilities, s.capabilities);
  });

  it('3: capabilities without repeated and empty fields, nothing lost', () => {
    const c = truncate(s, 3).capabilities as typeof caps;
    assert.deepEqual(c.vlans['b4fx.100'], { ipv6autoconf: true, mtu: '1500', iface: 'b4fx', vlanid: 100 });
    for (const m of ['nics', 'bondings', 'bridges', 'vlans'] as const) {
      for (const [name, e] of Object.entries(caps[m])) {
        const compact = c[m][name] as Obj;
        for (const [k, v] of Object.entries(e as Obj)) assert.deepEqual(k in compact ? compact[k] : (isNone(k, v) ? v : 'lost'), v, `${m}.${name}.${k}`);
      }
    }
    const devices: Obj = { ...c.nics, ...c.bondings, ...c.bridges, ...c.vlans };
    for (const [name, net] of Object.entries(caps.networks)) {
      const compact = c.networks[name]!;
      const dev = devices[net.iface as string] as Obj;
      assert.ok(!('addr' in compact) && !('mtu' in compact), `${name}: the device fields are its iface's`);
      for (const [k, v] of Object.entries(net)) {
        const back = k in compact ? compact[k] : k in dev ? dev[k] : k === 'interface' ? compact.iface : isNone(k, v) ? v : 'lost';
        assert.deepEqual(back, v, `networks.${name}.${k}`);
      }
    }
    assert.ok(jsonBytes(c) < jsonBytes(caps) * 0.7, `${jsonBytes(c)} of ${jsonBytes(caps)} bytes`);
  });

  it('every level, with its StatusTruncated condition, is a status the CRD accepts', () => {
    for (let level = 0; level <= MAX_LEVEL; level++) {
      const t = withTruncationCondition(truncate(s, level), level, { kind: 'budget', budget: 1000 }, { generation: 4 });
      const r = StatusSchema.safeParse(t);
      assert.ok(r.success, `level ${level}: ${JSON.stringify(r.error?.issues.slice(0, 2))}`);
    }
  });

  it('4: no lldp; 5: no kernelConfig; 6: no capabilities', () => {
    assert.ok('lldp' in truncate(s, 3));
    assert.equal('lldp' in truncate(s, 4), false);
    assert.ok('kernelConfig' in truncate(s, 4));
    assert.equal('kernelConfig' in truncate(s, 5), false);
    assert.ok('capabilities' in truncate(s, 5));
    assert.equal('capabilities' in truncate(s, 6), false);
  });

  it('a status that fits is not truncated; one just over the budget gives way only as far as needed', () => {
    const base = baseBytes({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n1' }, spec: {} });
    const whole = fitStatus(s, { base, budget: OBJECT_BUDGET_BYTES });
    assert.equal(whole.level, 0);
    assert.deepEqual(whole.status, s);
    const tight = fitStatus(s, { base, budget: objectBytes(base, truncate(s, 2)) });
    assert.equal(tight.level, 2);
    assert.ok(tight.bytes <= objectBytes(base, truncate(s, 2)));
    assert.equal(fitStatus(s, { base, budget: 10 }).level, MAX_LEVEL, 'nothing fits: the essential fields still go');
  });

  it('the size estimate is the object\'s, managedFields of the status writer included', () => {
    const obj = { apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n1', managedFields: [statusManagedFields({ old: 1 })] }, spec: { networks: {} } };
    const stored = { ...obj, metadata: { ...obj.metadata, managedFields: [statusManagedFields(s)] }, status: s };
    // One byte over at most: the separator before the entry, when it is the only one.
    assert.ok(Math.abs(objectBytes(baseBytes(obj), s) - jsonBytes(stored)) <= 1);
    assert.deepEqual(statusManagedFields(s).fieldsV1['f:status']!['f:capabilities'], {}, 'capabilities are atomic: one field');
  });

  it('the StatusTruncated condition names what is left out and why; False at level 0, its transition time kept', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const c = truncationCondition(2, { kind: 'refused', what: 'size', code: 413 }, 4, undefined, t0);
    assert.deepEqual([c.type, c.status, c.reason, c.observedGeneration], ['StatusTruncated', 'True', 'WriteRefused', 4]);
    assert.match(c.message, /refused the status for its size \(HTTP 413\): left out statistics of devices other than NICs and bonds; statistics\./);
    const again = truncationCondition(3, { kind: 'budget', budget: 1000 }, 5, c, new Date('2026-01-02T00:00:00Z'));
    assert.equal(again.lastTransitionTime, t0.toISOString());
    assert.equal(again.reason, 'ObjectTooLarge');
    const complete = truncationCondition(0, { kind: 'budget', budget: 1000 }, 5, again, new Date('2026-01-03T00:00:00Z'));
    assert.deepEqual([complete.status, complete.reason, complete.message, complete.lastTransitionTime], ['False', 'Complete', '', '2026-01-03T00:00:00.000Z']);
  });
});
