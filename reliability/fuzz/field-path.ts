// Rejections: every error must name a field path of the spec as given.
import { formatValidationErrors } from '../../src/plan/host-validation.js';
import type { ValidationError } from '../../src/plan/validate.js';
import { clip } from './text.js';

export function parseFieldPath(path: string): (string | number)[] | undefined {
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(path);
  if (!m) return undefined;
  const out: (string | number)[] = [m[0]];
  let i = m[0].length;
  while (i < path.length) {
    if (path[i] === '.') {
      const seg = /^[A-Za-z0-9_][A-Za-z0-9_-]*/.exec(path.slice(i + 1));
      if (!seg) return undefined;
      out.push(seg[0]);
      i += 1 + seg[0].length;
    } else if (path.startsWith('["', i)) {
      let j = i + 2;
      while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
      if (path[j + 1] !== ']') return undefined;
      try {
        out.push(JSON.parse(path.slice(i + 1, j + 1)) as string);
      } catch {
        return undefined;
      }
      i = j + 2;
    } else if (path[i] === '[') {
      const idx = /^\[(\d+)\]/.exec(path.slice(i));
      if (!idx) return undefined;
      out.push(Number(idx[1]));
      i += idx[0].length;
    } else return undefined;
  }
  return out;
}

/**
 * Why an error's path does not name a field of the spec, or undefined when it does: it must
 * parse, start at `spec`, and everything but its last segment must exist in the spec as given
 * (the last may be a missing required field, or an unknown one).
 */
export function fieldPathProblem(path: string, spec: unknown): string | undefined {
  const segs = parseFieldPath(path);
  if (!segs) return `"${path}" is not a field path`;
  if (segs[0] !== 'spec') return `"${path}" does not start at spec`;
  let cur: unknown = spec;
  for (const s of segs.slice(1, -1)) {
    if (typeof s === 'number' ? !Array.isArray(cur) || s >= cur.length : cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, s)) {
      return `"${path}": ${JSON.stringify(s)} is not in the spec`;
    }
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return undefined;
}

/** Problems of an InvalidSpec rejection: no errors, errors without a field path, or a message that is not theirs. */
export function rejectionProblems(errors: readonly ValidationError[], message: string, spec: unknown): string[] {
  if (!errors.length) return ['rejected without any error'];
  const out: string[] = [];
  for (const e of errors) {
    const p = fieldPathProblem(e.path, spec);
    if (p) out.push(`error without a field path: ${p} (${e.message})`);
    if (!e.message.trim()) out.push(`error at ${e.path} without a message`);
  }
  const want = formatValidationErrors(errors);
  if (message !== want) out.push(`setup's message is not the validation errors: ${clip(message, 200)}`);
  return out;
}
