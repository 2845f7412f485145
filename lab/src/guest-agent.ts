// Runs inside a lab VM (started by lab/guest/init.sh). It executes the commands `lab exec`
// and the tests send, one TCP connection per command, reachable only through QEMU's
// host-loopback forward and only with the lab's token.
//
// Protocol: the client sends one JSON line {token, argv, env?, cwd?, stdin?, detach?}; the
// agent answers with JSON lines {out|err: base64} ... and finally {exit, signal} (or {pid}
// for detach, where output goes to a log file in /run/ovnh-share).
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { openSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';

export interface ExecRequest {
  token: string;
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  detach?: boolean;
  logName?: string;
}

export const GUEST_EXEC_PORT = 7070;

/**
 * Files every build rewrites (tsc emits all its outputs each time) and the launchers, read
 * through the uncached mount of the checkout: their mtimes are the build stamp.
 */
const STAMP_FILES = ['dist/src/cli/main.js', 'bin/ovirt-node-network-handler.js', 'bin/agent-v8.js'];

/** The build stamp of the checkout at `live`: one stat per file, a missing file stamps as such. */
export function buildStamp(live: string): string {
  return STAMP_FILES.map((f) => {
    try {
      const st = statSync(join(live, f));
      return `${st.mtimeMs}:${st.size}`;
    } catch {
      return 'none';
    }
  }).join(' ');
}

/**
 * Invariant: no command starts on pages of the cached checkout older than the build on the host.
 * When the stamp moved since the last command, the guest's page, dentry and inode caches are
 * dropped (clean pages only: nothing written is lost), so the cached mount reads afresh.
 */
function dropStaleCaches(live: string | undefined, seen: { stamp?: string }): void {
  if (!live) return;
  const stamp = buildStamp(live);
  if (seen.stamp !== undefined && stamp !== seen.stamp) writeFileSync('/proc/sys/vm/drop_caches', '3');
  seen.stamp = stamp;
}

function tokenOk(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function handle(sock: Socket, token: string, fresh: () => void): void {
  let buf = '';
  const send = (o: object) => sock.write(JSON.stringify(o) + '\n');
  sock.setEncoding('utf8');
  const onData = (chunk: string) => {
    buf += chunk;
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    sock.off('data', onData);
    let req: ExecRequest;
    try {
      req = JSON.parse(buf.slice(0, nl)) as ExecRequest;
    } catch {
      send({ error: 'bad request' });
      sock.end();
      return;
    }
    if (!tokenOk(req.token, token) || !Array.isArray(req.argv) || req.argv.length === 0) {
      send({ error: 'denied' });
      sock.end();
      return;
    }
    const [cmd, ...args] = req.argv as [string, ...string[]];
    fresh();
    const env = { ...process.env, ...(req.env ?? {}) };
    if (req.detach) {
      const fd = openSync(`/run/ovnh-share/${(req.logName ?? 'detached').replace(/[^\w.-]/g, '_')}.log`, 'a');
      const child = spawn(cmd, args, { env, cwd: req.cwd, detached: true, stdio: ['ignore', fd, fd] });
      child.once('error', (e) => {
        send({ error: e.message });
        sock.end();
      });
      child.once('spawn', () => {
        send({ pid: child.pid });
        sock.end();
        child.unref();
      });
      return;
    }
    const child = spawn(cmd, args, { env, cwd: req.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => send({ out: b.toString('base64') }));
    child.stderr.on('data', (b: Buffer) => send({ err: b.toString('base64') }));
    child.on('error', (e) => {
      send({ err: Buffer.from(`${cmd}: ${e.message}\n`).toString('base64') });
    });
    child.on('close', (code, signal) => {
      send({ exit: code ?? 127, signal });
      sock.end();
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(req.stdin ?? '');
    sock.on('close', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
  };
  sock.on('data', onData);
  sock.on('error', () => undefined);
}

function main(): void {
  const token = process.env.OVNH_TOKEN;
  if (!token) {
    console.error('guest-agent: OVNH_TOKEN is not set');
    process.exit(2);
  }
  // The stamp as the guest booted: its caches were empty then.
  const live = process.env.OVNH_PROJECT_LIVE;
  const seen: { stamp?: string } = {};
  dropStaleCaches(live, seen);
  const server = createServer((s) => handle(s, token, () => dropStaleCaches(live, seen)));
  server.listen(GUEST_EXEC_PORT, '10.0.2.15', () => console.log(`guest-agent: listening on ${GUEST_EXEC_PORT}`));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
