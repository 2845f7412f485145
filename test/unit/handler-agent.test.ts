// The agent's scheduling of spec generations, against an in-memory object store and a recording
// backend (the real API server and kernel are the integration tests' and reliability/'s): every
// generation the object reaches is applied, whatever happened before it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Agent } from '../../src/handler/agent.js';
import type { NodeBackend, SetupResult } from '../../src/handler/backend.js';
import type { OnnClient, OnnObject } from '../../src/k8s/client.js';
import { waitFor } from '../../src/util/exec.js';

type OnEvent = (type: string, obj: OnnObject) => void;

/** One object, its watchers, and a way to change it as a user would. */
class Store {
  obj: OnnObject | undefined = { apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n1', generation: 1, resourceVersion: '1' }, spec: { tag: 1 } };
  private rv = 1;
  watchers: OnEvent[] = [];

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
      patchStatus: async (_n: string, fields: Record<string, unknown>) => {
        this.obj = { ...this.obj!, status: { ...this.obj!.status, ...fields }, metadata: { ...this.obj!.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.obj);
      },
      event: async () => undefined,
      watch: async (_n: string, _rv: string | undefined, _o: unknown, onEvent: OnEvent) => {
        this.watchers.push(onEvent);
        return { abort: () => (this.watchers = this.watchers.filter((w) => w !== onEvent)) };
      },
    };
    return c as unknown as OnnClient;
  }
}

/** Records every spec it is asked to apply; answers from a script, then ok. */
function backend(script: SetupResult[] = []): NodeBackend & { specs: unknown[] } {
  const specs: unknown[] = [];
  return {
    specs,
    restoreAtBoot: async () => undefined,
    observe: async () => ({ capabilities: {}, kernelConfig: { networks: {}, bondings: {} }, statistics: {} }),
    setup: async (spec) => {
      specs.push(spec);
      return script.shift() ?? { ok: true, changed: true, steps: 1, durationMs: 1, summary: 'ok' };
    },
  };
}

const log = pino({ level: 'silent' });

/** Runs an agent on store and backend (observation effectively off) around fn. */
async function withAgent(store: Store, b: NodeBackend, fn: () => Promise<void>, extra: { retryAfterMs?: number } = {}): Promise<void> {
  const agent = new Agent({ nodeName: 'n1', client: store.client(), backend: b, log, observeIntervalMs: 60_000, ...extra });
  await agent.start();
  try {
    await fn();
  } finally {
    await agent.stop();
  }
}
const applied = (b: { specs: unknown[] }, tag: number) => waitFor(`spec ${tag} applied`, () => b.specs.some((s) => (s as { tag?: number }).tag === tag), 3000, 10);

describe('agent scheduling', () => {
  it('applies a new generation after a retry timer fired with nothing left to do', async () => {
    const store = new Store();
    const b = backend([{ ok: false, reason: 'ApiUnreachable', message: 'away', rolledBack: false, durationMs: 1, retry: true }]);
    await withAgent(store, b, async () => {
      await waitFor('the first attempt', () => b.specs.length === 1, 3000, 10);
      store.emit('MODIFIED'); // the relist after the API came back: generation 1 applied now
      await waitFor('generation 1 applied', () => b.specs.length === 2, 3000, 10);
      await new Promise((r) => setTimeout(r, 400)); // the retry timer fires; generation 1 is done
      store.setSpec({ tag: 2 });
      await applied(b, 2);
    }, { retryAfterMs: 200 });
  });

  it('after the object is deleted, cleans up, re-creates it, and applies the next spec', async () => {
    const store = new Store();
    const b = backend();
    await withAgent(store, b, async () => {
      await applied(b, 1);
      store.remove();
      await waitFor('the cleanup and the new object', () => b.specs.some((s) => Object.keys(s as object).length === 0) && store.obj !== undefined && store.watchers.length === 1, 5000, 10);
      store.setSpec({ tag: 3 });
      await applied(b, 3);
    });
  });

  it('applies the newest of several generations that arrive during an apply, and each only once', async () => {
    const store = new Store();
    let release: () => void = () => undefined;
    const slow = backend();
    const setup = slow.setup.bind(slow);
    slow.setup = async (spec, v) => {
      if ((spec as { tag?: number }).tag === 1) await new Promise<void>((r) => (release = r));
      return setup(spec, v);
    };
    await withAgent(store, slow, async () => {
      await waitFor('the first apply to start', () => store.watchers.length === 1, 3000, 10);
      store.setSpec({ tag: 2 });
      store.setSpec({ tag: 3 });
      release();
      await applied(slow, 3);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(slow.specs.map((s) => (s as { tag: number }).tag), [1, 3]);
    });
  });
});
