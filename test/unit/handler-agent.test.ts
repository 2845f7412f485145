// The agent composed (watcher, generation queue, reporter), against an in-memory object store and
// a recording backend (the real API server and kernel are the integration tests' and
// reliability/'s): every generation the object reaches is applied, whatever happened before it;
// observing and DHCP supervision run on timers of their own. Waits are turns of the event loop
// and mock timers, never the wall clock.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { pino } from 'pino';
import { Agent, type AgentOptions } from '../../src/agent/agent.js';
import type { RunningConfig } from '../../src/api/config.js';
import type { NodeBackend } from '../../src/agent/backend.js';
import type { SetupResult } from '../../src/report/results.js';
import { statusPatchOps, type OnnClient, type OnnObject, type StatusEdit } from '../../src/k8s/client.js';
import { ApiError } from '../../src/k8s/http.js';
import { applyJsonPatch } from '../helpers/json-patch.js';
import { turns, until } from '../helpers/turns.js';
import { StateFileError } from '../../src/util/fs.js';

type OnEvent = (type: string, obj: OnnObject) => void;

/** One object, its watchers, and a way to change it as a user would. */
class Store {
  obj: OnnObject | undefined = { apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n1', generation: 1, resourceVersion: '1' }, spec: { tag: 1 } };
  private rv = 1;
  watchers: OnEvent[] = [];
  /** How each open watch ends (the API server lost: done with an error). */
  private ends = new Map<OnEvent, (err?: Error) => void>();

  setSpec(spec: Record<string, unknown>): void {
    const o = this.obj!;
    this.obj = { ...o, spec, metadata: { ...o.metadata, generation: (o.metadata.generation ?? 0) + 1, resourceVersion: String(++this.rv) } };
    this.emit('MODIFIED');
  }

  remove(): void {
    const o = this.obj!;
    this.obj = undefined;
    for (const w of this.watchers.splice(0)) w('DELETED', o);
  }

  /** Every open watch fails, as when the API server goes away: the agent's watcher lists again after its pause. */
  failWatches(): void {
    for (const w of this.watchers.splice(0)) this.ends.get(w)?.(new Error('connection reset'));
  }

  emit(type: string): void {
    for (const w of this.watchers) w(type, structuredClone(this.obj!));
  }

  client(): OnnClient {
    const c = {
      get: async () => structuredClone(this.obj),
      getNode: async () => undefined,
      create: async (o: OnnObject) => {
        this.obj = { ...o, metadata: { ...o.metadata, generation: 1, resourceVersion: String(++this.rv) } };
        return structuredClone(this.obj);
      },
      patchStatus: async (_n: string, fields: Record<string, unknown>, statusExists: boolean, _t?: number, edit?: StatusEdit) => {
        const r = applyJsonPatch(this.obj!, statusPatchOps(fields, statusExists, edit));
        if (r.code !== 200) throw new ApiError(r.code, { message: r.message }, 'PATCH', '/status');
        this.obj = { ...r.obj, metadata: { ...r.obj.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.obj);
      },
      event: async () => undefined,
      watch: async (_n: string, _rv: string | undefined, _o: unknown, onEvent: OnEvent, done: (err?: Error) => void) => {
        this.watchers.push(onEvent);
        this.ends.set(onEvent, done);
        return { abort: () => (this.watchers = this.watchers.filter((w) => w !== onEvent)) };
      },
    };
    return c as unknown as OnnClient;
  }
}

/** Records every spec it is asked to apply; answers from a script, then ok. */
function backend(script: SetupResult[] = []): NodeBackend & { specs: unknown[]; calls: string[] } {
  const specs: unknown[] = [];
  const calls: string[] = [];
  return {
    specs,
    calls,
    restoreAtBoot: async () => undefined,
    observe: async () => {
      calls.push('observe');
      return { capabilities: {}, kernelConfig: { networks: {}, bondings: {} }, statistics: {}, statisticsTime: 0, drifted: [] };
    },
    confirmDrift: async () => [],
    superviseDhcp: async () => {
      calls.push('supervise');
      return [];
    },
    setup: async (spec) => {
      specs.push(spec);
      return script.shift() ?? { ok: true, changed: true, steps: 1, durationMs: 1, summary: 'ok' };
    },
  };
}

const log = pino({ level: 'silent' });

/** Runs an agent on store and backend (observation effectively off) around fn. */
async function withAgent(store: Store, b: NodeBackend, fn: () => Promise<void>, extra: Partial<AgentOptions> = {}): Promise<void> {
  const agent = new Agent({ nodeName: 'n1', client: store.client(), backend: b, log, observeIntervalMs: 60_000, ...extra });
  await agent.start();
  try {
    await fn();
  } finally {
    await agent.stop();
  }
}
const applied = (b: { specs: unknown[] }, tag: number) => until(`spec ${tag} applied`, () => b.specs.some((s) => (s as { tag?: number }).tag === tag));
/** The agent's timers (retry, observe, supervise) on the mock clock; the watch and the store run on the event loop. */
const mockTimers = (t: TestContext) => t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });

