// The status reporter: patches only what differs from what the API server shows, statistics at
// their interval (mock clock), nothing while disconnected or without an object; conditions,
// setupStatus, observedGeneration, Events and metrics of an apply's outcome.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { Observation, SetupResult } from '../../src/report/results.js';
import { AgentMetrics } from '../../src/agent/metrics.js';
import { StatusReporter } from '../../src/report/reporter.js';
import { statusPatchOps, type OnnObject, type StatusEdit } from '../../src/k8s/client.js';
import { ApiError } from '../../src/k8s/http.js';
import { applyJsonPatch } from '../helpers/json-patch.js';

const log = pino({ level: 'silent' });
const obj = (status?: Record<string, unknown>): OnnObject => ({
  apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n1', uid: 'u1', generation: 3, resourceVersion: '7' }, spec: {}, ...(status ? { status } : {}),
});
const observation = (rx = '1', time = 1000): Observation => ({ capabilities: { nics: { eth0: {} } }, kernelConfig: { networks: {}, bondings: {} }, statistics: { eth0: { rx } }, statisticsTime: time, drifted: [] });

/** A client that records patches and events, and answers with the status the patch leaves (starting from `initial`). */
function api(initial?: Record<string, unknown>) {
  const failing = { now: false, lose: false };
  const patches: { fields: Record<string, unknown>; statusExists: boolean; edit?: StatusEdit }[] = [];
  const events: { type: string; reason: string; message: string }[] = [];
  let status: Record<string, unknown> | undefined = structuredClone(initial);
  let version = obj().metadata.resourceVersion!;
  const client = {
    patchStatus: async (_name: string, fields: Record<string, unknown>, statusExists: boolean, _t?: number, edit?: StatusEdit) => {
      if (failing.now) throw new Error('HTTP 503');
      patches.push({ fields: structuredClone(fields), statusExists, ...(edit ? { edit: structuredClone(edit) } : {}) });
      const r = applyJsonPatch({ ...obj(), metadata: { ...obj().metadata, resourceVersion: version }, ...(status ? { status } : {}) }, statusPatchOps(fields, statusExists, edit));
      if (r.code !== 200) throw new ApiError(r.code, { message: r.message }, 'PATCH', '/status');
      status = r.obj.status;
      version = r.obj.metadata.resourceVersion!;
      if (failing.lose) throw new Error('no answer from the API server within 10 s');
      return r.obj;
    },
    event: async (_o: OnnObject, type: 'Normal' | 'Warning', reason: string, message: string) => void events.push({ type, reason, message }),
  };
  return {
    client, patches, events,
    failWrites: (v: boolean) => (failing.now = v),
    /** Writes land but get no answer (a timeout after the API server stored them). */
    loseAnswers: (v: boolean) => (failing.lose = v),
    /** The object as the API server stores it. */
    stored: (): OnnObject => ({ ...obj(), metadata: { ...obj().metadata, resourceVersion: version }, ...(status ? { status: structuredClone(status) } : {}) }),
    /** Another writer changed the object (a new resourceVersion). */
    touch: () => (version = String(Number(version) + 1)),
  };
}

function reporter(a: ReturnType<typeof api>, extra: { connected?: () => boolean; metrics?: AgentMetrics; statisticsIntervalMs?: number } = {}) {
  return new StatusReporter({ name: 'n1', client: a.client, log, connected: extra.connected ?? (() => true), metrics: extra.metrics, statisticsIntervalMs: extra.statisticsIntervalMs ?? 30_000 });
}

