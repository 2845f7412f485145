// Builds the lab's real Kubernetes parts from pinned Go modules (lab/go/*), once per version:
// the binaries are cached under <cache>/bin/<name>-<version>. One `go build` per module builds
// every command it lacks, so the commands of k8s.io/kubernetes share one compilation.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ETCD_VERSION, KUBERNETES_VERSION, PROJECT_ROOT } from './config.js';
import type { Progress } from './progress.js';

export const KUBERNETES_COMMANDS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
] as const;
export type BinaryName = (typeof KUBERNETES_COMMANDS)[number] | 'etcd';

interface GoModule {
  /** Folder under lab/go holding go.mod; each command is a sub-folder (or the module itself). */
  dir: string;
  version: string;
  /** -ldflags: Kubernetes' binaries learn their version from -X flags (as its release builds set them). */
  ldflags: string;
  commands: readonly BinaryName[];
  /** A cold build on 2 cores, used as the estimate until this machine measured its own. */
  coldBuildMs: number;
}

function kubernetesLdflags(v: string): string {
  const [major, minor] = v.replace(/^v/, '').split('.');
  const vars = { gitVersion: v, gitMajor: major, gitMinor: minor, gitTreeState: 'clean' };
  const x = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) =>
    Object.entries(vars).map(([k, val]) => `-X ${pkg}.${k}=${val}`),
  );
  return ['-s', '-w', ...x].join(' ');
}

const GO_MODULES: readonly GoModule[] = [
  { dir: 'etcd', version: ETCD_VERSION, ldflags: '-s -w', commands: ['etcd'], coldBuildMs: 3 * 60_000 },
  {
    dir: 'kubernetes',
    version: KUBERNETES_VERSION,
    ldflags: kubernetesLdflags(KUBERNETES_VERSION),
    commands: KUBERNETES_COMMANDS,
    coldBuildMs: 18 * 60_000,
  },
];

/** Cached per version and per build recipe (a changed -ldflags is a different binary). */
export function binaryPath(cache: string, name: BinaryName, m: Pick<GoModule, 'version' | 'ldflags'>): string {
  const recipe = createHash('sha256').update(m.ldflags).digest('hex').slice(0, 8);
  return join(cache, 'bin', `${name}-${m.version}-${recipe}`);
}

async function goBuild(m: GoModule, missing: readonly BinaryName[], cache: string, logPath: string): Promise<void> {
  const log = createWriteStream(logPath, { flags: 'w' });
  const tmp = join(cache, 'bin', `.building-${m.dir}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const pkgs = m.commands.length === 1 ? ['.'] : missing.map((c) => `./${c}`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('go', ['build', '-trimpath', `-ldflags=${m.ldflags}`, '-o', `${tmp}/`, ...pkgs], {
      cwd: join(PROJECT_ROOT, 'lab', 'go', m.dir),
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  log.end();
  if (code !== 0) throw new Error(`go build of ${missing.join(', ')} ${m.version} exited ${code}`);
  for (const c of missing) {
    const built = m.commands.length === 1 ? join(tmp, m.dir) : join(tmp, c);
    await rename(built, binaryPath(cache, c, m));
  }
  await rm(tmp, { recursive: true, force: true });
}

/** Returns the path of each binary, building the ones the cache lacks. */
export async function ensureBinaries(cache: string, progress: Progress): Promise<Record<BinaryName, string>> {
  await mkdir(join(cache, 'bin'), { recursive: true });
  await mkdir(join(cache, 'logs'), { recursive: true });
  const paths = {} as Record<BinaryName, string>;
  for (const m of GO_MODULES) {
    const missing = m.commands.filter((c) => !existsSync(binaryPath(cache, c, m)));
    if (missing.length) {
      const logPath = join(cache, 'logs', `build-${m.dir}.log`);
      // The estimate is per module and per set of commands: a partial rebuild is much shorter.
      await progress.step(
        `build-${m.dir}-${m.version}-${missing.length}`,
        `building ${missing.join(', ')} ${m.version} from Go modules`,
        Math.round((m.coldBuildMs * missing.length) / m.commands.length),
        () => goBuild(m, missing, cache, logPath),
        logPath,
      );
    }
    for (const c of m.commands) paths[c] = binaryPath(cache, c, m);
  }
  return paths;
}
