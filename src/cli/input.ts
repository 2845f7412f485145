// The spec documents `plan -f` and `apply -f` read: one OvirtNodeNetwork (as given to kubectl) or
// one bare spec, YAML or JSON, from a file or stdin ("-"). Input that names no spec is refused,
// as kubectl refuses it ("no objects passed to apply"): an empty file must never read as an empty
// spec, which would remove every network the handler owns.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { ValidationError } from '../plan/validate.js';

export async function readInput(file: string): Promise<string> {
  return file === '-' ? readAll(process.stdin) : readFile(file, 'utf8');
}

/** A stream read to its end, as UTF-8 (stdin of `-f -` and of `lab exec`). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

const EMPTY_INPUT = 'empty input: no OvirtNodeNetwork and no spec (an empty spec is written `spec: {}`)';

/** The one document of a spec input, or the errors that make it none (pure). */
export function specDocument(text: string, source: string): { doc: unknown } | { errors: ValidationError[] } {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { errors: [{ path: source, message: EMPTY_INPUT }] };
  const syntax = docs.flatMap((d) => d.errors.map((e) => ({ path: source, message: `not YAML or JSON: ${e.message.split('\n')[0]}` })));
  if (syntax.length) return { errors: syntax };
  const values = docs.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  if (values.length === 0) return { errors: [{ path: source, message: EMPTY_INPUT }] };
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