describe('agent scheduling', () => {
  it('a retryable failure waits out its backoff: the echo of its own status write does not apply it again', async (t) => {
    mockTimers(t);
    const store = new Store();
    const away: SetupResult = { ok: false, reason: 'ApiUnreachable', message: 'away', rolledBack: false, durationMs: 1, retry: true };
    const b = backend([away, away]);
    await withAgent(store, b, async () => {
      await until('the first attempt', () => b.specs.length === 1);
      store.emit('MODIFIED'); // the status write of the failure, as the watch shows it
      await turns();
      t.mock.timers.tick(199);
      await turns();
      assert.equal(b.specs.length, 1, 'not before the base delay');
      t.mock.timers.tick(1);
      await until('the second attempt', () => b.specs.length === 2);
      store.emit('MODIFIED');
      t.mock.timers.tick(399);
      await turns();
      assert.equal(b.specs.length, 2, 'the second pause is twice the first');
      t.mock.timers.tick(1);
      await until('generation 1 applied', () => b.specs.length === 3);
      store.setSpec({ tag: 2 });
      await applied(b, 2);
    }, { retryBackoff: { baseMs: 200, maxMs: 10_000 } });
  });

  it('a relist after the API server was lost applies a generation waiting out its backoff at once', async (t) => {
    mockTimers(t);
    const store = new Store();
    const b = backend([{ ok: false, reason: 'ApiUnreachable', message: 'away', rolledBack: false, durationMs: 1, retry: true }]);
    await withAgent(store, b, async () => {
      await until('the first attempt', () => b.specs.length === 1);
      await until('the watch', () => store.watchers.length === 1);
      store.failWatches();
      await turns();
      t.mock.timers.tick(1000); // the watcher's pause before it lists again; the apply's is an hour
      await until('generation 1 applied after the relist', () => b.specs.length === 2);
      store.setSpec({ tag: 2 });
      await applied(b, 2);
    }, { retryBackoff: { baseMs: 3_600_000, maxMs: 3_600_000 } });
  });

  it('after the object is deleted, cleans up, re-creates it, and applies the next spec', async () => {
    const store = new Store();
    const b = backend();
    await withAgent(store, b, async () => {
      await applied(b, 1);
      store.remove();
      await until('the cleanup and the new object', () => b.specs.some((s) => Object.keys(s as object).length === 0) && store.obj !== undefined && store.watchers.length === 1);
      store.setSpec({ tag: 3 });
      await applied(b, 3);
    });
  });

  it('applies the newest of several generations that arrive during an apply, and each only once', async () => {
    const store = new Store();
    let release: () => void = () => undefined;
    let started = false;
    const slow = backend();
    const setup = slow.setup.bind(slow);
    slow.setup = async (spec, v) => {
      if ((spec as { tag?: number }).tag === 1) {
        started = true;
        await new Promise<void>((r) => (release = r));
      }
      return setup(spec, v);
    };
    await withAgent(store, slow, async () => {
      await until('the first apply to start', () => started && store.watchers.length === 1);
      store.setSpec({ tag: 2 });
      store.setSpec({ tag: 3 });
      release();
      await applied(slow, 3);
      await turns(50); // room for a wrong extra apply
      assert.deepEqual(slow.specs.map((s) => (s as { tag: number }).tag), [1, 3]);
    });
  });

  it('reports the generation it applied: observedGeneration, Available, and the host read back after the apply', async () => {
    const store = new Store();
    const b = backend();
    // The observed kernelConfig says how many applies had run when it was read.
    const observe = b.observe.bind(b);
    b.observe = async () => ({ ...(await observe()), kernelConfig: { networks: {}, bondings: {}, appliesBefore: b.specs.length } as unknown as RunningConfig });
    const client = store.client();
    const patch = client.patchStatus.bind(client);
    const written: Record<string, unknown>[] = [];
    client.patchStatus = async (...args) => {
      const r = await patch(...args);
      written.push(structuredClone(r.status!));
      return r;
    };
    const agent = new Agent({ nodeName: 'n1', client, backend: b, log, observeIntervalMs: 60_000 });
    await agent.start();
    try {
      await until('generation 1 reported', () => written.some((st) => st.observedGeneration === 1));
      const first = written.find((st) => st.observedGeneration === 1)!;
      const conditions = first.conditions as { type: string; status: string; observedGeneration: number }[];
      assert.deepEqual(conditions.map((c) => `${c.type}=${c.status}@${c.observedGeneration}`), ['Available=True@1', 'Progressing=False@1', 'Degraded=False@1']);
      assert.deepEqual(first.setupStatus, { Success: { reason: '', message: '' } });
      assert.equal((first.kernelConfig as { appliesBefore: number }).appliesBefore, 1, 'the status claims the generation with the host as read after the apply');
      const progressing = written.find((st) => (st.conditions as { type: string; status: string }[] | undefined)?.some((c) => c.type === 'Progressing' && c.status === 'True'));
      assert.ok(progressing && written.indexOf(progressing) < written.indexOf(first), 'Progressing was written first');
    } finally {
      await agent.stop();
    }
  });

  it('a ConnectivityLost apply drops the watch and watches again on a new connection', async () => {
    const store = new Store();
    const b = backend([{ ok: false, reason: 'ConnectivityLost', message: 'cut off', rolledBack: true, durationMs: 1 }]);
    let watches = 0;
    const client = store.client();
    const watch = client.watch.bind(client);
    client.watch = (...args) => {
      watches++;
      return watch(...args);
    };
    const agent = new Agent({ nodeName: 'n1', client, backend: b, log, observeIntervalMs: 60_000 });
    await agent.start();
    try {
      await until('the failure reported', () => (store.obj?.status?.setupStatus as { Failed?: unknown } | undefined)?.Failed !== undefined);
      await until('a second watch', () => watches === 2 && store.watchers.length === 1);
      assert.equal(b.specs.length, 1, 'the failure is final for the generation: no second apply');
    } finally {
      await agent.stop();
    }
  });

  it('supervises DHCP clients on a timer of its own, apart from observing', async (t) => {
    mockTimers(t);
    const store = new Store();
    const b = backend();
    await withAgent(store, b, async () => {
      await applied(b, 1);
      const count = (what: string) => b.calls.filter((c) => c === what).length;
      const observes = count('observe');
      assert.equal(count('supervise'), 1, 'once at start');
      t.mock.timers.tick(10_000);
      await turns();
      assert.equal(count('supervise'), 2);
      assert.equal(count('observe'), observes, 'observing has its own interval');
      t.mock.timers.tick(50_000);
      await turns();
      assert.equal(count('supervise'), 7);
      assert.equal(count('observe'), observes + 1);
    }, { observeIntervalMs: 60_000, dhcpSuperviseIntervalMs: 10_000 });
  });

  it('is ready once it has listed its object; stop() ends the watch', async () => {
    const store = new Store();
    const agent = new Agent({ nodeName: 'n1', client: store.client(), backend: backend(), log, observeIntervalMs: 60_000 });
    assert.equal(agent.ready, false);
    await agent.start();
    await until('ready', () => agent.ready);
    await agent.stop();
    await turns();
    assert.equal(store.watchers.length, 0);
  });
});

