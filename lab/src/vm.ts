// The lab's VM node: Debian's kernel (which has bonding, 802.1q and dummy, unlike this
// machine's) under QEMU, with the host's root file system shared read-only over 9p, and a
// disk of its own for the agent's state, so a power cut or a reboot keeps what a host keeps.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile, chmod, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run, waitFor, type RunOptions, type RunResult } from '../../src/util/exec.js';
import { DEFAULT_STATE_DIR } from '../../src/api/constants.js';
import { NET, PROJECT_ROOT } from './config.js';
import { startDaemon, stopRecorded } from './daemon.js';
import type { Progress } from './progress.js';
import type { StateRecorder, VmRecord } from './state.js';
import type { ExecRequest } from './guest-agent.js';

/** Modules the initramfs loads to reach the 9p root (in dependency order, from modprobe). */
const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];
/** Modules the guest may load later; only these (and their dependencies) are kept. */
const GUEST_MODULES = [
  ...BOOT_MODULES,
  'virtio_net',
  'virtio_blk',
  'ext4',
  'bonding',
  '8021q',
  'dummy',
  'bridge',
  'veth',
  'tun',
  'sch_netem',
  // Host network QoS (VDSM's HFSC layout: src/model/host-qos.ts QOS_MODULES).
  'sch_hfsc',
  'sch_fq_codel',
  'cls_u32',
  'cls_basic',
  'em_meta',
];
/** The state disk's size: the running config, journal and DHCP state of a few thousand networks. */
const STATE_DISK_BYTES = 64 * 1024 * 1024;

export interface Kernel {
  version: string;
  vmlinuz: string;
  modulesDir: string; // a lib/modules directory (holds <version>/)
  initrd: string;
}

async function insmodLines(root: string, kver: string, mod: string): Promise<string[]> {
  const r = await run(['modprobe', '-S', kver, '-d', root, '--show-depends', mod]);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('insmod '))
    .map((l) => l.split(/\s+/)[1]!);
}

