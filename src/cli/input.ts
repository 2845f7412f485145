// The spec documents `plan -f` and `apply -f` read: one OvirtNodeNetwork (as given to kubectl) or
// one bare spec, YAML or JSON, from a file or stdin ("-"). Input that names no spec is refused,
// as kubectl refuses it ("no objects passed to apply"): an empty file must never read as an empty
// spec, which would remove every network the handler owns.
import { createReadStream } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { ValidationError } from '../plan/validate.js';

/**
 * The most bytes `-f` reads, checked before any parsing (100k networks parsed for 109 s in 542 MB;
 * a 100 MB string took 3.5 GB). Why 4 MiB: every spec the agent can be given through the API is
 * an object the API server stored, and it refuses requests over 3 MiB (etcd's default
 * --max-request-bytes is 1.5 MiB; the design budgets the whole object at 1 MiB,
 * src/report/status-budget.ts). The largest valid spec — NETWORKS_MAX bridged VLAN networks with
 * IPv4 and IPv6 over BONDINGS_MAX bonds (bench/status-size.ts largestSpec) — is about 340 KiB as
 * YAML with 4-space indentation, a twelfth of the cap (test/unit/cli-input.test.ts keeps it
 * under half). So 4 MiB refuses nothing valid, with room for comments and indentation, and bounds
 * the parser's time and memory to well under a second and some tens of MB.
 */
export const INPUT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Aliases the YAML parser expands per document (a billion-laughs document is refused). A spec
 * needs none; 100 is the yaml library's default, stated here so it cannot drift.
 */
export const YAML_MAX_ALIASES = 100;

/** The input of `-f` (a file, or stdin for "-"), refused once it exceeds maxBytes. */
export async function readInput(file: string, maxBytes = INPUT_MAX_BYTES): Promise<string> {
  return readAll(file === '-' ? process.stdin : createReadStream(file), file === '-' ? 'stdin' : file, maxBytes);
}

/**
 * A stream read to its end, as UTF-8 (stdin of `-f -` and of `lab exec`). With maxBytes, reading
 * stops (and the stream is destroyed) as soon as more arrived: nothing over the limit is held.
 */
export async function readAll(stream: NodeJS.ReadableStream, source = 'stdin', maxBytes = Infinity): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    total += b.length;
    if (total > maxBytes) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw new Error(
        `${source} is larger than ${maxBytes} bytes (${(maxBytes / 1048576).toFixed(0)} MiB), the most a spec input ` +
          `may be; the largest valid spec is far smaller`,
      );
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const EMPTY_INPUT = 'empty input: no OvirtNodeNetwork and no spec (an empty spec is written `spec: {}`)';

/** The one document of a spec input, or the errors that make it none (pure). */
export function specDocument(text: string, source: string): { doc: unknown } | { errors: ValidationError[] } {
  // Also here, for callers given a string rather than a file: the cap holds before any parse.
  if (Buffer.byteLength(text) > INPUT_MAX_BYTES)
    return {
      errors: [
        {
          path: source,
          message:
            `larger than ${INPUT_MAX_BYTES} bytes (${INPUT_MAX_BYTES / 1048576} MiB), the most a spec input ` +
            `may be`,
        },
      ],
    };
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { errors: [{ path: source, message: EMPTY_INPUT }] };
  const syntax = docs.flatMap((d) =>
    d.errors.map((e) => ({ path: source, message: `not YAML or JSON: ${e.message.split('\n')[0]}` })),
  );
  if (syntax.length) return { errors: syntax };
  let values: unknown[];
  try {
    values = docs
      .map((d) => d.toJS({ maxAliasCount: YAML_MAX_ALIASES }) as unknown)
      .filter((v) => v !== null && v !== undefined);
  } catch (e) {
    return { errors: [{ path: source, message: `not accepted: ${(e as Error).message.split('\n')[0]}` }] };
  }
  if (values.length === 0) return { errors: [{ path: source, message: EMPTY_INPUT }] };
  if (values.length > 1)
    return {
      errors: [
        { path: source, message: `${values.length} documents: give one OvirtNodeNetwork (or one spec) per call` },
      ],
    };
  const doc = values[0];
  if (typeof doc !== 'object' || Array.isArray(doc))
    return { errors: [{ path: source, message: 'must be an OvirtNodeNetwork or a bare spec (a mapping)' }] };
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