describe('drift', () => {
  /** A backend whose observations report `drift.now` as what the kernel lacks. */
  function drifting() {
    const b = backend();
    const drift = { now: [] as string[] };
    const observe = b.observe.bind(b);
    b.observe = async () => ({ ...(await observe()), drifted: [...drift.now] });
    b.confirmDrift = async () => [...drift.now];
    return { b, drift };
  }
  const conditions = (store: Store) => ((store.obj?.status?.conditions ?? []) as { type: string; status: string; reason: string }[]).map((c) => `${c.type}=${c.status}/${c.reason}`);

  it('Heal (the default): reported as Degraded/Drifted with an Event, applied again, Available after', async (t) => {
    mockTimers(t);
    const store = new Store();
    const { b, drift } = drifting();
    const events: string[] = [];
    const client = store.client();
    client.event = async (_o, type, reason, message) => void events.push(`${type} ${reason}: ${message}`);
    await withAgent(store, b, async () => {
        await applied(b, 1);
        await until('generation 1 reported', () => store.obj?.status?.observedGeneration === 1);
        drift.now = ['network net1: its devices are missing from the kernel'];
        t.mock.timers.tick(1000);
        await until('the heal', () => b.specs.length === 2);
        assert.ok(events.some((e) => e === 'Warning Drifted: the kernel differs from generation 1: network net1: its devices are missing from the kernel (applying it again)'), events.join('\n'));
        drift.now = [];
        await until('Available again', () => conditions(store).includes('Available=True/SuccessfullyConfigured'));
        t.mock.timers.tick(1000);
        await turns(20);
        assert.equal(b.specs.length, 2, 'healed once');
    }, { client, observeIntervalMs: 1000 });
  });

  it('what the kernel lacks while a newer generation is applied is no drift: the older one is never applied over it', async (t) => {
    mockTimers(t);
    const store = new Store();
    const { b, drift } = drifting();
    let release: () => void = () => undefined;
    const setup = b.setup.bind(b);
    b.setup = async (spec, v) => {
      if ((spec as { tag?: number }).tag === 2) {
        drift.now = ['network kn0: its devices are missing from the kernel'];
        await new Promise<void>((r) => (release = r));
      }
      const r = await setup(spec, v);
      drift.now = [];
      return r;
    };
    await withAgent(store, b, async () => {
        await applied(b, 1);
        store.setSpec({ tag: 2 });
        await until('generation 2 applying', () => drift.now.length > 0);
        for (let i = 0; i < 3; i++) {
          t.mock.timers.tick(1000);
          await turns(20);
        }
        release();
        await until('generation 2 reported', () => store.obj?.status?.observedGeneration === 2);
        t.mock.timers.tick(1000);
        await turns(50);
        assert.deepEqual(b.specs.map((s) => (s as { tag: number }).tag), [1, 2]);
    }, { observeIntervalMs: 1000 });
  });

  it('Report: Degraded/Drifted, nothing applied; the same drift is reported once; Available when it goes', async (t) => {
    mockTimers(t);
    const store = new Store();
    store.obj!.spec = { tag: 1, driftPolicy: 'Report' };
    const { b, drift } = drifting();
    const events: string[] = [];
    const client = store.client();
    client.event = async (_o, type, reason) => void events.push(`${type} ${reason}`);
    await withAgent(store, b, async () => {
        await applied(b, 1);
        drift.now = ['network net1: ipaddr "10.0.0.2" in the running config, unset in the kernel'];
        for (let i = 0; i < 3; i++) {
          t.mock.timers.tick(1000);
          await turns(20);
        }
        await until('Drifted shown', () => conditions(store).includes('Degraded=True/Drifted'));
        assert.deepEqual(conditions(store), ['Available=False/Drifted', 'Progressing=False/Drifted', 'Degraded=True/Drifted']);
        assert.equal(events.filter((e) => e === 'Warning Drifted').length, 1, 'reported once');
        assert.equal(b.specs.length, 1, 'nothing applied');
        drift.now = [];
        t.mock.timers.tick(1000);
        await until('Available again', () => conditions(store).includes('Available=True/SuccessfullyConfigured'));
    }, { client, observeIntervalMs: 1000 });
  });

  it('after a failed generation, a drift from the running config is healed by restoring it, not by applying the failed spec again', async (t) => {
    mockTimers(t);
    const store = new Store();
    const { b, drift } = drifting();
    b.setup = async (spec) => {
      b.specs.push(spec);
      return { ok: false, reason: 'InvalidSpec', message: 'spec.networks.n1.nic: NIC eth9 does not exist on the node', rolledBack: false, durationMs: 1 };
    };
    let restores = 0;
    b.restoreAtBoot = async () => {
      restores++;
      drift.now = [];
      return 'restored: add network net1';
    };
    const events: string[] = [];
    const client = store.client();
    client.event = async (_o, type, reason, message) => void events.push(`${type} ${reason}: ${message}`);
    await withAgent(store, b, async () => {
        await applied(b, 1);
        await until('generation 1 reported', () => store.obj?.status?.observedGeneration === 1);
        const before = restores;
        drift.now = ['network net1: its devices are missing from the kernel'];
        t.mock.timers.tick(1000);
        await until('the restore', () => restores === before + 1);
        assert.ok(events.some((e) => e.startsWith('Warning Drifted: the kernel differs from the running config (generation 1 is not applied): network net1')), events.join('\n'));
        assert.equal(b.specs.length, 1, 'the failed spec is not applied again');
        assert.ok(conditions(store).includes('Degraded=True/InvalidSpec'), conditions(store).join(' '));
        for (let i = 0; i < 3; i++) {
          t.mock.timers.tick(1000);
          await turns(20);
        }
        assert.equal(restores, before + 1, 'restored once');
    }, { client, observeIntervalMs: 1000 });
  });
});

describe('agent start with a persisted state file it cannot use', () => {
  it('starts anyway, reports PersistedStateInvalid with the file and field (condition and Event), and restores nothing', async () => {
    const store = new Store();
    const b = backend();
    const bad = new StateFileError('/var/lib/ovnh/running-config.json', 'networks.net1.bridgeOpts', 'not a running config (networks.net1.bridgeOpts: "../../../../tmp/x" is not a bridge option)');
    let restores = 0;
    b.restoreAtBoot = async () => {
      restores++;
      throw bad;
    };
    const events: string[] = [];
    const client = store.client();
    client.event = async (_o, type, reason, message) => void events.push(`${type} ${reason}: ${message}`);
    await withAgent(store, b, async () => {
      await until('the Event', () => events.some((e) => e.startsWith('Warning PersistedStateInvalid: /var/lib/ovnh/running-config.json: not a running config (networks.net1.bridgeOpts:')));
      assert.equal(restores, 1);
    }, { client });
  });
});