/** Downloads Debian's kernel package once (apt-get download, no install) and keeps what the lab needs. */
export async function ensureKernel(cache: string, progress: Progress): Promise<Kernel> {
  const dep = await run(['apt-cache', 'depends', 'linux-image-amd64']);
  const pkg = /Depends: (linux-image-[\w.+-]+)/.exec(dep.stdout)?.[1];
  if (!pkg) throw new Error('apt-cache cannot resolve linux-image-amd64 (run apt-get update)');
  const dir = join(cache, 'kernel', pkg);
  // The marker names the kept modules: a lab that needs another module unpacks the kernel again.
  const done = join(dir, 'ready');
  const wanted = GUEST_MODULES.join(' ');
  if ((await readFile(done, 'utf8').catch(() => '')).split('\n')[0] !== wanted) {
    await progress.step(`kernel-${pkg}`, `fetching and unpacking ${pkg}`, 20_000, async () => {
      await rm(dir, { recursive: true, force: true });
      const tmp = await mkdtemp(join(tmpdir(), 'ovnh-kernel-'));
      try {
        await run(['apt-get', 'download', pkg], { cwd: tmp });
        const deb = (await readdir(tmp)).find((f) => f.endsWith('.deb'));
        if (!deb) throw new Error(`apt-get download ${pkg} left no .deb`);
        const x = join(tmp, 'x');
        await run(['dpkg-deb', '-x', join(tmp, deb), x]);
        const kver = (await readdir(join(x, 'lib', 'modules')))[0]!;
        await run(['depmod', '-b', x, kver]);
        const src = join(x, 'lib', 'modules', kver);
        const dst = join(dir, 'lib', 'modules', kver);
        const keep = new Set<string>();
        for (const m of GUEST_MODULES) for (const f of await insmodLines(x, kver, m)) keep.add(f);
        for (const f of keep) {
          const rel = f.slice(src.length + 1);
          await mkdir(dirname(join(dst, rel)), { recursive: true });
          await copyFile(f, join(dst, rel));
        }
        for (const f of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo'])
          await copyFile(join(src, f), join(dst, f));
        await run(['depmod', '-b', dir, kver]);
        await copyFile(join(x, 'boot', `vmlinuz-${kver}`), join(dir, 'vmlinuz'));
        await writeFile(join(dir, 'version'), kver);
        await buildInitramfs(dir, kver);
        await writeFile(done, `${wanted}\n${new Date().toISOString()}\n`);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  }
  const version = (await readFile(join(dir, 'version'), 'utf8')).trim();
  return {
    version,
    vmlinuz: join(dir, 'vmlinuz'),
    modulesDir: join(dir, 'lib', 'modules'),
    initrd: join(dir, 'initrd.cpio'),
  };
}

/** A small uncompressed initramfs: static busybox, the boot modules, and lab/guest/initramfs-init.sh. */
async function buildInitramfs(kernelDir: string, kver: string): Promise<void> {
  const busybox = '/bin/busybox';
  if (!existsSync(busybox)) throw new Error('busybox-static is not installed (/bin/busybox missing)');
  const tmp = await mkdtemp(join(tmpdir(), 'ovnh-initrd-'));
  try {
    for (const d of ['bin', 'proc', 'sys', 'dev', 'modules', 'lower', 'upper', 'newroot']) await mkdir(join(tmp, d));
    await copyFile(busybox, join(tmp, 'bin', 'busybox'));
    await chmod(join(tmp, 'bin', 'busybox'), 0o755);
    const order: string[] = [];
    for (const m of BOOT_MODULES) {
      for (const f of await insmodLines(kernelDir, kver, m)) {
        const base = f.split('/').pop()!;
        if (!order.includes(base)) {
          order.push(base);
          await copyFile(f, join(tmp, 'modules', base));
        }
      }
    }
    await writeFile(join(tmp, 'modules.list'), order.join('\n') + '\n');
    await copyFile(join(PROJECT_ROOT, 'lab', 'guest', 'initramfs-init.sh'), join(tmp, 'init'));
    await chmod(join(tmp, 'init'), 0o755);
    const list = await run(['sh', '-c', 'find . -mindepth 1 | sort'], { cwd: tmp });
    const cpio = await run(
      ['sh', '-c', `cpio -o -H newc --quiet > ${JSON.stringify(join(kernelDir, 'initrd.cpio'))}`],
      { cwd: tmp, input: list.stdout },
    );
    void cpio;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

// ---- talking to the guest agent ------------------------------------------------------------

export interface VmExecOptions extends RunOptions {
  detach?: boolean;
  logName?: string;
  onStdout?: (b: Buffer) => void;
  onStderr?: (b: Buffer) => void;
}

export function vmExec(
  vm: VmRecord,
  argv: readonly string[],
  opts: VmExecOptions = {},
): Promise<RunResult & { pid?: number }> {
  const req: ExecRequest = {
    token: vm.token,
    argv: [...argv],
    ...(opts.env ? { env: opts.env as Record<string, string> } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.input !== undefined ? { stdin: opts.input } : {}),
    ...(opts.detach ? { detach: true, logName: opts.logName ?? 'detached' } : {}),
  };
  return new Promise((resolve, reject) => {
    const sock = connect(vm.execPort, '127.0.0.1');
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let buf = '';
    let settled = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          sock.destroy();
          finish(new Error(`vm exec timed out: ${argv.join(' ')}`));
        }, opts.timeoutMs)
      : undefined;
    const finish = (e: Error | undefined, r?: RunResult & { pid?: number }) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (e) reject(e);
      else resolve(r!);
    };
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as {
          out?: string;
          err?: string;
          exit?: number;
          pid?: number;
          error?: string;
        };
        buf = buf.slice(nl + 1);
        if (msg.out !== undefined) {
          const b = Buffer.from(msg.out, 'base64');
          out.push(b);
          opts.onStdout?.(b);
        }
        if (msg.err !== undefined) {
          const b = Buffer.from(msg.err, 'base64');
          err.push(b);
          opts.onStderr?.(b);
        }
        if (msg.error) finish(new Error(`vm ${vm.node}: ${msg.error}`));
        if (msg.pid !== undefined) finish(undefined, { stdout: '', stderr: '', code: 0, pid: msg.pid });
        if (msg.exit !== undefined) {
          const r = {
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
            code: msg.exit,
          };
          if (r.code !== 0 && !opts.allowFailure) {
            const tail = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
            finish(
              Object.assign(new Error(`[${vm.node}] ${argv.join(' ')} exited ${r.code}${tail ? `: ${tail}` : ''}`), {
                result: r,
              }),
            );
          } else finish(undefined, r);
        }
      }
    });
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Error(`vm ${vm.node}: connection closed before the command ended`)));
  });
}

