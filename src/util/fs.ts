import { lstat, mkdir, open, readlink, rename, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Writes a file so that a reader (or a crash) sees either the old or the new content: the data
 * is fsync'd before the rename, so no power cut can leave the name with data never written.
 * `durable` (default): the folder is fsync'd after the rename, so the new content is there
 * after a power cut once this resolves; without it, a power cut may bring back the old content
 * (or no file), never a torn one (the journal's write: journal.ts says why that is enough).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
  durable = true,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (!durable) return;
  // fsync the directory so the rename itself survives a power cut.
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * A state file that is there but cannot be used: corrupt, truncated, or not of its schema. `field`: the offending
 * field's path ('' for the whole file); the reason names it too.
 */
export class StateFileError extends Error {
  constructor(
    readonly path: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'StateFileError';
  }
}

/** Parsed JSON of a file, undefined when it does not exist; a file that is not JSON is a StateFileError naming it. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new StateFileError(path, '', `not valid JSON (${(e as Error).message})`);
  }
}

/**
 * The file a path finally names, its symlinks followed (a dangling link: the path it points at,
 * which a write creates). A file the handler replaces may be a link it does not own —
 * systemd-resolved's /etc/resolv.conf → /run/systemd/resolve/stub-resolv.conf — and replacing the
 * link by a file would take the file from its owner for good; writing the target keeps the link.
 */
export async function linkTarget(path: string): Promise<string> {
  let cur = resolve(path);
  // The kernel's own bound on a chain of links (MAXSYMLINKS).
  for (let hops = 0; hops <= 40; hops++) {
    let st;
    try {
      st = await lstat(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return cur;
      throw e;
    }
    if (!st.isSymbolicLink()) {
      if (!st.isFile())
        throw new Error(
          `${path}${cur !== resolve(path) ? ` (a link to ${cur})` : ''} is not a regular file; refusing to replace it`,
        );
      return cur;
    }
    cur = resolve(dirname(cur), await readlink(cur));
  }
  throw new Error(`${path}: more than 40 symbolic links in a row`);
}
