// <state-dir>/origins.json: what NICs looked like before the handler took them, and the default
// routes it displaced, so that giving them back (a network removed next week, by another
// process) restores the node as it was. Written together with the running config at commit.
import { join } from 'node:path';
import { readJsonIfExists, StateFileError, writeFileAtomic } from '../util/fs.js';
import { firstIssue, OriginsSchema } from '../persist/schemas.js';
import { emptyOrigins, type Origins } from './compile/index.js';

export class OriginsStore {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'origins.json');
  }

  async load(): Promise<Origins> {
    const o = await readJsonIfExists<unknown>(this.path);
    if (o === undefined) return emptyOrigins();
    // Validated like API input: NIC names and routes become ip arguments (persist/schemas.ts).
    const r = OriginsSchema.safeParse(o);
    if (!r.success) {
      const { field, message } = firstIssue(r.error);
      throw new StateFileError(this.path, field, `not an origins file (${field}: ${message})`);
    }
    const { routeTables, ...rest } = r.data;
    return routeTables ? { ...rest, routeTables } : rest;
  }

  async save(o: Origins): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(o, null, 2) + '\n', 0o600);
  }
}
