// The lab's control plane as a benchmark measures it: CPU and resident memory of processes over
// a window of work (kube-apiserver, etcd, a controller), and the size of etcd's database from
// its own /metrics (etcd serves them on its client URL, 127.0.0.1 in the lab: lab/src/apiserver.ts).
import { NET } from '../../lab/src/config.js';
import { sleep } from '../../src/util/exec.js';
import { procUsage } from '../../lab/client/index.js';

/** The value of an unlabelled sample of a Prometheus text exposition, e.g. a gauge. */
export function promSample(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // "name 123" or "name{} 123": not name_suffix, not a labelled series.
    const m = /^(?:\{\})?\s+(\S+)/.exec(rest);
    if (m) return Number(m[1]);
  }
  return undefined;
}

export interface EtcdSize {
  /** The bbolt file, free pages included (etcd_mvcc_db_total_size_in_bytes). */
  totalBytes: number;
  /** Pages in use (etcd_mvcc_db_total_size_in_use_in_bytes). */
  inUseBytes: number;
}

export function etcdSizeOf(metrics: string): EtcdSize {
  const total = promSample(metrics, 'etcd_mvcc_db_total_size_in_bytes');
  const inUse = promSample(metrics, 'etcd_mvcc_db_total_size_in_use_in_bytes');
  if (total === undefined || inUse === undefined) throw new Error('etcd /metrics has no etcd_mvcc_db_total_size_in_bytes / _in_use_in_bytes');
  return { totalBytes: total, inUseBytes: inUse };
}

export async function etcdSize(url = `http://127.0.0.1:${NET.etcdClientPort}/metrics`): Promise<EtcdSize> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return etcdSizeOf(await r.text());
}

export interface WindowUsage {
  /** CPU seconds used in the window (own + reaped children). */
  cpuS: number;
  rssMaxMb: number;
}

/**
 * Runs work while sampling the processes' resident set every `everyMs`; returns its result, how
 * long it took and each process's CPU and peak RSS over that time.
 */
export async function measureWhile<T>(pids: Readonly<Record<string, number>>, work: () => Promise<T>, everyMs = 2000): Promise<{ result: T; seconds: number; usage: Record<string, WindowUsage> }> {
  const names = Object.keys(pids);
  const cpu0: Record<string, number> = {};
  const rss: Record<string, number> = {};
  for (const n of names) {
    const u = await procUsage(pids[n]!);
    cpu0[n] = u.cpuS;
    rss[n] = u.rssMb;
  }
  const t0 = Date.now();
  let done = false;
  const finished = work().finally(() => {
    done = true;
  });
  // A process that went away mid-window (a restarted controller) keeps its last peak.
  const sample = async () => {
    for (const n of names) rss[n] = Math.max(rss[n]!, (await procUsage(pids[n]!).catch(() => ({ rssMb: 0 }))).rssMb);
  };
  const sampler = (async () => {
    while (!done) {
      await Promise.race([sleep(everyMs), finished.catch(() => undefined)]);
      await sample();
    }
  })();
  const result = await finished;
  const seconds = (Date.now() - t0) / 1000;
  await sampler;
  const usage: Record<string, WindowUsage> = {};
  for (const n of names) usage[n] = { cpuS: (await procUsage(pids[n]!)).cpuS - cpu0[n]!, rssMaxMb: rss[n]! };
  return { result, seconds, usage };
}
