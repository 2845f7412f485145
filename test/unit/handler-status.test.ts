import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsFor, failed, shortMessage, statusPatch, success } from '../../src/report/status-shapes.js';
import { Connectivity, type Probe, type ProbePhase } from '../../src/verify/connectivity.js';
import { advancing } from '../helpers/turns.js';

describe('conditions', () => {
  it('reports Available with observedGeneration after a success', () => {
    const c = conditionsFor({ kind: 'available', generation: 3 }, undefined, new Date('2026-01-01T00:00:00Z'));
    assert.deepEqual(c.map((x) => [x.type, x.status, x.observedGeneration]), [['Available', 'True', 3], ['Progressing', 'False', 3], ['Degraded', 'False', 3]]);
  });

  it('keeps lastTransitionTime while a status does not flip', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const t1 = new Date('2026-01-01T01:00:00Z');
    const first = conditionsFor({ kind: 'available', generation: 1 }, undefined, t0);
    const second = conditionsFor({ kind: 'available', generation: 2 }, first, t1);
    assert.equal(second.find((c) => c.type === 'Available')!.lastTransitionTime, t0.toISOString());
    const third = conditionsFor({ kind: 'failed', generation: 3, reason: 'ConnectivityLost', message: 'x', rolledBack: true }, second, t1);
    const avail = third.find((c) => c.type === 'Available')!;
    assert.equal(avail.status, 'False');
    assert.equal(avail.lastTransitionTime, t1.toISOString());
    assert.match(third.find((c) => c.type === 'Degraded')!.message, /rolled back/);
  });
});

describe('status outcomes', () => {
  it('use the seed\'s {Success|Failed: {reason, message}} shape', () => {
    assert.deepEqual(success(), { Success: { reason: '', message: '' } });
    assert.deepEqual(failed('SetupFailed', 'boom'), { Failed: { reason: 'SetupFailed', message: 'boom' } });
  });

  it('never carries a stack trace', () => {
    const e = new Error('bond1: kernel said no');
    const m = shortMessage(e.stack!);
    assert.equal(m, 'Error: bond1: kernel said no');
  });
});

describe('statusPatch', () => {
  it('writes nothing when nothing changed', () => {
    const s = { capabilities: { nics: { eth0: { mtu: '1500' } } }, infoStatus: success() };
    assert.equal(statusPatch(structuredClone(s), s, ['capabilities', 'infoStatus']), undefined);
  });

  it('patches only the changed keys, whole', () => {
    const before = { capabilities: { nics: { eth0: {}, eth1: {} } }, infoStatus: success() };
    const after = { capabilities: { nics: { eth0: {} } }, infoStatus: success() };
    assert.deepEqual(statusPatch(before, after, ['capabilities', 'infoStatus']), { capabilities: { nics: { eth0: {} } } });
  });
});

function probe(name: string, results: boolean[]): Probe & { calls: number; phases: ProbePhase[] } {
  const p = {
    name,
    calls: 0,
    phases: [] as ProbePhase[],
    async attempt(_t: number, phase: ProbePhase) {
      const ok = results[Math.min(p.calls, results.length - 1)];
      p.calls++;
      p.phases.push(phase);
      if (!ok) throw new Error(`${name} down`);
    },
  };
  return p;
}

describe('connectivity check', () => {
  it('confirms when every probe that worked before answers again', async () => {
    const api = probe('api-server', [true, false, true]);
    const c = new Connectivity({ timeoutMs: 2000, intervalMs: 10, probes: [api] });
    await c.preflight();
    assert.equal(await c.check(), undefined);
    assert.equal(api.calls, 3);
  });

  it('does not hold a probe that failed before the apply against it', async () => {
    const api = probe('api-server', [true]);
    const dns = probe('dns', [false]);
    const c = new Connectivity({ timeoutMs: 200, intervalMs: 10, probes: [api, dns] });
    await c.preflight();
    assert.equal(await c.check(), undefined);
    assert.equal(dns.calls, 1, 'dns was only tried in the preflight');
  });

  it('reports the last real answer, not a retry cut short by the deadline', async () => {
    // Fails fast with its reason; given less than 300 ms it could only time out.
    const api: Probe = {
      name: 'api-server',
      async attempt(timeoutMs) {
        throw new Error(timeoutMs < 300 ? `no TLS handshake within ${timeoutMs} ms` : 'another CA');
      },
    };
    const c = new Connectivity({ timeoutMs: 1200, intervalMs: 1000, probes: [api] });
    await c.preflight();
    assert.match((await c.check()) ?? '', /^api-server: another CA \(within 1 s\)$/);
  });

  it('tells whether the API server answered before the apply', async () => {
    assert.deepEqual(await new Connectivity({ timeoutMs: 100, probes: [probe('api-server', [true])] }).preflight(), { apiReachable: true });
    assert.deepEqual(await new Connectivity({ timeoutMs: 100, probes: [probe('api-server', [false]), probe('dns', [true])] }).preflight(), { apiReachable: false });
  });

  it('after a rollback, waits for the API server up to the given time', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const back = probe('api-server', [false, false, true]);
    assert.equal(await advancing(t.mock.timers, new Connectivity({ timeoutMs: 100, probes: [back] }).apiReachable(5000)), true);
    assert.equal(back.calls, 3);
    const gone = probe('api-server', [false]);
    const t0 = Date.now();
    assert.equal(await advancing(t.mock.timers, new Connectivity({ timeoutMs: 100, probes: [gone] }).apiReachable(1200)), false);
    const waited = Date.now() - t0;
    assert.ok(waited >= 1200 && waited < 2200, `gave up after ${waited} ms of mock time`);
  });

  it('fails naming the probe that stopped answering', async () => {
    const api = probe('api-server', [true, false]);
    const c = new Connectivity({ timeoutMs: 100, intervalMs: 10, probes: [api] });
    await c.preflight();
    const why = await c.check();
    assert.match(why ?? '', /^api-server: api-server down/);
  });

  it('tells each attempt whether it runs before the apply or after it', async () => {
    const api = probe('api-server', [true, false, true]);
    const c = new Connectivity({ timeoutMs: 2000, intervalMs: 10, probes: [api] });
    await c.preflight();
    assert.equal(await c.check(), undefined);
    assert.equal(await c.apiReachable(1000), true);
    assert.deepEqual(api.phases, ['before', 'after', 'after', 'after']);
  });
});
