// The status reporter against an API server that refuses what it is sent — a local HTTPS server
// (the lab's openssl-made certificates) spoken to by the agent's own client: 413 above a body
// size, 422 for a condition type it does not know (an older CRD). The result of the apply always
// gets through, what was left out is said (condition, Event, one log line per state), and the
// whole status comes back once it fits again.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createPki } from '../../lab/src/pki.js';
import type { ApiConnection } from '../../src/k8s/connection.js';
import { OnnClient, type OnnObject } from '../../src/k8s/client.js';
import { StatusReporter } from '../../src/report/reporter.js';
import type { Observation } from '../../src/report/results.js';
import { AgentMetrics } from '../../src/agent/metrics.js';
import { truncate, truncationCondition, MAX_LEVEL, type StatusFields } from '../../src/report/status-budget.js';
import { conditionsFor, success } from '../../src/report/status-shapes.js';
import { capabilities } from '../../src/observe/capabilities.js';
import { kernelConfig } from '../../src/observe/kernel-config.js';
import { assembleHostState } from '../../src/observe/parse.js';
import { StatisticsSampler } from '../../src/observe/statistics.js';
import { applyJsonPatch } from '../helpers/json-patch.js';
import { until } from '../helpers/turns.js';
import { loadDumps, loadRunning } from './observe-fixtures.js';

const ONN = '/apis/ovirt.org/v1alpha1/ovirtnodenetworks/n1';

