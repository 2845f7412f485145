// Follows one object — or a collection (the controller's policies, nodes, node objects) —
// through the API server: list it (get, or create; or a list call), then watch it from the
// listed resourceVersion. A watch the server ended on time is resumed from the last
// resourceVersion seen (bookmarks keep it fresh); anything else — an ERROR event (410 Gone: the
// version is too old), a failed, refused or stuck stream, a deletion, a renew() — lists again
// first. Failures are waited out with a backoff that doubles up to a cap and starts over once
// the API server answers; the watcher never touches the host.
import type { Logger } from 'pino';
import { describeApiError, type OnnObject, type WatchOptions } from './client.js';
import type { Stream } from './http.js';

/** Headers of a new watch must arrive by then (a connection accepted but never served). */
export const WATCH_CONNECT_TIMEOUT_MS = 15_000;
/** A watch silent this long past the end the server promised is stuck: drop it and relist. */
export const WATCH_GRACE_MS = 30_000;

/** Delays between attempts: initial, doubled after each failure up to max; reset() starts over. */
export class Backoff {
  private current: number;

  constructor(
    private readonly initialMs = 1000,
    private readonly maxMs = 30_000,
  ) {
    this.current = initialMs;
  }

  /** The delay before the next attempt (and the one after it doubles). */
  next(): number {
    const d = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return d;
  }

  reset(): void {
    this.current = this.initialMs;
  }
}

/** Anything with a resourceVersion: an object, or a list of them. */
export interface Versioned {
  metadata: { resourceVersion?: string };
}

/**
 * The server side of one object (OnnClient's get/create and watch, bound to the name), or of a
 * collection (L its list, T its items).
 */
export interface WatchSource<T extends Versioned = OnnObject, L extends Versioned = T> {
  /** The object (or list) as it is now; called at start and after anything but a watch ended on time. */
  list(): Promise<L>;
  /** done is called once when the stream ends by itself (err undefined: the server's timeout), never after abort(). */
  watch(
    resourceVersion: string | undefined,
    o: WatchOptions,
    onEvent: (type: string, obj: T) => void,
    done: (err?: Error) => void,
  ): Promise<Stream>;
}

export interface WatchHandlers<T extends Versioned = OnnObject, L extends Versioned = T> {
  /** The object as an ADDED/MODIFIED event shows it (and as listed, without onList). */
  onObject(obj: T): void;
  /** A DELETED event; for one object a list follows. */
  onDeleted(obj: T): void;
  /** What a list returned (a collection's watcher: the whole set, replacing what was known). */
  onList?(listed: L): void;
}

export interface WatcherOptions<T extends Versioned = OnnObject, L extends Versioned = T> {
  source: WatchSource<T, L>;
  handlers: WatchHandlers<T, L>;
  /** A collection: a DELETED event is one item gone, not a reason to list again (default false). */
  collection?: boolean;
  log: Logger;
  /** Runs before the first list, again after each failure until it succeeds once (the CRD install). */
  prepare?: () => Promise<void>;
  /** The server ends each watch after this many seconds, jittered ±10 % (default 300). */
  watchSeconds?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** The jitter's randomness (tests pin it). */
  random?: () => number;
}

export class ObjectWatcher<T extends Versioned = OnnObject, L extends Versioned = T> {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private listed = false;
  /** Ends the current watch; the loop then lists again (or exits when stopped). */
  private endWatch: (() => void) | undefined;
  /** Ends the current backoff pause early (stop). */
  private wake: (() => void) | undefined;
  /** When the API server last sent something on a watch (for /healthz). */
  lastEventAt = Date.now();

  constructor(private readonly o: WatcherOptions<T, L>) {}

  /** The object was listed and no failure came since (for /readyz and status writes). */
  get ready(): boolean {
    return this.listed;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the watch and the loop; resolves once the loop has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.endWatch?.();
    this.wake?.();
    await this.loop;
  }

  /** Drops the current watch at once: list again and watch on a new connection. */
  renew(): void {
    this.endWatch?.();
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(this.o.backoffInitialMs, this.o.backoffMaxMs);
    let prepared = !this.o.prepare;
    let resume: string | undefined;
    while (!this.stopped) {
      try {
        if (!prepared) {
          await this.o.prepare!();
          prepared = true;
        }
        if (resume === undefined) {
          const obj = await this.o.source.list();
          if (this.stopped) break;
          // Handed over before ready flips: a status write it triggers right away waits for the
          // next tick.
          if (this.o.handlers.onList) this.o.handlers.onList(obj);
          else this.o.handlers.onObject(obj as unknown as T);
          this.listed = true;
          resume = obj.metadata.resourceVersion;
        }
        backoff.reset();
        resume = await this.watchOnce(resume);
      } catch (e) {
        resume = undefined;
        this.listed = false;
        const ms = backoff.next();
        this.o.log.warn(
          { err: describeApiError(e), retryInMs: ms },
          'API server unavailable; the host is left as it is',
        );
        await this.pause(ms);
      }
    }
  }

  /**
   * One watch. Resolves to the resourceVersion to resume from when the server ended it on time,
   * undefined when the next round must list again; rejects when the API server could not be used.
   */
  private watchOnce(resourceVersion: string | undefined): Promise<string | undefined> {
    const base = this.o.watchSeconds ?? 300;
    const timeoutSeconds = Math.max(1, Math.round(base * (0.9 + (this.o.random ?? Math.random)() * 0.2)));
    const options: WatchOptions = {
      timeoutSeconds,
      connectTimeoutMs: WATCH_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: timeoutSeconds * 1000 + WATCH_GRACE_MS,
    };
    if (this.stopped) return Promise.resolve(undefined);
    return new Promise<string | undefined>((resolve, reject) => {
      let lastVersion = resourceVersion;
      let settled = false;
      let stream: Stream | undefined;
      const finish = (result: { resume?: string; err?: Error }) => {
        if (settled) return;
        settled = true;
        stream?.abort();
        this.endWatch = undefined;
        if (result.err && !this.stopped) reject(result.err);
        else resolve(result.resume);
      };
      this.endWatch = () => finish({});
      this.o.source
        .watch(
          resourceVersion,
          options,
          (type, obj) => {
            this.lastEventAt = Date.now();
            if (type === 'ERROR') return finish({}); // 410 Gone and friends: list again
            if (obj.metadata?.resourceVersion) lastVersion = obj.metadata.resourceVersion;
            if (type === 'BOOKMARK') return;
            if (type === 'DELETED') {
              this.o.handlers.onDeleted(obj);
              return this.o.collection ? undefined : finish({});
            }
            this.o.handlers.onObject(obj);
          },
          (err) => finish(err ? { err } : { resume: lastVersion }),
        )
        .then(
          (s) => {
            stream = s;
            if (settled) s.abort();
          },
          (err: Error) => finish({ err }),
        );
    });
  }

  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = undefined;
    });
  }
}
