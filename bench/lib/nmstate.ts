// nmstatectl of the nmstate project, for side-by-side figures. Its kernel mode (-k) needs no
// NetworkManager. Found on PATH, at $NMSTATECTL, or in the project's cache, where
// `npm run bench -- --install-nmstate` puts it (cargo install from crates.io, pinned).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';

export const NMSTATE_VERSION = '2.2.62';

function cachedRoot(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ovirt-node-network-handler', `nmstate-${NMSTATE_VERSION}`);
}

export async function findNmstatectl(): Promise<string | undefined> {
  if (process.env.NMSTATECTL) return existsSync(process.env.NMSTATECTL) ? process.env.NMSTATECTL : undefined;
  const cached = join(cachedRoot(), 'bin', 'nmstatectl');
  if (existsSync(cached)) return cached;
  const r = await run(['sh', '-c', 'command -v nmstatectl'], { allowFailure: true });
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** Builds nmstatectl from crates.io into the cache (a few minutes on 2 cores). */
export async function installNmstatectl(log: (l: string) => void): Promise<string> {
  log(`installing nmstatectl ${NMSTATE_VERSION} with cargo into ${cachedRoot()} ...`);
  await run(['cargo', 'install', 'nmstatectl', '--version', NMSTATE_VERSION, '--locked', '--root', cachedRoot()], { timeoutMs: 30 * 60_000 });
  return join(cachedRoot(), 'bin', 'nmstatectl');
}
