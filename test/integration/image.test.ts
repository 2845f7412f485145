// The agent's container image (issue 7, item 3): built here without a registry or a container
// engine (image/build.sh: mmdebstrap + umoci), unpacked with umoci, and the agent's CLI run from
// the unpacked rootfs in a private mount and PID namespace (chroot, /proc, /sys read-only, /dev).
// Building takes a minute or more, so it runs only where asked: OVNH_TEST_IMAGE=1. build.sh keys
// the image by the git tree hash of its inputs, so an image already built from the same tree (by
// `npm run image:build` earlier in the same CI run, or by the first run here) is reused.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { run, type RunResult } from '../../src/util/exec.js';

const enabled = process.env.OVNH_TEST_IMAGE === '1';
const isRoot = process.getuid?.() === 0;
const skip = !enabled
  ? 'set OVNH_TEST_IMAGE=1 to build the container image and run the agent from it (takes minutes)'
  : !isRoot
    ? 'building and unpacking the image needs root (mmdebstrap, umoci, chroot)'
    : false;

// dist/test/integration/image.test.js -> the checkout
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};
const layout = resolve(repo, process.env.OVNH_IMAGE_OUT ?? '.tmp-image/oci');
const ref = `${layout}:${pkg.version}`;
const prefix = '/opt/ovirt-node-network-handler';
const nodeBin = `${prefix}/node_modules/node/bin/node`;
const cliBin = `${prefix}/bin/ovirt-node-network-handler.js`;

interface RuntimeConfig {
  process: { args: string[]; env: string[]; cwd: string; user: { uid: number; gid: number } };
}

let tmp = '';
let rootfs = '';
let config: RuntimeConfig;
let imageEnv: NodeJS.ProcessEnv = {};

const build = (): Promise<RunResult> => run(['bash', join(repo, 'image', 'build.sh')], { cwd: repo, timeoutMs: 30 * 60_000 });

/** Mount points at or below dir, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort()
    .reverse();
}

// The mounts live in a private mount namespace that dies with the command: nothing to undo after.
const enterScript = [
  'set -e',
  'r=$1; shift',
  'mount -t proc proc "$r/proc"',
  'mount -t sysfs -o ro sysfs "$r/sys"',
  'mount --rbind /dev "$r/dev"',
  'exec chroot "$r" "$@"',
].join('\n');

/** Runs argv inside the unpacked image with the image's environment, as its config says: root, cwd /. */
function inImage(argv: readonly string[], allowFailure = false): Promise<RunResult> {
  return run(['unshare', '--mount', '--pid', '--fork', '--propagation', 'private', 'sh', '-c', enterScript, 'sh', rootfs, ...argv], {
    env: imageEnv,
    allowFailure,
    timeoutMs: 120_000,
  });
}