// ---- booting ---------------------------------------------------------------------------------

export interface VmBoot {
  node: string;
  index: number;
  /** eth1..N: veth pairs to the VM's own switch, made by the guest at boot (its "hardware"). */
  dataNics: number;
  kernel: Kernel;
  labDir: string;
  cache: string;
}

/** Beside the share directory (which every boot empties): what outlives a boot of the VM. */
export function vmFiles(labDir: string, node: string) {
  return {
    share: join(labDir, 'vm', node),
    /** ext4 image the guest mounts at the agent's state directory. */
    stateDisk: join(labDir, 'vm', `${node}.state.img`),
    /** While this file exists, the guest's connections to the API server are closed at once. */
    apiBlocked: join(labDir, 'vm', `${node}.api-blocked`),
  };
}

function qemuArgv(b: VmBoot, execPort: number, accel: 'kvm' | 'tcg'): string[] {
  const f = vmFiles(b.labDir, b.node);
  const consoleLog = join(f.share, 'console.log');
  // QEMU runs this for every connection the guest opens to the API address (libslirp splits
  // it like a shell would): an outage test closes the door without touching the API server.
  const apiForward = `sh -c "test -e ${f.apiBlocked} || exec socat - TCP:127.0.0.1:${NET.apiPort}"`;
  return [
    'qemu-system-x86_64',
    '-name',
    `ovnh-${b.node}`,
    '-M',
    'pc',
    '-accel',
    accel,
    '-cpu',
    accel === 'kvm' ? 'host' : 'max',
    '-m',
    '1024',
    '-smp',
    '2',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-serial',
    `file:${consoleLog}`,
    '-kernel',
    b.kernel.vmlinuz,
    '-initrd',
    b.kernel.initrd,
    '-append',
    `console=ttyS0 panic=-1 quiet loglevel=4 ovnh.init=${join(PROJECT_ROOT, 'lab', 'guest', 'init.sh')}`,
    '-fsdev',
    'local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap',
    '-device',
    'virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot',
    '-fsdev',
    `local,id=labshare,path=${f.share},security_model=none`,
    '-device',
    'virtio-9p-pci,fsdev=labshare,mount_tag=labshare',
    // The checkout twice more: cached over its place in the guest (a start of the CLI under TCG
    // reads ~300 files; uncached, every open and stat is a round trip to QEMU), and uncached,
    // where the guest agent reads the build stamp before each command and drops the guest's
    // caches when a rebuild on the host moved it (guest-agent.ts), so no stale page is served.
    '-fsdev',
    `local,id=project,path=${PROJECT_ROOT},security_model=none,readonly=on,multidevs=remap`,
    '-device',
    'virtio-9p-pci,fsdev=project,mount_tag=project',
    '-fsdev',
    `local,id=projectlive,path=${PROJECT_ROOT},security_model=none,readonly=on,multidevs=remap`,
    '-device',
    'virtio-9p-pci,fsdev=projectlive,mount_tag=projectlive',
    // The state disk with QEMU's default write-back cache: what the guest has not flushed is
    // lost when QEMU is killed, as on a power cut; what it fsynced is kept.
    '-drive',
    `file=${f.stateDisk},if=virtio,format=raw,discard=unmap`,
    // restrict=on seals the guest off every network; explicit forwards remain: the exec port and
    // the agent's metrics from the host's loopback in, the API server (guest 10.0.2.100) out.
    '-netdev',
    `user,id=mgmt,restrict=on,net=10.0.2.0/24,host=10.0.2.2,hostfwd=tcp:127.0.0.1:${execPort}-10.0.2.15:7070,` +
      `hostfwd=tcp:127.0.0.1:${NET.metricsForwardBase + b.index}-10.0.2.15:${NET.metricsPort},` +
      `guestfwd=tcp:${NET.vmApiAddress}:${NET.apiPort}-cmd:${apiForward}`,
    '-device',
    `virtio-net-pci,netdev=mgmt,mac=52:54:00:88:${(0x80 + b.index).toString(16)}:00`,
  ];
}

