// The status reporter: patches only what differs from what the API server shows, statistics at
// their interval (mock clock), nothing while disconnected or without an object; conditions,
// setupStatus, observedGeneration, Events and metrics of an apply's outcome.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { Observation, SetupResult } from '../../src/handler/backend.js';
import { AgentMetrics } from '../../src/handler/metrics.js';
import { StatusReporter } from '../../src/handler/reporter.js';
import type { OnnObject } from '../../src/k8s/client.js';

const log = pino({ level: 'silent' });
const obj = (status?: Record<string, unknown>): OnnObject => ({
  apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n1', uid: 'u1', generation: 3, resourceVersion: '7' }, spec: {}, ...(status ? { status } : {}),
});
const observation = (rx = '1'): Observation => ({ capabilities: { nics: { eth0: {} } }, kernelConfig: { networks: {}, bondings: {} }, statistics: { eth0: { rx } }, drifted: [] });

/** A client that records patches and events, and answers with the status the patch leaves (starting from `initial`). */
function api(initial?: Record<string, unknown>) {
  const failing = { now: false };
  const patches: { fields: Record<string, unknown>; statusExists: boolean }[] = [];
  const events: { type: string; reason: string; message: string }[] = [];
  let status: Record<string, unknown> | undefined = structuredClone(initial);
  const client = {
    patchStatus: async (_name: string, fields: Record<string, unknown>, statusExists: boolean) => {
      if (failing.now) throw new Error('HTTP 503');
      patches.push({ fields: structuredClone(fields), statusExists });
      status = { ...status, ...structuredClone(fields) };
      return { ...obj(), status };
    },
    event: async (_o: OnnObject, type: 'Normal' | 'Warning', reason: string, message: string) => void events.push({ type, reason, message }),
  };
  return { client, patches, events, failWrites: (v: boolean) => (failing.now = v) };
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
    assert.deepEqual(Object.keys(a.patches[0]!.fields).sort(), ['infoStatus', 'kernelConfig', 'statistics'], 'capabilities are shown already');
    assert.equal(a.patches[0]!.statusExists, true);
    await r.flush();
    assert.equal(a.patches.length, 1, 'nothing changed, nothing written');
    assert.equal(r.isDeepEqualReported(), true);
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
    r.observed(observation('2'));
    t.mock.timers.tick(28_000);
    await r.flush();
    assert.equal(a.patches.length, 1, 'statistics alone wait for their interval');
    t.mock.timers.tick(1000);
    await r.flush();
    assert.equal(a.patches.length, 2);
    assert.deepEqual(a.patches[1]!.fields, { statistics: { eth0: { rx: '2' } } });
  });

  it('writes statistics off their interval when interfaces came or went (a new device has a state at once)', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const a = api();
    const r = reporter(a, { statisticsIntervalMs: 30_000 });
    r.seen(obj());
    r.observed(observation('1'));
    await r.flush();
    t.mock.timers.tick(5000);
    const withBridge = observation('1');
    withBridge.statistics = { ...withBridge.statistics, br1: { rx: '0' } };
    r.observed(withBridge);
    await r.flush();
    assert.equal(a.patches.length, 2, 'written 5 s after the last sample');
    assert.deepEqual(Object.keys(a.patches[1]!.fields.statistics as object).sort(), ['br1', 'eth0']);
    r.observed({ ...withBridge, statistics: { ...withBridge.statistics, eth0: { rx: '9' } } });
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
});
