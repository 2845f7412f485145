// The object watcher against a scripted API server: resume from the last resourceVersion, relist
// on 410 Gone / deletion / renew, backoff that grows to its cap and starts over (mock timers).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { pino } from 'pino';
import type { OnnObject, WatchOptions } from '../../src/k8s/client.js';
import { Backoff, ObjectWatcher, WATCH_GRACE_MS, type WatcherOptions } from '../../src/k8s/watcher.js';
import { turns, until } from '../helpers/turns.js';

const log = pino({ level: 'silent' });
const obj = (rv: string, generation = 1): OnnObject => ({ apiVersion: 'ovirt.org/v1alpha1', kind: 'OvirtNodeNetwork', metadata: { name: 'n1', resourceVersion: rv, generation } });

interface OpenWatch {
  rv: string | undefined;
  o: WatchOptions;
  send: (type: string, o: OnnObject | { kind: 'Status'; code: number; metadata?: undefined }) => void;
  end: (err?: Error) => void;
  aborted: boolean;
}

/** An API server: list answers from a script (an Error is thrown), watches stay open until the test ends them. */
function server(listScript: (OnnObject | Error)[]) {
  const calls: string[] = [];
  const watches: OpenWatch[] = [];
  let lastListed: OnnObject = obj('1');
  const source: WatcherOptions['source'] = {
    list: async () => {
      const next = listScript.shift() ?? lastListed;
      calls.push(next instanceof Error ? 'list failed' : `list → ${next.metadata.resourceVersion}`);
      if (next instanceof Error) throw next;
      lastListed = next;
      return structuredClone(next);
    },
    watch: async (rv, o, onEvent, done) => {
      calls.push(`watch from ${rv}`);
      const w: OpenWatch = { rv, o, aborted: false, send: (t, x) => onEvent(t, x as OnnObject), end: (err) => done(err) };
      watches.push(w);
      return { abort: () => (w.aborted = true) };
    },
  };
  return { source, calls, watches, current: () => watches.at(-1)! };
}

function watcher(source: WatcherOptions['source'], extra: Partial<WatcherOptions> = {}) {
  const seen: string[] = [];
  const w = new ObjectWatcher({
    source, log, random: () => 0.5,
    handlers: {
      onObject: (o) => seen.push(`object ${o.metadata.resourceVersion}`),
      onDeleted: (o) => seen.push(`deleted ${o.metadata.resourceVersion}`),
    },
    ...extra,
  });
  return { w, seen };
}

async function running(t: TestContext, w: ObjectWatcher): Promise<void> {
  w.start();
  t.after(() => w.stop());
}