/** The state disk, made once per lab; later boots of the VM find what the agent left on it. */
async function ensureStateDisk(path: string): Promise<void> {
  if (existsSync(path)) return;
  await run(['truncate', '-s', String(STATE_DISK_BYTES), path]);
  await run(['mkfs.ext4', '-q', '-F', '-L', 'ovnh-state', path]);
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function boot(b: VmBoot, rec: StateRecorder, accel: 'kvm' | 'tcg', timeoutMs: number): Promise<VmRecord> {
  const shareDir = vmFiles(b.labDir, b.node).share;
  await rm(shareDir, { recursive: true, force: true });
  await mkdir(shareDir, { recursive: true, mode: 0o700 });
  await ensureStateDisk(vmFiles(b.labDir, b.node).stateDisk);
  const token = randomBytes(24).toString('hex');
  const env = {
    OVNH_NODE: b.node,
    OVNH_REPO: PROJECT_ROOT,
    OVNH_MODULES: b.kernel.modulesDir,
    OVNH_TOKEN: token,
    OVNH_LABDIR: b.labDir,
    OVNH_INDEX: String(b.index),
    OVNH_DATA_NICS: String(b.dataNics),
    OVNH_STATE_DIR: DEFAULT_STATE_DIR,
  };
  await writeFile(
    join(shareDir, 'guest.env'),
    Object.entries(env)
      .map(([k, v]) => `${k}='${v}'\n`)
      .join(''),
    { mode: 0o600 },
  );
  const execPort = await freePort();
  const vm: VmRecord = { node: b.node, execPort, token, accel };
  const pid = await startDaemon(rec, {
    name: `qemu-${b.node}`,
    argv: qemuArgv(b, execPort, accel),
    logPath: join(shareDir, 'qemu.log'),
    match: `ovnh-${b.node}`,
  });
  try {
    await waitFor(
      `${b.node} guest agent (console: ${join(shareDir, 'console.log')})`,
      async () => {
        try {
          process.kill(pid, 0);
        } catch {
          throw new Error(`qemu exited; see ${join(shareDir, 'qemu.log')}`);
        }
        const r = await vmExec(vm, ['true'], { timeoutMs: 5000 }).catch(() => undefined);
        return r?.code === 0;
      },
      timeoutMs,
      500,
    );
  } catch (e) {
    await stopRecorded({ name: `qemu-${b.node}`, pid, match: `ovnh-${b.node}` });
    // The lab directory may be removed after a failed `lab up`: keep the evidence in the error.
    const tail = async (f: string) =>
      (await readFile(join(shareDir, f), 'utf8').catch(() => '')).trim().split('\n').slice(-8).join('\n    ');
    throw new Error(
      `${(e as Error).message}\n  console.log (last lines):\n    ${await tail('console.log')}\n` +
        `  guest-agent.log:\n    ${await tail('guest-agent.log')}`,
    );
  }
  return vm;
}

/** Boots the VM again with the accelerator its first boot chose; its state disk is kept. */
export function bootVm(b: VmBoot, rec: StateRecorder, accel: 'kvm' | 'tcg'): Promise<VmRecord> {
  return boot(b, rec, accel, accel === 'kvm' ? 60_000 : 180_000);
}

/**
 * Boots the VM. KVM is used only where it really boots this kernel (on nested PVM hosts it
 * does not); the verdict is cached so the probe runs once per machine and kernel.
 */
export async function startVm(b: VmBoot, rec: StateRecorder, progress: Progress): Promise<VmRecord> {
  const verdictFile = join(b.cache, 'kernel', `kvm-verdict-${b.kernel.version}`);
  let kvm = existsSync('/dev/kvm') && process.env.OVNH_LAB_ACCEL !== 'tcg';
  if (kvm && existsSync(verdictFile)) kvm = (await readFile(verdictFile, 'utf8')).trim() === 'works';
  if (kvm) {
    try {
      const vm = await progress.step('boot-vm-kvm', `booting ${b.node} with KVM`, 10_000, () =>
        boot(b, rec, 'kvm', 30_000),
      );
      await writeFile(verdictFile, 'works\n');
      return vm;
    } catch (e) {
      await writeFile(verdictFile, 'fails\n');
      progress.note(`KVM does not boot this kernel here (${(e as Error).message.split('\n')[0]}); using TCG`);
    }
  }
  return progress.step('boot-vm-tcg', `booting ${b.node} (TCG software emulation)`, 20_000, () =>
    boot(b, rec, 'tcg', 180_000),
  );
}
