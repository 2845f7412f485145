// The child: one long-lived process inside the namespace (HostBackend works on the namespace of
// its own process), reading one request per line on stdin, answering one line per request.
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { HostBackend } from '../../src/handler/node-backend.js';
import type { ChildContext } from './checks.js';
import { hostView, type Dumps } from './host-view.js';
import { RESOLV_CONF } from './namespace.js';
import type { Request, TrialResult } from './protocol.js';
import { readDumps } from './snapshot.js';
import { runReset, runTrial } from './trial.js';

/** DHCP clients started from this state dir (none are expected: see runTrial). */
async function stopDhcpClients(stateDir: string): Promise<void> {
  const dir = join(stateDir, 'dhcp');
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (!f.endsWith('.pid')) continue;
    const pid = Number((await readFile(join(dir, f), 'utf8').catch(() => '')).trim());
    if (pid > 0) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

export async function childMain(workDir: string, ns: string): Promise<void> {
  const stateDir = join(workDir, 'state');
  // The handler will write /etc/resolv.conf: refuse to run unless it is the namespace's own
  // (bind-mounted from /etc/netns/<ns>/ by ip netns exec, so the same file).
  const [mine, theirs] = await Promise.all([stat(RESOLV_CONF), stat(`/etc/netns/${ns}/resolv.conf`)]);
  if (mine.dev !== theirs.dev || mine.ino !== theirs.ino) throw new Error(`${RESOLV_CONF} is not the one of namespace ${ns}`);
  // The baseline is taken by the first child; one started after a crash compares with the same.
  const baselinePath = join(workDir, 'baseline.json');
  let baseline = await readFile(baselinePath, 'utf8').then((t) => JSON.parse(t) as Dumps).catch(() => undefined);
  if (!baseline) {
    baseline = await readDumps(RESOLV_CONF);
    await writeFile(baselinePath, JSON.stringify(baseline));
  }
  const ctx: ChildContext = {
    backend: new HostBackend({ stateDir, log: pino({ level: 'silent' }), dhcpTimeoutMs: 200 }),
    stateDir, baseline,
    expectedFree: hostView(baseline, true).links,
    damaged: new Set(),
  };
  process.stdout.write('FUZZ {"ready":true}\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const req = JSON.parse(line) as Request;
    let out: TrialResult;
    try {
      out = req.op === 'reset' ? await runReset(ctx, req.i) : await runTrial(ctx, req.i, req.spec);
    } catch (e) {
      // The harness itself failed (an `ip` dump, a file): counted as lost, never hidden.
      out = { i: req.i, outcome: 'lost', problems: [`harness error: ${(e as Error).stack ?? String(e)}`], ms: 0 };
    }
    process.stdout.write(`FUZZ ${JSON.stringify(out)}\n`);
  }
  await stopDhcpClients(stateDir);
}