describe('container image', { skip }, () => {
  before(async () => {
    const t0 = Date.now();
    const r = await build();
    process.stderr.write(`[image] build.sh took ${((Date.now() - t0) / 1000).toFixed(1)}s\n${r.stdout}`);
    tmp = mkdtempSync(join(tmpdir(), 'ovnh-image-test-'));
    const bundle = join(tmp, 'bundle');
    await run(['umoci', 'unpack', '--image', ref, bundle], { timeoutMs: 10 * 60_000 });
    rootfs = join(bundle, 'rootfs');
    config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as RuntimeConfig;
    imageEnv = Object.fromEntries(
      config.process.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
  });

  after(async () => {
    if (!tmp) return;
    for (const m of mountsUnder(tmp)) await run(['umount', '-l', m], { allowFailure: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is configured as the DaemonSet expects: root, the bundled Node running the CLI, verb run', () => {
    assert.deepEqual(config.process.args, [nodeBin, cliBin, 'run']);
    assert.equal(config.process.user.uid, 0);
    assert.equal(config.process.user.gid, 0);
    assert.equal(config.process.cwd, '/');
    assert.ok(config.process.env.includes('NODE_ENV=production'), config.process.env.join(' '));
  });

  it('runs the pinned Node 24', async () => {
    const r = await inImage([nodeBin, '--version']);
    assert.match(r.stdout.trim(), /^v24\./);
    assert.equal(r.stdout.trim(), `v${pkg.dependencies.node}`);
    // The same runtime is on the image's PATH (kubectl exec ... node).
    assert.equal((await inImage(['node', '--version'])).stdout.trim(), r.stdout.trim());
  });

  it("runs the agent's CLI: --help lists the verbs, and each verb's --help works", async (t) => {
    const [node, cli] = config.process.args as [string, string];
    const r = await inImage([node, cli, '--help']);
    assert.match(r.stdout, /^Usage: ovirt-node-network-handler/m);
    const commands = r.stdout.split(/^Commands:\s*$/m)[1] ?? '';
    const verbs = [...commands.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1] as string).filter((v) => v !== 'help');
    t.diagnostic(`verbs in the image: ${verbs.join(', ')}`);
    assert.ok(verbs.includes('lab'), r.stdout);
    for (const verb of verbs) {
      const h = await inImage([node, cli, verb, '--help'], true);
      assert.equal(h.code, 0, `${verb} --help: ${h.stderr}`);
      assert.match(h.stdout, new RegExp(`^Usage: ovirt-node-network-handler ${verb}\\b`, 'm'));
    }
    // `lab` is listed, but the image has no lab: it says so rather than failing on a missing file.
    const lab = await inImage([node, cli, 'lab', 'status'], true);
    assert.equal(lab.code, 1);
    assert.match(lab.stderr, /the lab is not part of this installation/);
  });

  it('has the kernel tools the agent runs: ip, dhcpcd, ping, modprobe', async () => {
    const v = await inImage(['ip', '-V']);
    assert.match(v.stdout, /iproute2/);
    // netlink from inside the image (the host's network namespace, as with hostNetwork: true)
    const links = JSON.parse((await inImage(['ip', '-json', 'link', 'show', 'lo'])).stdout) as { ifname: string }[];
    assert.equal(links[0]?.ifname, 'lo');
    assert.match((await inImage(['dhcpcd', '--version'])).stdout, /^dhcpcd \d/);
    assert.match((await inImage(['ping', '-V'])).stdout, /iputils/);
    assert.match((await inImage(['modprobe', '--version'])).stdout, /kmod/);
    assert.ok(existsSync(join(rootfs, 'etc/ssl/certs/ca-certificates.crt')), 'CA bundle');
  });

  it('is lean: the app, its production dependencies and manifests, nothing else of the checkout', () => {
    const app = join(rootfs, prefix);
    assert.deepEqual(readdirSync(app).sort(), ['bin', 'deploy', 'dist', 'node_modules', 'package.json']);
    assert.deepEqual(readdirSync(join(app, 'dist')), ['src']);
    assert.ok(existsSync(join(app, 'dist/src/cli/main.js')));
    assert.ok(existsSync(join(app, 'deploy/daemonset.yaml')));
    // No lab code: the lab (lab/src) is a wing of the checkout, not of the product. Its entry
    // points and its best-known functions appear in no compiled file of the image.
    const compiled = (readdirSync(join(app, 'dist'), { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
    assert.ok(compiled.length > 50, `${compiled.length} compiled files`);
    const labMarks = /\bfunction (labUp|labDown|startControlPlane|startNodeRuntime|bootVm)\b|from '[^']*\/lab\//;
    const withLab = compiled.filter((f) => labMarks.test(readFileSync(join(app, 'dist', f), 'utf8')));
    assert.deepEqual(withLab, [], 'lab code in the image');
    // The CLI on PATH (kubectl exec ds/... -- ovirt-node-network-handler show --tree).
    assert.equal(readlinkSync(join(rootfs, 'usr/local/bin/ovirt-node-network-handler')), `${prefix}/bin/ovirt-node-network-handler.js`);
    // Development-only packages per the lockfile (typescript, fast-check, ...). Some @types are
    // production dependencies of @kubernetes/client-node; their declarations are dropped anyway.
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([p, e]) => p && e.dev).map(([p]) => p);
    assert.ok(devOnly.includes('node_modules/typescript'));
    for (const p of devOnly) assert.equal(existsSync(join(app, p)), false, `dev dependency ${p} in the image`);
    for (const dep of Object.keys(pkg.dependencies)) assert.ok(existsSync(join(app, 'node_modules', dep)), `dependency ${dep} missing`);
    const leftovers = (readdirSync(join(app, 'node_modules'), { recursive: true }) as string[]).filter((f) => /\.(d\.[cm]?ts|map)$/.test(f));
    assert.deepEqual(leftovers.slice(0, 5), [], 'type declarations or source maps in node_modules');
    assert.equal(existsSync(join(rootfs, 'root/.npm')), false, 'npm cache in the image');
    // Debian: the essential set and the agent's packages; no apt, no perl (usrmerge), no docs.
    const installed = new Set(
      readFileSync(join(rootfs, 'var/lib/dpkg/status'), 'utf8')
        .split('\n\n')
        .filter((p) => /^Status: install ok installed$/m.test(p))
        .map((p) => /^Package: (\S+)$/m.exec(p)?.[1]),
    );
    for (const p of ['iproute2', 'dhcpcd-base', 'lldpd', 'ethtool', 'iputils-ping', 'kmod', 'mount', 'ca-certificates', 'libstdc++6']) assert.ok(installed.has(p), `${p} not installed`);
    for (const p of ['apt', 'perl', 'usrmerge']) assert.equal(installed.has(p), false, `${p} in the image`);
    assert.equal(existsSync(join(rootfs, 'usr/share/man/man8')), false, 'man pages in the image');
  });

  it('holds no setuid or setgid file, no file capability and no account tool: no way up from the controller\'s user', async () => {
    // Every entry of the rootfs, symlinks not followed (the unpacked tree has no mounts here).
    const privileged: string[] = [];
    let files = 0;
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        const st = lstatSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile()) {
          files++;
          if (st.mode & 0o6000) privileged.push(`${p.slice(rootfs.length)} ${(st.mode & 0o7777).toString(8)}`);
        }
      }
    };
    walk(rootfs);
    assert.ok(files > 1000, `walked only ${files} files`);
    assert.deepEqual(privileged, []);
    // File capabilities (security.capability), the other way a binary gains privileges on exec.
    const caps = await run(['getcap', '-r', rootfs], { allowFailure: true });
    assert.equal(caps.code, 0, caps.stderr);
    assert.equal(caps.stdout.trim(), '');
    for (const tool of ['su', 'passwd', 'chfn', 'chsh', 'gpasswd', 'newgrp', 'chage', 'expiry']) {
      assert.equal(existsSync(join(rootfs, 'usr/bin', tool)), false, `${tool} in the image`);
    }
    // What the agent runs is still there (as root it needs no bit).
    for (const tool of ['usr/bin/mount', 'usr/bin/umount', 'usr/bin/ping', 'usr/bin/openssl']) assert.ok(existsSync(join(rootfs, tool)), `${tool} missing`);
  });

  it('is not rebuilt for the same source tree', async () => {
    const index = () => readFileSync(join(layout, 'index.json'), 'utf8');
    const before = index();
    const r = await build();
    assert.match(r.stderr, /up to date/);
    assert.equal(index(), before);
  });

  it('left no mounts behind', () => {
    assert.deepEqual(mountsUnder(tmp), []);
  });
});
