// JSON values: the object type the specs are built of, and their differences for messages.
import { jsonEqual } from '../../src/util/json-equal.js';
import { clip } from './text.js';

export type Obj = Record<string, unknown>;

/** Leaf paths where two JSON values differ (at most `max`), for messages. */
export function jsonDiff(a: unknown, b: unknown, max = 6, at = ''): string[] {
  if (jsonEqual(a, b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (!isObj(a) || !isObj(b) || Array.isArray(a) !== Array.isArray(b)) return [`${at || '.'}: ${clip(JSON.stringify(a), 120)} vs ${clip(JSON.stringify(b), 120)}`];
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (out.length >= max) break;
    out.push(...jsonDiff(a[k], b[k], max - out.length, `${at}.${k}`));
  }
  return out;
}

/** The problem `what: <where got differs from want>`, or none when they are equal. */
export function differs(what: string, want: unknown, got: unknown): string[] {
  const d = jsonDiff(want, got);
  return d.length ? [`${what}: ${d.join('; ')}`] : [];
}
