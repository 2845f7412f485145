// A JSON patch (RFC 6902: add, replace, remove — what the agent sends) applied as the API server
// applies one to an object: to a copy, all or nothing, then its optimistic-concurrency check (a
// patch that leaves metadata.resourceVersion other than the object's is a 409 Conflict), then a
// new resourceVersion. For the fake API servers and clients of the unit tests.
import type { OnnObject } from '../../src/k8s/client.js';

type Json = Record<string, unknown>;
export type PatchResult = { code: 200; obj: OnnObject } | { code: 409 | 422; message: string };

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function applyJsonPatch(obj: OnnObject, ops: readonly { op: string; path: string; value?: unknown }[]): PatchResult {
  const doc = structuredClone(obj) as unknown as Json;
  for (const op of ops) {
    const tokens = op.path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop()!;
    let parent: unknown = doc;
    for (const t of tokens) parent = isObj(parent) ? parent[t] : undefined;
    if (!isObj(parent)) return { code: 422, message: `the server rejected our request due to an error in our request: ${op.path}: missing path` };
    if (op.op === 'add' || op.op === 'replace') parent[last] = structuredClone(op.value);
    else if (op.op === 'remove' && last in parent) delete parent[last];
    else return { code: 422, message: `${op.op} ${op.path}: cannot apply` };
  }
  const patched = doc as unknown as OnnObject;
  if (patched.metadata.resourceVersion !== obj.metadata.resourceVersion) {
    return { code: 409, message: `Operation cannot be fulfilled on ovirtnodenetworks.ovirt.org "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again` };
  }
  patched.metadata.resourceVersion = String(Number(obj.metadata.resourceVersion ?? 0) + 1);
  return { code: 200, obj: patched };
}