describe('status reporter', () => {
  it('writes only the fields that differ from what the API server shows, and nothing when they agree', async () => {
    const shown = { capabilities: { nics: { eth0: {} } } };
    const a = api(shown);
    const r = reporter(a);
    r.seen(obj(shown));
    r.observed(observation());
    await r.flush();
    assert.deepEqual(Object.keys(a.patches[0]!.fields).sort(), ['infoStatus', 'kernelConfig', 'statistics', 'statisticsTime'], 'capabilities are shown already');
    assert.equal(a.patches[0]!.statusExists, true);
    await r.flush();
    assert.equal(a.patches.length, 1, 'nothing changed, nothing written');
    assert.equal(r.isDeepEqualReported(), true);
  });

  it('writes status.lldp when what the switches announce changes, and only then', async () => {
    const a = api();
    const r = reporter(a);
    r.seen(obj());
    const heard = (name: string) => ({ eth0: { enabled: true, tlvs: [{ type: 5, name: 'System Name', properties: { 'system name': name } }] } });
    r.observed({ ...observation(), lldp: heard('sw1') });
    await r.flush();
    assert.deepEqual(a.stored().status?.lldp, heard('sw1'));
    r.observed({ ...observation(), lldp: heard('sw1') });
    await r.flush();
    assert.equal(a.patches.length, 1, 'the same announcements: nothing written');
    r.observed({ ...observation(), lldp: heard('sw2') });
    await r.flush();
    assert.deepEqual(Object.keys(a.patches[1]!.fields), ['lldp']);
    assert.deepEqual(a.stored().status?.lldp, heard('sw2'));
  });

  it('writes nothing without an object or while disconnected, and catches up once connected', async () => {
    const a = api();
    let connected = false;
    const r = reporter(a, { connected: () => connected });
    r.observed(observation());
    await r.flush();
    r.seen(obj());
    await r.flush();
    assert.equal(a.patches.length, 0);
    connected = true;
    await r.flush();
    assert.equal(a.patches.length, 1);
    assert.equal(a.patches[0]!.statusExists, false, 'the object had no status: the whole status is added');
  });

  it('writes statistics only when their interval has passed (a second of slack)', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const a = api();
    const r = reporter(a, { statisticsIntervalMs: 30_000 });
    r.seen(obj());
    r.observed(observation('1'));
    await r.flush();
    assert.ok('statistics' in a.patches[0]!.fields);
    r.observed(observation('2', 1029));
    t.mock.timers.tick(28_000);
    await r.flush();
    assert.equal(a.patches.length, 1, 'statistics alone wait for their interval');
    t.mock.timers.tick(1000);
    await r.flush();
    assert.equal(a.patches.length, 2);
    assert.deepEqual(a.patches[1]!.fields, { statisticsTime: 1029 });
    assert.deepEqual(a.patches[1]!.edit, { maps: { statistics: { set: { eth0: { rx: '2' } }, remove: [] } }, resourceVersion: '8' }, 'the interface that moved, on the object written last');
  });

  it('writes statistics off their interval when interfaces came or went (a new device has a state at once)', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const a = api();
    const r = reporter(a, { statisticsIntervalMs: 30_000 });
    r.seen(obj());
    r.observed(observation('1'));
    await r.flush();
    t.mock.timers.tick(5000);
    const withBridge = observation('1', 1005);
    withBridge.statistics = { ...withBridge.statistics, br1: { rx: '0' } };
    r.observed(withBridge);
    await r.flush();
    assert.equal(a.patches.length, 2, 'written 5 s after the last sample');
    assert.deepEqual(a.patches[1]!.edit?.maps.statistics, { set: { br1: { rx: '0' } }, remove: [] }, 'the new interface only');
    r.observed({ ...withBridge, statistics: { ...withBridge.statistics, eth0: { rx: '9' } } });
    t.mock.timers.tick(5000);
    await r.flush();
    assert.equal(a.patches.length, 2, 'counters alone still wait for the interval');
  });

  it('writes statistics off their interval when an interface went up or down (a new bridge comes up late)', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const a = api();
    const r = reporter(a, { statisticsIntervalMs: 30_000 });
    r.seen(obj());
    const down = observation('1');
    down.statistics = { ...down.statistics, br1: { rx: '0', state: 'down' } };
    r.observed(down);
    await r.flush();
    t.mock.timers.tick(5000);
    const up = observation('1', 1005);
    up.statistics = { ...up.statistics, br1: { rx: '0', state: 'up' } };
    r.observed(up);
    await r.flush();
    assert.equal(a.patches.length, 2, 'written 5 s after the last sample');
    assert.deepEqual(a.patches[1]!.edit?.maps.statistics, { set: { br1: { rx: '0', state: 'up' } }, remove: [] });
    r.observed({ ...up, statistics: { ...up.statistics, br1: { rx: '7', state: 'up' } } });
    t.mock.timers.tick(5000);
    await r.flush();
    assert.equal(a.patches.length, 2, 'counters alone still wait for the interval');
  });

  it('an apply: Progressing, then Available with observedGeneration and a Normal Event when the host changed', async () => {
    const a = api();
    const metrics = new AgentMetrics('n1');
    const r = reporter(a, { metrics });
    const o = obj();
    r.seen(o);
    r.progressing(3);
    await r.flush();
    const progressing = a.patches[0]!.fields.conditions as { type: string; status: string }[];
    assert.deepEqual(progressing.map((c) => `${c.type}=${c.status}`), ['Available=False', 'Progressing=True', 'Degraded=False']);
    const ok: SetupResult = { ok: true, changed: true, steps: 2, durationMs: 1500, summary: 'add network net1' };
    r.applied(o, 3, ok);
    await r.flush();
    const fields = a.patches[1]!.fields;
    assert.equal(fields.observedGeneration, 3);
    assert.deepEqual(fields.setupStatus, { Success: { reason: '', message: '' } });
    const available = (fields.conditions as { type: string; status: string; observedGeneration: number; message: string }[]).find((c) => c.type === 'Available')!;
    assert.deepEqual([available.status, available.observedGeneration, available.message], ['True', 3, 'add network net1']);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(a.events, [{ type: 'Normal', reason: 'Applied', message: 'generation 3: add network net1 in 1500 ms' }]);
    assert.match(await metrics.registry.getSingleMetricAsString('ovnh_applies_total'), /result="success"[^\n]* 1/);
    assert.match(await metrics.registry.getSingleMetricAsString('ovnh_last_apply_success'), / 1$/m);
    assert.match(await metrics.registry.getSingleMetricAsString('ovnh_api_writes_total'), / 2$/m);
  });

  it('an apply already in place records no Event; a failure is Degraded with a Warning Event and the rollback said', async () => {
    const a = api();
    const metrics = new AgentMetrics('n1');
    const r = reporter(a, { metrics });
    const o = obj();
    r.seen(o);
    r.applied(o, 3, { ok: true, changed: false, steps: 0, durationMs: 1, summary: 'no changes' });
    r.applied(o, 4, { ok: false, reason: 'ConnectivityLost', message: 'the API server did not answer', rolledBack: true, durationMs: 20 });
    await r.flush();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(a.events, [{ type: 'Warning', reason: 'ConnectivityLost', message: 'generation 4: the API server did not answer (rolled back)' }]);
    const fields = a.patches[0]!.fields;
    assert.deepEqual(fields.setupStatus, { Failed: { reason: 'ConnectivityLost', message: 'the API server did not answer' } });
    const degraded = (fields.conditions as { type: string; status: string; message: string }[]).find((c) => c.type === 'Degraded')!;
    assert.equal(degraded.status, 'True');
    assert.match(degraded.message, /rolled back to the previous configuration/);
    assert.match(await metrics.registry.getSingleMetricAsString('ovnh_rollbacks_total'), / 1$/m);
    assert.match(await metrics.registry.getSingleMetricAsString('ovnh_last_apply_success'), / 0$/m);
  });

  it('a failed write is tried again by the next flush; after a deletion nothing is written until the object is back', async () => {
    const a = api();
    const r = reporter(a);
    r.seen(obj());
    r.observed(observation());
    a.failWrites(true);
    await r.flush();
    assert.equal(r.isDeepEqualReported(), false, 'still to be written');
    a.failWrites(false);
    await r.flush();
    assert.equal(a.patches.length, 1);
    assert.equal(r.isDeepEqualReported(), true);
    r.deleted();
    r.observed(observation('9'));
    await r.flush();
    assert.equal(a.patches.length, 1);
    r.created();
    r.seen(obj());
    await r.flush();
    assert.equal(a.patches.length, 2);
    assert.equal(a.patches[1]!.statusExists, false);
  });

  describe('statistics deltas', () => {
    const stats = (rx: Record<string, string>, time: number) => Object.fromEntries(Object.entries(rx).map(([name, v]) => [name, { name, rx: v, rxRate: 0, sampleTime: time }]));
    const obs = (rx: Record<string, string>, time: number): Observation => ({ ...observation(), statistics: stats(rx, time), statisticsTime: time });
    /** What the stored status shows of statistics, every entry's sampleTime left out. */
    const shownCounters = (o: OnnObject) => Object.fromEntries(Object.entries((o.status?.statistics ?? {}) as Record<string, { rx: string }>).map(([k, v]) => [k, v.rx]));

    async function interval(t: { mock: { timers: { tick(ms: number): void } } }, r: StatusReporter, rx: Record<string, string>, time: number) {
      t.mock.timers.tick(30_000);
      r.observed(obs(rx, time));
      await r.flush();
    }

    it('an interval writes the interfaces that moved and the sample\'s time; one that did not move is not sent', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const a = api();
      const r = reporter(a);
      r.seen(obj());
      r.observed(obs({ eth0: '1', eth1: '5' }, 1000));
      await r.flush();
      assert.deepEqual(Object.keys(a.patches[0]!.fields.statistics as object), ['eth0', 'eth1'], 'the first write is whole');
      await interval(t, r, { eth0: '2', eth1: '5' }, 1030);
      assert.deepEqual(a.patches[1]!.fields, { statisticsTime: 1030 });
      assert.deepEqual(a.patches[1]!.edit?.maps, { statistics: { set: { eth0: { name: 'eth0', rx: '2', rxRate: 0, sampleTime: 1030 } }, remove: [] } });
      assert.deepEqual(shownCounters(a.stored()), { eth0: '2', eth1: '5' });
      assert.equal((a.stored().status!.statistics as Record<string, { sampleTime: number }>).eth1!.sampleTime, 1000, 'eth1 keeps the time it last changed');
      await interval(t, r, { eth0: '2', eth1: '5' }, 1060);
      assert.deepEqual(a.patches[2]!.fields, { statisticsTime: 1060 }, 'nothing moved: the time alone');
      assert.deepEqual(a.patches[2]!.edit?.maps, {});
      assert.equal(a.stored().status!.statisticsTime, 1060);
    });

    it('an interface gone is removed from the stored map', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const a = api();
      const r = reporter(a);
      r.seen(obj());
      r.observed(obs({ eth0: '1', br9: '0' }, 1000));
      await r.flush();
      await interval(t, r, { eth0: '1' }, 1030);
      assert.deepEqual(a.patches[1]!.edit?.maps.statistics, { set: {}, remove: ['br9'] });
      assert.deepEqual(shownCounters(a.stored()), { eth0: '1' });
    });

    it('after a write that got no answer (it landed), the next is whole, and the stored map is the observation', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const a = api();
      const r = reporter(a);
      r.seen(obj());
      r.observed(obs({ eth0: '1', eth1: '1' }, 1000));
      await r.flush();
      a.loseAnswers(true);
      await interval(t, r, { eth0: '2', eth1: '1' }, 1030);
      a.loseAnswers(false);
      // eth0 back at what the reporter last saw stored, eth1 moved: a delta against the old map would miss eth0.
      await interval(t, r, { eth0: '1', eth1: '3' }, 1060);
      const last = a.patches.at(-1)!;
      assert.equal(last.edit, undefined, 'no delta');
      assert.deepEqual(Object.keys(last.fields.statistics as object), ['eth0', 'eth1'], 'the whole map');
      assert.deepEqual(shownCounters(a.stored()), { eth0: '1', eth1: '3' });
      await interval(t, r, { eth0: '1', eth1: '4' }, 1090);
      assert.deepEqual(Object.keys(a.patches.at(-1)!.edit!.maps.statistics!.set), ['eth1'], 'deltas again after a whole write');
    });

    it('after a refused or failed write, the next is whole', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const a = api();
      const r = reporter(a);
      r.seen(obj());
      r.observed(obs({ eth0: '1', eth1: '1' }, 1000));
      await r.flush();
      a.failWrites(true);
      await interval(t, r, { eth0: '2', eth1: '1' }, 1030);
      a.failWrites(false);
      await r.flush();
      assert.ok('statistics' in a.patches.at(-1)!.fields);
      assert.deepEqual(shownCounters(a.stored()), { eth0: '2', eth1: '1' });
    });

    it('a delta based on an object that changed since (409 Conflict) is written whole at once', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const a = api();
      const r = reporter(a);
      r.seen(obj());
      r.observed(obs({ eth0: '1', eth1: '1' }, 1000));
      await r.flush();
      a.touch();
      const before = a.patches.length;
      await interval(t, r, { eth0: '2', eth1: '1' }, 1030);
      assert.equal(a.patches.length, before + 2, 'the delta, refused, then the whole map in the same flush');
      assert.ok(a.patches.at(-2)!.edit);
      assert.ok('statistics' in a.patches.at(-1)!.fields && !a.patches.at(-1)!.edit);
      assert.deepEqual(shownCounters(a.stored()), { eth0: '2', eth1: '1' });
    });

    it('a stale view of the object (an older watch event after a write) never lands a delta', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const a = api();
      const r = reporter(a);
      r.seen(obj());
      r.observed(obs({ eth0: '1' }, 1000));
      await r.flush();
      const old = a.stored();
      await interval(t, r, { eth0: '2' }, 1030);
      r.seen(old);
      await interval(t, r, { eth0: '1' }, 1060);
      assert.deepEqual(shownCounters(a.stored()), { eth0: '1' }, 'a delta against the stale map would have sent nothing for eth0');
      assert.equal(a.stored().status!.statisticsTime, 1060);
    });
  });
});