describe('object watcher', () => {
  it('watches from the listed resourceVersion, and resumes from the last one seen (bookmarks too) without listing', async (t) => {
    const api = server([obj('10')]);
    const { w, seen } = watcher(api.source);
    await running(t, w);
    await until('the first watch', () => api.watches.length === 1);
    assert.deepEqual(api.calls, ['list → 10', 'watch from 10']);
    assert.equal(w.ready, true);
    api.current().send('MODIFIED', obj('11', 2));
    api.current().send('BOOKMARK', obj('15'));
    api.current().end(); // the server's timeout
    await until('the second watch', () => api.watches.length === 2);
    assert.deepEqual(api.calls, ['list → 10', 'watch from 10', 'watch from 15']);
    assert.deepEqual(seen, ['object 10', 'object 11'], 'bookmarks are not objects');
  });

  it('an ERROR event (410 Gone) lists again at once and watches from the new list', async (t) => {
    const api = server([obj('10'), obj('42')]);
    const { w, seen } = watcher(api.source);
    await running(t, w);
    await until('the first watch', () => api.watches.length === 1);
    api.current().send('MODIFIED', obj('11'));
    api.current().send('ERROR', { kind: 'Status', code: 410 });
    await until('the second watch', () => api.watches.length === 2);
    assert.deepEqual(api.calls, ['list → 10', 'watch from 10', 'list → 42', 'watch from 42']);
    assert.equal(api.watches[0]!.aborted, true, 'the old stream is closed');
    assert.deepEqual(seen, ['object 10', 'object 11', 'object 42']);
    assert.equal(w.ready, true, 'a relist is not an outage');
  });

  it('a deletion is handed over, then the object is listed again', async (t) => {
    const api = server([obj('10'), obj('20')]);
    const { w, seen } = watcher(api.source);
    await running(t, w);
    await until('the first watch', () => api.watches.length === 1);
    api.current().send('DELETED', obj('12'));
    await until('the second watch', () => api.watches.length === 2);
    assert.deepEqual(seen, ['object 10', 'deleted 12', 'object 20']);
    assert.equal(api.current().rv, '20');
  });

  it('renew() drops the watch and lists and watches again on a new stream', async (t) => {
    const api = server([obj('10'), obj('10')]);
    const { w } = watcher(api.source);
    await running(t, w);
    await until('the first watch', () => api.watches.length === 1);
    w.renew();
    await until('the second watch', () => api.watches.length === 2);
    assert.equal(api.watches[0]!.aborted, true);
    assert.deepEqual(api.calls, ['list → 10', 'watch from 10', 'list → 10', 'watch from 10']);
  });

  it('backs off 1 s, 2 s, 4 s while the API server is away, then starts over at 1 s once it answers', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const down = new Error('ECONNREFUSED');
    const api = server([down, down, down, obj('10')]);
    const { w } = watcher(api.source);
    await running(t, w);
    const lists = () => api.calls.filter((c) => c.startsWith('list')).length;
    await until('the first attempt', () => lists() === 1);
    assert.equal(w.ready, false);
    for (const [n, delay] of [[2, 1000], [3, 2000], [4, 4000]] as const) {
      t.mock.timers.tick(delay - 1);
      await turns();
      assert.equal(lists(), n - 1, `attempt ${n} not before ${delay} ms`);
      t.mock.timers.tick(1);
      await until(`attempt ${n}`, () => lists() === n);
    }
    await until('the watch', () => api.watches.length === 1);
    assert.equal(w.ready, true);
    // The watch fails (a cut connection): the next list comes after 1 s again, not 8 s.
    api.current().end(new Error('the watch connection closed'));
    await turns();
    assert.equal(w.ready, false);
    t.mock.timers.tick(999);
    await turns();
    assert.equal(lists(), 4);
    t.mock.timers.tick(1);
    await until('the relist', () => lists() === 5);
  });

  it('the backoff doubles up to its cap and reset() starts it over', () => {
    const b = new Backoff(1000, 30_000);
    assert.deepEqual(Array.from({ length: 8 }, () => b.next()), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    b.reset();
    assert.equal(b.next(), 1000);
  });

  it('runs prepare (the CRD install) before the first list, again after failures, and only until it succeeded', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const api = server([new Error('down'), obj('10')]);
    let prepares = 0;
    const { w } = watcher(api.source, {
      prepare: async () => {
        prepares++;
        if (prepares === 1) throw new Error('no permission yet');
      },
    });
    await running(t, w);
    await until('the first prepare', () => prepares === 1);
    t.mock.timers.tick(1000);
    await until('the failed list', () => api.calls.length === 1);
    assert.equal(prepares, 2);
    t.mock.timers.tick(2000);
    await until('the watch', () => api.watches.length === 1);
    assert.equal(prepares, 2, 'not run again once it succeeded');
  });

  it('asks the server to end each watch after about watchSeconds, and gives a silent one a grace period', async (t) => {
    const api = server([obj('10')]);
    const { w } = watcher(api.source, { watchSeconds: 120 });
    await running(t, w);
    await until('the watch', () => api.watches.length === 1);
    assert.equal(api.current().o.timeoutSeconds, 120);
    assert.equal(api.current().o.idleTimeoutMs, 120_000 + WATCH_GRACE_MS);
  });

  it('stop() ends a backoff pause at once', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const api = server([new Error('down')]);
    const { w } = watcher(api.source);
    w.start();
    await until('the failed list', () => api.calls.length === 1);
    await w.stop(); // would hang for the 1 s pause if it were not woken (the clock is frozen)
    await turns();
    assert.equal(api.calls.length, 1);
  });
});
