// Builds the lab's real Kubernetes parts from pinned Go modules (lab/go/*), once per version:
// the binaries are cached under <cache>/bin/<name>-<version>.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ETCD_VERSION, KUBERNETES_VERSION, PROJECT_ROOT } from './config.js';
import type { Progress } from './progress.js';

export interface GoBinary {
  name: 'kube-apiserver' | 'etcd';
  version: string;
  /** A cold build on 2 cores, used as the estimate until this machine measured its own. */
  coldBuildMs: number;
}

export const GO_BINARIES: readonly GoBinary[] = [
  { name: 'etcd', version: ETCD_VERSION, coldBuildMs: 3 * 60_000 },
  { name: 'kube-apiserver', version: KUBERNETES_VERSION, coldBuildMs: 12 * 60_000 },
];

export function binaryPath(cache: string, b: GoBinary): string {
  return join(cache, 'bin', `${b.name}-${b.version}`);
}

async function goBuild(b: GoBinary, out: string, logPath: string): Promise<void> {
  const log = createWriteStream(logPath, { flags: 'w' });
  const tmp = `${out}.building`;
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', tmp, '.'], {
      cwd: join(PROJECT_ROOT, 'lab', 'go', b.name),
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  log.end();
  if (code !== 0) throw new Error(`go build of ${b.name} ${b.version} exited ${code}`);
  await rename(tmp, out);
}

/** Returns the path of each binary, building the ones the cache lacks. */
export async function ensureBinaries(cache: string, progress: Progress): Promise<Record<GoBinary['name'], string>> {
  await mkdir(join(cache, 'bin'), { recursive: true });
  await mkdir(join(cache, 'logs'), { recursive: true });
  const paths = {} as Record<GoBinary['name'], string>;
  for (const b of GO_BINARIES) {
    const out = binaryPath(cache, b);
    if (!existsSync(out)) {
      const logPath = join(cache, 'logs', `build-${b.name}.log`);
      await progress.step(`build-${b.name}-${b.version}`, `building ${b.name} ${b.version} from Go modules`, b.coldBuildMs, () => goBuild(b, out, logPath), logPath);
    }
    paths[b.name] = out;
  }
  return paths;
}
