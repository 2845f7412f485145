// One trial and one reset, run inside the namespace, judged by the checks.
import { readFile } from 'node:fs/promises';
import type { SetupResult } from '../../src/handler/backend.js';
import { formatValidationErrors, validateForHost } from '../../src/handler/node-backend.js';
import { loadRunningConfig, runningConfigPath } from '../../src/persist/running-config.js';
import { appliedProblems, freeDeviceProblems, INTERNAL_ERROR, viewDiff, type ChildContext } from './checks.js';
import { needsModules, usesDhcp, withoutDhcp } from './config.js';
import { rejectionProblems } from './field-path.js';
import { hostView } from './host-view.js';
import { jsonDiff } from './json.js';
import { RESOLV_CONF } from './namespace.js';
import type { Outcome, TrialResult } from './protocol.js';
import { readDumps } from './snapshot.js';
import { clip } from './text.js';

async function persistedText(stateDir: string): Promise<string> {
  return readFile(runningConfigPath(stateDir), 'utf8').catch(() => '<none>');
}

/**
 * One trial. DHCP: a valid spec that asks for bootproto dhcp or dhcpv6 is applied with DHCP
 * turned off. There is no DHCP server in the namespace, and the observer only shows a network as
 * DHCP once it holds a lease (usesDhcpv4/usesDhcpv6 look for dynamic addresses), so such a
 * network can never read back "exactly"; and a client left running would outlive the trial.
 * DHCP still takes part in rejection trials (dhcp + static address, dhcpv6 + ipv6addr...), which
 * is where the validation rules about it are. ipv6autoconf stays: it is two sysctls, no client.
 */
export async function runTrial(ctx: ChildContext, i: number, given: unknown): Promise<TrialResult> {
  const t0 = Date.now();
  const res = (outcome: Outcome, problems: string[], extra: Partial<TrialResult> = {}): TrialResult => ({
    i, outcome: problems.length ? 'lost' : outcome, problems, ms: Date.now() - t0, ...extra,
  });
  const running = await loadRunningConfig(ctx.stateDir);
  let spec = given;
  let expected = await validateForHost(spec, running, RESOLV_CONF);
  let dhcpOff = false;
  if ('config' in expected && usesDhcp(expected.config)) {
    spec = withoutDhcp(spec);
    expected = await validateForHost(spec, running, RESOLV_CONF);
    dhcpOff = true;
  }
  const before = await readDumps(RESOLV_CONF);
  const persistedBefore = await persistedText(ctx.stateDir);
  let r: SetupResult;
  try {
    r = await ctx.backend.setup(spec, undefined);
  } catch (e) {
    return res('lost', [`setup threw: ${(e as Error).stack ?? String(e)}`]);
  }
  const after = await readDumps(RESOLV_CONF);
  const extra: Partial<TrialResult> = dhcpOff ? { dhcpOff } : {};
  if (r.ok) {
    if (!('config' in expected)) return res('lost', [`applied a spec that validation rejects: ${formatValidationErrors(expected.errors)}`], extra);
    return res('applied', await appliedProblems(ctx, spec, expected.config, after), { ...extra, steps: r.steps });
  }
  const persistedChanged = (await persistedText(ctx.stateDir)) !== persistedBefore;
  if (r.reason === 'InvalidSpec') {
    if ('config' in expected) return res('lost', [`rejected a spec that validation accepts: ${clip(r.message, 300)}`], extra);
    const problems = rejectionProblems(expected.errors, r.message, spec);
    const d = viewDiff(before, after, false);
    if (d.length) problems.push(`host changed after a rejection: ${d.join('; ')}`);
    if (persistedChanged) problems.push('persisted config changed after a rejection');
    return res('rejected', problems, { ...extra, message: clip(r.message, 300) });
  }
  // SetupFailed / RemovalFailed: the host must be back where it was (a bridge the rollback
  // re-created may have a new MAC when it has no ports, hence the loose view).
  const problems: string[] = [];
  if (r.reason !== 'SetupFailed' && r.reason !== 'RemovalFailed') problems.push(`${r.reason} without a connectivity check`);
  // A JavaScript exception that setup() turned into a failure is still a crash of the handler.
  if (INTERNAL_ERROR.test(r.message)) problems.push(`internal error reported as ${r.reason}: ${clip(r.message, 300)}`);
  const d = viewDiff(before, after, true);
  if (d.length) problems.push(`host not rolled back after ${r.reason}: ${d.join('; ')}`);
  if (persistedChanged) problems.push(`persisted config changed after ${r.reason}`);
  const mods = 'config' in expected && needsModules(expected.config);
  return res('failed', problems, { ...extra, reason: r.reason, message: clip(r.message, 300), needsModules: mods });
}

/** setup({}): everything the handler made is gone, the namespace as it was created (resolv.conf aside: VDSM keeps resolvers). */
export async function runReset(ctx: ChildContext, i: number): Promise<TrialResult> {
  const t0 = Date.now();
  const problems: string[] = [];
  let r: SetupResult | undefined;
  try {
    r = await ctx.backend.setup({}, undefined);
  } catch (e) {
    problems.push(`setup({}) threw: ${(e as Error).stack ?? String(e)}`);
  }
  if (r && !r.ok) problems.push(`setup({}) failed: ${r.reason}: ${clip(r.message, 300)}`);
  const after = await readDumps(RESOLV_CONF);
  const base = hostView(ctx.baseline, true);
  const now = hostView(after, true);
  const extra = Object.keys(now.links).filter((n) => !base.links[n]);
  if (extra.length) problems.push(`devices left behind: ${extra.join(', ')}`);
  const gone = Object.keys(base.links).filter((n) => !now.links[n]);
  if (gone.length) problems.push(`devices of the namespace gone: ${gone.join(', ')}`);
  problems.push(...freeDeviceProblems(ctx, now.links, new Set()));
  const d = jsonDiff({ rules: base.rules, sysctl: base.sysctl }, { rules: now.rules, sysctl: now.sysctl });
  if (d.length) problems.push(`namespace differs from its initial state: ${d.join('; ')}`);
  const persisted = await loadRunningConfig(ctx.stateDir);
  if (Object.keys(persisted.networks).length || Object.keys(persisted.bondings).length) problems.push('persisted config is not empty');
  return { i, outcome: problems.length ? 'lost' : 'applied', problems, ms: Date.now() - t0, damaged: [...ctx.damaged].sort() };
}
