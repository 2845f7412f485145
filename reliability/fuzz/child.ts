// The trial process: one long-lived process inside the namespace (KernelBackend works on the
// namespace of its own process), reading one request per line on stdin, answering one line per
// request.
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { KernelBackend } from '../../src/agent/kernel-backend.js';
import type { ChildContext } from './checks.js';
import { hostView, type Dumps } from './host-view.js';
import { netnsResolvConf, RESOLV_CONF } from './namespace.js';
import { lostResult, messageLine, parseRequest, type Request, type TrialResult } from './protocol.js';
import { readDumps } from './snapshot.js';
import { errorText } from './text.js';
import { runReset, runTrial } from './trial.js';
import { workPaths } from './work-dir.js';

/** DHCP clients started from this state dir (none are expected: see runTrial). */
async function stopDhcpClients(stateDir: string): Promise<void> {
  const dir = join(stateDir, 'dhcp');
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (!f.endsWith('.pid')) continue;
    const pid = Number((await readFile(join(dir, f), 'utf8').catch(() => '')).trim());
    if (pid > 0) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

/**
 * The handler will write /etc/resolv.conf: refuse to run unless it is the namespace's own
 * (bind-mounted from /etc/netns/<ns>/ by ip netns exec, so the same file).
 */
async function assertOwnResolvConf(ns: string): Promise<void> {
  const [mine, theirs] = await Promise.all([stat(RESOLV_CONF), stat(netnsResolvConf(ns))]);
  if (mine.dev !== theirs.dev || mine.ino !== theirs.ino) throw new Error(`${RESOLV_CONF} is not the one of namespace ${ns}`);
}

/** The baseline is taken by the first trial process; one started after a crash compares with the same. */
async function loadBaseline(path: string): Promise<Dumps> {
  const saved = await readFile(path, 'utf8').then((t) => JSON.parse(t) as Dumps).catch(() => undefined);
  if (saved) return saved;
  const baseline = await readDumps(RESOLV_CONF);
  await writeFile(path, JSON.stringify(baseline));
  return baseline;
}

async function answer(ctx: ChildContext, req: Request): Promise<TrialResult> {
  try {
    return req.op === 'reset' ? await runReset(ctx, req.i) : await runTrial(ctx, req.i, req.spec);
  } catch (e) {
    // The harness itself failed (an `ip` dump, a file): counted as lost, never hidden.
    return lostResult(req.i, `harness error: ${errorText(e)}`);
  }
}

export async function childMain(workDir: string, ns: string): Promise<void> {
  const { stateDir, baseline: baselinePath } = workPaths(workDir);
  await assertOwnResolvConf(ns);
  const baseline = await loadBaseline(baselinePath);
  const ctx: ChildContext = {
    backend: new KernelBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 200 }),
    stateDir, baseline,
    expectedFree: hostView(baseline, true).links,
    damaged: new Set(),
  };
  process.stdout.write(messageLine({ ready: true }));
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    process.stdout.write(messageLine(await answer(ctx, parseRequest(line))));
  }
  await stopDhcpClients(stateDir);
}
