// The images a lab node's containerd needs, made on this machine (the lab has no registry and
// never pulls): the pod sandbox (pause, compiled from build/pause/linux/pause.c of the pinned
// k8s.io/kubernetes module, i.e. the same source as registry.k8s.io/pause) and the agent's own
// image, built by image/build.sh exactly as a user builds it. Both are OCI archives that
// `ctr images import` takes, named by the io.containerd.image.name annotation.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';
import { KUBERNETES_VERSION, PAUSE_IMAGE, PROJECT_ROOT } from './config.js';
import type { Progress } from './progress.js';

/** Names every manifest of an OCI layout's index.json for containerd's import. */
export function annotateIndex(indexJson: string, name: string): string {
  const ix = JSON.parse(indexJson) as { manifests: { annotations?: Record<string, string> }[] };
  for (const m of ix.manifests) m.annotations = { ...m.annotations, 'io.containerd.image.name': name };
  return JSON.stringify(ix);
}

async function tarLayout(layout: string, out: string): Promise<void> {
  await run([
    'tar',
    '-C',
    layout,
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mtime=@0',
    '-cf',
    out,
    '.',
  ]);
}

export interface Pause {
  /** The image, an OCI archive. */
  image: string;
  /** The static binary itself: also each lab node's mount-namespace holder (it only waits and reaps). */
  binary: string;
}

/** The pause image and binary in the cache (built once per Kubernetes version). */
export async function ensurePause(cache: string, progress: Progress): Promise<Pause> {
  const out = join(cache, 'images', `pause-${KUBERNETES_VERSION}.oci.tar`);
  const binary = join(cache, 'images', `pause-${KUBERNETES_VERSION}`);
  if (existsSync(out) && existsSync(binary)) return { image: out, binary };
  await progress.step(
    'pause-image',
    "building the pause image from the Kubernetes module's pause.c",
    5000,
    async () => {
      const mod = await run(['go', 'mod', 'download', '-json', `k8s.io/kubernetes@${KUBERNETES_VERSION}`], {
        cwd: join(PROJECT_ROOT, 'lab', 'go', 'kubernetes'),
      });
      const src = join((JSON.parse(mod.stdout) as { Dir: string }).Dir, 'build', 'pause', 'linux', 'pause.c');
      const work = join(cache, 'images', 'pause.work');
      await rm(work, { recursive: true, force: true });
      await mkdir(join(work, 'rootfs'), { recursive: true });
      const tag = PAUSE_IMAGE.split(':').pop()!;
      await run([
        'gcc',
        '-Os',
        '-Wall',
        '-Werror',
        '-static',
        `-DVERSION=v${tag}`,
        '-o',
        join(work, 'rootfs', 'pause'),
        src,
      ]);
      await run([
        'tar',
        '-C',
        join(work, 'rootfs'),
        '--owner=0',
        '--group=0',
        '--numeric-owner',
        '--mtime=@0',
        '-cf',
        join(work, 'layer.tar'),
        './pause',
      ]);
      const layout = join(work, 'oci');
      await run(['umoci', 'init', '--layout', layout]);
      await run(['umoci', 'new', '--image', `${layout}:${tag}`]);
      await run(['umoci', 'raw', 'add-layer', '--image', `${layout}:${tag}`, join(work, 'layer.tar')]);
      await run([
        'umoci',
        'config',
        '--image',
        `${layout}:${tag}`,
        '--no-history',
        '--architecture',
        'amd64',
        '--os',
        'linux',
        '--config.entrypoint',
        '/pause',
        '--config.user',
        '65535:65535',
      ]);
      await run(['umoci', 'gc', '--layout', layout]);
      const index = join(layout, 'index.json');
      await writeFile(index, annotateIndex(await readFile(index, 'utf8'), PAUSE_IMAGE));
      await tarLayout(layout, `${out}.tmp`);
      await run(['mv', `${out}.tmp`, out]);
      await run(['cp', join(work, 'rootfs', 'pause'), binary]);
      await rm(work, { recursive: true, force: true });
    },
  );
  return { image: out, binary };
}

/**
 * Builds the agent's image with image/build.sh (a no-op when the tree is unchanged) and returns it
 * as an OCI archive.
 */
export async function buildAgentImage(labDir: string, progress: Progress): Promise<string> {
  const log = join(labDir, 'image-build.log');
  const out = join(labDir, 'agent-image.oci.tar');
  await progress.step(
    'agent-image',
    'building the agent image (image/build.sh)',
    40_000,
    async () => {
      const r = await run(['image/build.sh'], { cwd: PROJECT_ROOT, allowFailure: true });
      await writeFile(log, r.stdout + r.stderr);
      if (r.code !== 0) throw new Error(`image/build.sh exited ${r.code}`);
      await tarLayout(join(PROJECT_ROOT, '.tmp-image', 'oci'), out);
    },
    log,
  );
  return out;
}
