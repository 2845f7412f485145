// What a periodic statistics write carries. At rest most interfaces' counters stand still, and
// the whole map (~190 bytes per interface, 186 KiB at 1000) every interval was nearly all
// repetition. So a write carries the entries that changed since the map the API server stores
// (anything but their sampleTime: counters, rates, speed, state), removes those gone, and sets
// status.statisticsTime, the sample's time: every counter the status shows is as of then, and
// an entry's own sampleTime is when it last changed. That only holds when the stored map is
// known exactly, so a delta is based on the object the API server last showed (its
// resourceVersion, a precondition: a write based on anything older is refused with 409), and
// after any statistics write that failed — lost, refused, or answered with a conflict — the next
// one is the whole map again. Pure.
import { isDeepStrictEqual } from 'node:util';
import type { MapEdit } from '../k8s/client.js';

export type { MapEdit };

/** Statistics by interface, as the status holds them. */
export type StatisticsMap = Record<string, unknown>;

/** The status field with the sample's time (epoch seconds): one definition for the reporter, the budget and readers. */
export const STATISTICS_TIME = 'statisticsTime';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An entry without its sampleTime: what must match for the stored entry to stand for the new one. */
function withoutSampleTime(e: unknown): unknown {
  if (!isObj(e) || !('sampleTime' in e)) return e;
  const { sampleTime: _, ...rest } = e;
  return rest;
}

/** Whether an interface's statistics differ in anything but sampleTime (an idle interface's do not). */
export function entryChanged(shown: unknown, next: unknown): boolean {
  return !isDeepStrictEqual(withoutSampleTime(shown), withoutSampleTime(next));
}

/** The edit that brings the stored map `shown` to `next` (up to the sampleTime of entries that did not change). */
export function statisticsDelta(shown: StatisticsMap, next: StatisticsMap): MapEdit {
  const set: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(next)) if (!(name in shown) || entryChanged(shown[name], e)) set[name] = e;
  return { set, remove: Object.keys(shown).filter((name) => !(name in next)) };
}

/** Whether an edit changes nothing. */
export function isEmptyEdit(e: MapEdit): boolean {
  return e.remove.length === 0 && Object.keys(e.set).length === 0;
}

/** `shown` with the edit applied, as the API server stores it after the write (for tests and fakes). */
export function applyEdit(shown: StatisticsMap, e: MapEdit): StatisticsMap {
  const out = { ...shown, ...e.set };
  for (const name of e.remove) delete out[name];
  return out;
}

/** Whether `stored` stands for `next`: the same interfaces, none changed but for sampleTime. */
export function sameStatistics(stored: unknown, next: StatisticsMap): boolean {
  return isObj(stored) && isEmptyEdit(statisticsDelta(stored, next));
}
