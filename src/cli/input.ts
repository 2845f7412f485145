// The spec documents `plan -f` and `apply -f` read: one OvirtNodeNetwork (as given to kubectl) or
// one bare spec, YAML or JSON, from a file or stdin ("-"). Input that names no spec is refused,
// as kubectl refuses it ("no objects passed to apply"): an empty file must never read as an empty
// spec, which would remove every network the handler owns.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { ValidationError } from '../plan/validate.js';

export async function readInput(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The one document of a spec input, or the errors that make it none (pure). */
export function specDocument(text: string, source: string): { doc: unknown } | { errors: ValidationError[] } {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { errors: [{ path: source, message: 'empty input: no OvirtNodeNetwork and no spec (an empty spec is written `spec: {}`)' }] };
  const syntax = docs.flatMap((d) => d.errors.map((e) => ({ path: source, message: `not YAML or JSON: ${e.message.split('\n')[0]}` })));
  if (syntax.length) return { errors: syntax };
  const values = docs.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  if (values.length === 0) return { errors: [{ path: source, message: 'empty input: no OvirtNodeNetwork and no spec (an empty spec is written `spec: {}`)' }] };
  if (values.length > 1) return { errors: [{ path: source, message: `${values.length} documents: give one OvirtNodeNetwork (or one spec) per call` }] };
  const doc = values[0];
  if (typeof doc !== 'object' || Array.isArray(doc)) return { errors: [{ path: source, message: 'must be an OvirtNodeNetwork or a bare spec (a mapping)' }] };
  return { doc };
}

/** Reads and checks the input; errors name the file (or "stdin"). */
export async function readSpecDocument(file: string): Promise<{ doc: unknown } | { errors: ValidationError[] }> {
  const source = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = await readInput(file);
  } catch (e) {
    return { errors: [{ path: source, message: `cannot read: ${(e as Error).message.split('\n')[0]}` }] };
  }
  return specDocument(text, source);
}
