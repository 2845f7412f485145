// The API server's audit log as the benchmarks read it: who sent which request, when, and (for
// our own objects, which the lab's policy records at level Request) how many bytes of body. The
// parsing and counting are pure functions over lines; reading the lines of one measured window
// (from a mark taken at its start, across a rotation of the log) is the thin part at the end.
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { PLURAL as ONN_PLURAL } from '../../src/api/constants.js';

/** The fields of an audit.k8s.io/v1 Event the benchmarks use. */
interface AuditEvent {
  auditID: string;
  verb: string;
  stage: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; name?: string; namespace?: string };
  requestObject?: unknown;
  requestReceivedTimestamp: string;
  responseStatus?: { code?: number };
}

/** One request, once (the log may hold two stages of it). */
export interface AuditRequest {
  id: string;
  /** When the API server received it (ms epoch). */
  at: number;
  verb: string;
  user: string;
  /** "ovirtnodenetworks", "ovirtnodenetworks/status", "leases"... ("" for non-resource URLs). */
  resource: string;
  name?: string;
  /** JSON length of the request body when the log holds it (level Request), else 0. */
  bytes: number;
  code?: number;
}

export const WRITE_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/**
 * The request of one log line, or undefined for a line that is not a finished request: a watch
 * is logged as ResponseStarted when it begins and ResponseComplete when it ends (which may be
 * after the window), every other request as ResponseComplete only; both count, deduplicated
 * by auditID (requestsIn).
 */
export function parseAuditLine(line: string): AuditRequest | undefined {
  if (!line.startsWith('{')) return undefined;
  let e: AuditEvent;
  try {
    e = JSON.parse(line) as AuditEvent;
  } catch {
    return undefined; // a line cut by a rotation, or still being written
  }
  if (e.stage !== 'ResponseComplete' && e.stage !== 'ResponseStarted') return undefined;
  const r = e.objectRef;
  return {
    id: e.auditID,
    at: Date.parse(e.requestReceivedTimestamp),
    verb: e.verb,
    user: e.user.username,
    resource: r?.resource ? (r.subresource ? `${r.resource}/${r.subresource}` : r.resource) : '',
    ...(r?.name !== undefined ? { name: r.name } : {}),
    bytes: e.requestObject === undefined ? 0 : JSON.stringify(e.requestObject).length,
    ...(e.responseStatus?.code !== undefined ? { code: e.responseStatus.code } : {}),
  };
}

export interface AuditFilter {
  /** Received within [from, to] (ms epoch). */
  from: number;
  to: number;
  user?: (username: string) => boolean;
  /** Resources without their subresource ("ovirtnodenetworks" also takes ".../status"). */
  resources?: readonly string[];
  verbs?: ReadonlySet<string>;
}

/** The requests of the lines that pass the filter, each once, in the order received. */
export function requestsIn(lines: Iterable<string>, f: AuditFilter): AuditRequest[] {
  const seen = new Map<string, AuditRequest>();
  for (const line of lines) {
    const r = parseAuditLine(line);
    if (!r || r.at < f.from || r.at > f.to) continue;
    if (f.user && !f.user(r.user)) continue;
    if (f.verbs && !f.verbs.has(r.verb)) continue;
    if (f.resources && !f.resources.includes(r.resource.split('/')[0]!)) continue;
    // The later stage of a request carries the same body; keep the first one seen.
    if (!seen.has(r.id)) seen.set(r.id, r);
  }
  return [...seen.values()].sort((a, b) => a.at - b.at);
}

export interface Writes {
  count: number;
  bytes: number;
  /** Receive times, ascending (ms epoch). */
  times: number[];
}

/** Requests grouped by a key (an object's name, a node of a user name); keys given but never seen get zeros. */
export function groupWrites(reqs: readonly AuditRequest[], key: (r: AuditRequest) => string | undefined, keys: readonly string[] = []): Map<string, Writes> {
  const out = new Map<string, Writes>(keys.map((k) => [k, { count: 0, bytes: 0, times: [] }]));
  for (const r of reqs) {
    const k = key(r);
    if (k === undefined) continue;
    let w = out.get(k);
    if (!w) out.set(k, (w = { count: 0, bytes: 0, times: [] }));
    w.count++;
    w.bytes += r.bytes;
    w.times.push(r.at);
  }
  for (const w of out.values()) w.times.sort((a, b) => a - b);
  return out;
}

/**
 * The writes each node's agent made to its own object (spec never: status patches, the object's
 * creation) within [from, to], by node; nodes that wrote nothing are there with zeros.
 */
export function agentWrites(lines: Iterable<string>, agentUser: string, nodes: readonly string[], from: number, to: number): Map<string, Writes> {
  const reqs = requestsIn(lines, { from, to, user: (u) => u === agentUser, resources: [ONN_PLURAL], verbs: WRITE_VERBS });
  return groupWrites(reqs, (r) => r.name, nodes);
}

/** Requests by verb, e.g. {patch: 12, get: 3}; keys sorted for a stable report. */
export function countByVerb(reqs: readonly AuditRequest[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of [...reqs].sort((a, b) => a.verb.localeCompare(b.verb))) out[r.verb] = (out[r.verb] ?? 0) + 1;
  return out;
}

/** Requests by "verb resource", e.g. {"patch ovirtnodenetworks": 50}, keys sorted. */
export function countByVerbAndResource(reqs: readonly AuditRequest[]): Record<string, number> {
  const out: Record<string, number> = {};
  const key = (r: AuditRequest) => `${r.verb} ${r.resource || '(non-resource)'}`;
  for (const r of [...reqs].sort((a, b) => key(a).localeCompare(key(b)))) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
}

/** Gaps between consecutive writes shorter than 0.9 interval: writes the interval should have held back. */
export function earlyWrites(times: readonly number[], intervalMs: number): number {
  return times.slice(1).filter((t, i) => t - times[i]! < intervalMs * 0.9).length;
}

/** The service-account user name Kubernetes gives a pod's token. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** The node a kubelet's request came from (its user is system:node:NAME), else undefined. */
export function kubeletNode(r: AuditRequest): string | undefined {
  return r.user.startsWith('system:node:') ? r.user.slice('system:node:'.length) : undefined;
}

// --- reading a window of the log (the thin part) ---

/** Where the log stood when a window began: its file (inode) and length, and the time. */
export interface AuditMark {
  path: string;
  ino: number;
  size: number;
  at: number;
}

export async function auditMark(path: string): Promise<AuditMark> {
  const s = await stat(path);
  return { path, ino: s.ino, size: s.size, at: Date.now() };
}

/**
 * The log's lines written since the mark. The API server rotates audit.log at
 * --audit-log-maxsize by renaming it (audit-TIMESTAMP.log, same inode): the file the mark was
 * taken in is read from the mark's offset, whatever its name is now, and any other audit file
 * changed since the mark is read whole (the time filter of requestsIn does the rest).
 */
export async function auditLinesSince(mark: AuditMark): Promise<string[]> {
  const dir = dirname(mark.path);
  const stem = basename(mark.path).replace(/\.log$/, '');
  const lines: string[] = [];
  for (const f of (await readdir(dir)).filter((x) => x.startsWith(stem) && x.endsWith('.log'))) {
    const p = join(dir, f);
    const s = await stat(p).catch(() => undefined);
    if (!s) continue;
    const start = s.ino === mark.ino ? mark.size : s.mtimeMs >= mark.at ? 0 : undefined;
    if (start === undefined || start >= s.size) continue;
    const rl = createInterface({ input: createReadStream(p, { start, encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of rl) lines.push(line);
  }
  return lines;
}
