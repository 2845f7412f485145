// <state-dir>/origins.json: what NICs looked like before the handler took them, and the default
// routes it displaced, so that giving them back (a network removed next week, by another
// process) restores the node as it was. Written together with the running config at commit.
import { join } from 'node:path';
import { readJsonIfExists, writeFileAtomic } from '../util/fs.js';
import { emptyOrigins, type Origins } from './compile/index.js';

export class OriginsStore {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'origins.json');
  }

  async load(): Promise<Origins> {
    const o = await readJsonIfExists<Partial<Origins>>(this.path);
    return { ...emptyOrigins(), ...(o ?? {}) };
  }

  async save(o: Origins): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(o, null, 2) + '\n', 0o600);
  }
}