/** The API server's side: one object, JSON patches of its status, events; refusals as configured. */
class FakeApi {
  obj: OnnObject = { apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n1', uid: 'u1', generation: 3, resourceVersion: '1' }, spec: {} };
  /** Bodies above this many bytes get 413, as the API server's request limit does. */
  limit = Infinity;
  /** 422 for a status with this condition type (a CRD without it in its enum). */
  unknownCondition: string | undefined;
  patches: { code: number; bytes: number }[] = [];
  events: { type: string; reason: string; message: string }[] = [];

  handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const reply = (code: number, v: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (req.method === 'POST' && req.url === '/api/v1/namespaces/ovnh-events/events') {
      this.events.push(JSON.parse(body) as FakeApi['events'][number]);
      return reply(201, {});
    }
    if (req.method === 'GET' && req.url === ONN) return reply(200, this.obj);
    if (req.method !== 'PATCH' || !req.url?.startsWith(`${ONN}/status`)) return reply(404, { kind: 'Status', code: 404, message: 'not found' });
    const bytes = Buffer.byteLength(body);
    const refuse = (code: number, message: string) => {
      this.patches.push({ code, bytes });
      reply(code, { kind: 'Status', status: 'Failure', code, message });
    };
    if (bytes > this.limit) return refuse(413, `Request entity too large: limit is ${this.limit}`);
    if (this.unknownCondition && body.includes(`"type":"${this.unknownCondition}"`)) {
      return refuse(422, `OvirtNodeNetwork.ovirt.org "n1" is invalid: status.conditions[3].type: Unsupported value: "${this.unknownCondition}"`);
    }
    const r = applyJsonPatch(this.obj, JSON.parse(body) as { op: string; path: string; value: unknown }[]);
    if (r.code !== 200) return refuse(r.code, r.message);
    this.obj = r.obj;
    this.patches.push({ code: 200, bytes });
    reply(200, this.obj);
  }

  get status(): StatusFields {
    return this.obj.status ?? {};
  }

  condition(type: string): { status: string; reason: string; message: string } | undefined {
    return (this.status.conditions as { type: string; status: string; reason: string; message: string }[] | undefined)?.find((c) => c.type === type);
  }
}

let dir: string;
let server: Server;
let api: FakeApi;
let conn: ApiConnection;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ovnh-reporter-'));
  const pki = await createPki(join(dir, 'pki'));
  const ca = await readFile(pki.caCert);
  server = createServer({ cert: await readFile(pki.serverCert), key: await readFile(pki.serverKey) }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => api.handle(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  conn = { server: new URL(`https://127.0.0.1:${port}`), source: 'test', requestOptions: async () => ({ ca, headers: {} }) };
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** Observations of the VM fixture by the real code, the counters moving by `sample`. */
function observation(sampler: StatisticsSampler, sample: number): Observation {
  const host = assembleHostState(loadDumps('vm'), 1000 + 30 * sample);
  const running = loadRunning('vm');
  return {
    capabilities: capabilities(host, running) as unknown as Record<string, unknown>,
    kernelConfig: kernelConfig(host, running),
    statistics: sampler.sample(host) as unknown as Record<string, unknown>,
    statisticsTime: host.sampleTime,
    drifted: [],
  };
}

interface Logged { level: number; msg: string }

/** A reporter on the real client; its log lines kept. */
async function setup(o: { budgetBytes?: number } = {}) {
  api = new FakeApi();
  const client = new OnnClient(conn, { eventsNamespace: 'ovnh-events' });
  const lines: Logged[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Logged) });
  const metrics = new AgentMetrics('n1');
  const reporter = new StatusReporter({ name: 'n1', client, log, metrics, connected: () => true, statisticsIntervalMs: 30_000, ...o });
  const obj = (await client.get('n1'))!;
  reporter.seen(obj);
  const sampler = new StatisticsSampler();
  reporter.observed(observation(sampler, 0));
  reporter.applied(obj, 3, { ok: true, changed: true, steps: 4, durationMs: 900, summary: 'add network ndfx' });
  return { reporter, lines, metrics, sampler };
}

/** The essential fields as an apply of generation 3 leaves them. */
function assertOutcome(status: StatusFields): void {
  assert.equal(status.observedGeneration, 3);
  assert.deepEqual(status.setupStatus, { Success: { reason: '', message: '' } });
  assert.deepEqual(status.infoStatus, { Success: { reason: '', message: '' } });
  const available = (status.conditions as { type: string; status: string }[]).find((c) => c.type === 'Available');
  assert.equal(available?.status, 'True');
}

const patchBody = (status: StatusFields) => Buffer.byteLength(JSON.stringify([{ op: 'add', path: '/status', value: status }]));

describe('status reporter and an API server that refuses the status', () => {
  it('a status that fits is written whole, with no StatusTruncated condition', async () => {
    const { reporter } = await setup();
    await reporter.flush();
    assert.deepEqual(api.patches.map((p) => p.code), [200]);
    assert.deepEqual(Object.keys(api.status).sort(), ['capabilities', 'conditions', 'infoStatus', 'kernelConfig', 'observedGeneration', 'setupStatus', 'statistics', 'statisticsTime']);
    assert.equal(api.condition('StatusTruncated'), undefined);
    assertOutcome(api.status);
  });

  it('refused for its size (413): it leaves out more until the body is small enough, says so once, and comes back whole when it fits', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const { reporter, lines, metrics, sampler } = await setup();
    // Room for level 3 (statistics left out, capabilities compacted) and the conditions saying so, not for level 2.
    const { drifted: _, ...obs } = observation(new StatisticsSampler(), 0);
    const conditions = [
      ...conditionsFor({ kind: 'available', generation: 3, message: 'add network ndfx' }, undefined),
      truncationCondition(3, { kind: 'refused', what: 'size', code: 413 }, 3, undefined),
    ];
    const shape: StatusFields = { ...obs, infoStatus: success(), setupStatus: success(), conditions, observedGeneration: 3 };
    api.limit = patchBody(truncate(shape, 3)) + 100;
    assert.ok(patchBody(truncate(shape, 2)) > api.limit, 'level 2 must not fit, or this proves nothing');
    await reporter.flush();

    const codes = api.patches.map((p) => p.code);
    assert.equal(codes.at(-1), 200);
    assert.ok(codes.slice(0, -1).every((c) => c === 413) && codes.length >= 2 && codes.length <= MAX_LEVEL + 1, codes.join(','));
    assert.ok(api.patches.every((p) => (p.code === 413) === (p.bytes > api.limit)));
    assertOutcome(api.status);
    assert.equal('statistics' in api.status, false);
    assert.ok('kernelConfig' in api.status, 'level 3 keeps kernelConfig');
    const nets = (api.status.capabilities as { networks: Record<string, Record<string, unknown>> }).networks;
    assert.deepEqual(nets.ndfx, { iface: 'ndfx', bridged: true, switch: 'legacy', southbound: 'b4fx.100', vlanid: 100 }, 'compacted: its device fields are the bridge\'s');
    const cond = api.condition('StatusTruncated')!;
    assert.deepEqual([cond.status, cond.reason], ['True', 'WriteRefused']);
    assert.match(cond.message, /refused the status for its size \(HTTP 413\): left out statistics of devices other than NICs and bonds; statistics; capabilities' repeated/);
    await until('the Warning Event', () => api.events.some((e) => e.reason === 'StatusTruncated'));
    assert.deepEqual(api.events.filter((e) => e.reason === 'StatusTruncated').map((e) => e.type), ['Warning']);
    assert.match(await metrics.registry.getSingleMetricAsString('ovnh_status_truncation_level'), / 3$/m);
    const truncatedLogs = () => lines.filter((l) => l.msg === 'status truncated to fit').length;
    const refusedLogs = () => lines.filter((l) => /refused the status/.test(l.msg)).length;
    assert.equal(truncatedLogs(), 1);
    assert.equal(refusedLogs(), codes.length - 1);

    // Statistics intervals later: the refused size is not offered again, nothing more is logged.
    for (let i = 1; i <= 3; i++) {
      t.mock.timers.tick(30_000);
      reporter.observed(observation(sampler, i));
      await reporter.flush();
    }
    assert.equal(api.patches.filter((p) => p.code === 413).length, codes.length - 1, 'no write refused again');
    assert.equal(truncatedLogs(), 1);
    assert.equal(refusedLogs(), codes.length - 1);

    // The API server takes more now; after the refusal is forgotten, the whole status goes.
    api.limit = Infinity;
    t.mock.timers.tick(10 * 60_000);
    reporter.observed(observation(sampler, 9));
    await reporter.flush();
    assert.ok('statistics' in api.status && 'kernelConfig' in api.status);
    assert.equal((api.status.capabilities as { networks: Record<string, Record<string, unknown>> }).networks.ndfx!.netmask, '255.255.255.0', 'capabilities whole again');
    assert.deepEqual([api.condition('StatusTruncated')?.status, api.condition('StatusTruncated')?.reason], ['False', 'Complete']);
    await until('the Normal Event', () => api.events.some((e) => e.reason === 'StatusComplete'));
    assert.equal(lines.filter((l) => l.msg === 'the status is complete again').length, 1);
    assertOutcome(api.status);
  });

  it('refused for its content (422, a condition type an older CRD lacks): the essential fields still go, at the last without the condition', async () => {
    const { reporter, lines } = await setup();
    api.limit = 3000;
    api.unknownCondition = 'StatusTruncated';
    await reporter.flush();
    assert.equal(api.patches.at(-1)!.code, 200);
    assert.ok(api.patches.some((p) => p.code === 422));
    assertOutcome(api.status);
    assert.deepEqual(Object.keys(api.status).sort(), ['conditions', 'infoStatus', 'observedGeneration', 'setupStatus']);
    assert.equal(api.condition('StatusTruncated'), undefined);
    assert.deepEqual((api.status.conditions as { type: string }[]).map((c) => c.type), ['Available', 'Progressing', 'Degraded']);
    assert.equal(lines.filter((l) => l.level >= 50).length, 0, 'the last step was taken: no error');
    const written = api.patches.length;
    await reporter.flush();
    assert.equal(api.patches.length, written, 'nothing changed, nothing refused again');
  });

  it('over the agent\'s own budget: written at the first level that fits, without a refusal', async () => {
    const probe = await setup();
    await probe.reporter.flush();
    const whole = Buffer.byteLength(JSON.stringify(api.obj));
    const { reporter } = await setup({ budgetBytes: whole - 1 });
    await reporter.flush();
    assert.deepEqual(api.patches.map((p) => p.code), [200]);
    assert.ok(Buffer.byteLength(JSON.stringify(api.obj)) <= whole - 1);
    assert.equal(api.condition('StatusTruncated')?.reason, 'ObjectTooLarge');
    assert.ok('kernelConfig' in api.status && 'capabilities' in api.status, 'only as much as needed is left out');
    assertOutcome(api.status);
  });
});
