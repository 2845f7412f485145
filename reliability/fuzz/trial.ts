// One trial and one reset, run inside the namespace and judged by the checks: the result says
// which of the three ends it came to, or "lost" with every problem found.
import { readFile } from 'node:fs/promises';
import type { SetupResult } from '../../src/report/results.js';
import { validateForHost } from '../../src/cli/apply.js';
import { formatValidationErrors } from '../../src/plan/host-validation.js';
import { loadRunningConfig, runningConfigPath } from '../../src/persist/running-config.js';
import type { ValidationError } from '../../src/plan/validate.js';
import { appliedProblems, freeDeviceProblems, hostChanged, INTERNAL_ERROR, type ChildContext } from './checks.js';
import { needsModules, usesDhcp, withoutDhcp } from './config.js';
import { rejectionProblems } from './field-path.js';
import { hostView, type Dumps } from './host-view.js';
import { differs } from './json.js';
import { RESOLV_CONF } from './namespace.js';
import type { Outcome, TrialResult } from './protocol.js';
import { readDumps } from './snapshot.js';
import { clip, errorText } from './text.js';

/** How much of setup's message a result keeps. */
const MESSAGE_CHARS = 300;

/** A result: the outcome reached, or lost when any problem was found. */
function result(i: number, t0: number, outcome: Outcome, problems: string[], extra: Partial<TrialResult> = {}): TrialResult {
  return { i, outcome: problems.length ? 'lost' : outcome, problems, ms: Date.now() - t0, ...extra };
}

async function persistedText(stateDir: string): Promise<string> {
  return readFile(runningConfigPath(stateDir), 'utf8').catch(() => '<none>');
}

type Expected = Awaited<ReturnType<typeof validateForHost>>;

/**
 * The spec as applied and what validation makes of it. DHCP: a valid spec that asks for bootproto
 * dhcp or dhcpv6 is applied with DHCP turned off. There is no DHCP server in the namespace, and
 * the observer only shows a network as DHCP once it holds a lease (usesDhcpv4/usesDhcpv6 look for
 * dynamic addresses), so such a network can never read back "exactly"; and a client left running
 * would outlive the trial. DHCP still takes part in rejection trials (dhcp + static address,
 * dhcpv6 + ipv6addr...), which is where the validation rules about it are. ipv6autoconf stays: it
 * is two sysctls, no client.
 */
async function expectation(stateDir: string, given: unknown): Promise<{ spec: unknown; expected: Expected; dhcpOff: boolean }> {
  const running = await loadRunningConfig(stateDir);
  const expected = await validateForHost(given, running, RESOLV_CONF);
  if (!('config' in expected && usesDhcp(expected.config))) return { spec: given, expected, dhcpOff: false };
  const spec = withoutDhcp(given);
  return { spec, expected: await validateForHost(spec, running, RESOLV_CONF), dhcpOff: true };
}

/** What the host and the persisted config show after a setup that failed. */
interface Aftermath {
  before: Dumps;
  after: Dumps;
  persistedChanged: boolean;
}

/** InvalidSpec: errors on field paths of the spec, the host and the persisted config unchanged. */
function rejectedProblems(errors: readonly ValidationError[], message: string, spec: unknown, a: Aftermath): string[] {
  const problems = rejectionProblems(errors, message, spec);
  problems.push(...hostChanged('host changed after a rejection', a.before, a.after, false));
  if (a.persistedChanged) problems.push('persisted config changed after a rejection');
  return problems;
}

/**
 * SetupFailed / RemovalFailed: the host must be back where it was (a bridge the rollback
 * re-created may have a new MAC when it has no ports, hence the loose view).
 */
function failedProblems(reason: string, message: string, a: Aftermath): string[] {
  const problems: string[] = [];
  if (reason !== 'SetupFailed' && reason !== 'RemovalFailed') problems.push(`${reason} without a connectivity check`);
  // A JavaScript exception that setup() turned into a failure is still a crash of the handler.
  if (INTERNAL_ERROR.test(message)) problems.push(`internal error reported as ${reason}: ${clip(message, MESSAGE_CHARS)}`);
  problems.push(...hostChanged(`host not rolled back after ${reason}`, a.before, a.after, true));
  if (a.persistedChanged) problems.push(`persisted config changed after ${reason}`);
  return problems;
}

/** One trial (see expectation for DHCP). */
export async function runTrial(ctx: ChildContext, i: number, given: unknown): Promise<TrialResult> {
  const t0 = Date.now();
  const { spec, expected, dhcpOff } = await expectation(ctx.stateDir, given);
  const before = await readDumps(RESOLV_CONF);
  const persistedBefore = await persistedText(ctx.stateDir);
  let r: SetupResult;
  try {
    r = await ctx.backend.setup(spec, undefined);
  } catch (e) {
    return result(i, t0, 'lost', [`setup threw: ${errorText(e)}`]);
  }
  const after = await readDumps(RESOLV_CONF);
  const extra: Partial<TrialResult> = dhcpOff ? { dhcpOff } : {};
  if (r.ok) {
    if (!('config' in expected)) return result(i, t0, 'lost', [`applied a spec that validation rejects: ${formatValidationErrors(expected.errors)}`], extra);
    return result(i, t0, 'applied', await appliedProblems(ctx, spec, expected.config, after), { ...extra, steps: r.steps });
  }
  const aftermath: Aftermath = { before, after, persistedChanged: (await persistedText(ctx.stateDir)) !== persistedBefore };
  const message = clip(r.message, MESSAGE_CHARS);
  if (r.reason === 'InvalidSpec') {
    if ('config' in expected) return result(i, t0, 'lost', [`rejected a spec that validation accepts: ${message}`], extra);
    return result(i, t0, 'rejected', rejectedProblems(expected.errors, r.message, spec, aftermath), { ...extra, message });
  }
  const mods = 'config' in expected && needsModules(expected.config);
  return result(i, t0, 'failed', failedProblems(r.reason, r.message, aftermath), { ...extra, reason: r.reason, message, needsModules: mods });
}

/** setup({}): everything the handler made is gone, the namespace as it was created (resolv.conf aside: VDSM keeps resolvers). */
export async function runReset(ctx: ChildContext, i: number): Promise<TrialResult> {
  const t0 = Date.now();
  const problems: string[] = [];
  let r: SetupResult | undefined;
  try {
    r = await ctx.backend.setup({}, undefined);
  } catch (e) {
    problems.push(`setup({}) threw: ${errorText(e)}`);
  }
  if (r && !r.ok) problems.push(`setup({}) failed: ${r.reason}: ${clip(r.message, MESSAGE_CHARS)}`);
  const after = await readDumps(RESOLV_CONF);
  const base = hostView(ctx.baseline, true);
  const now = hostView(after, true);
  const extra = Object.keys(now.links).filter((n) => !base.links[n]);
  if (extra.length) problems.push(`devices left behind: ${extra.join(', ')}`);
  const gone = Object.keys(base.links).filter((n) => !now.links[n]);
  if (gone.length) problems.push(`devices of the namespace gone: ${gone.join(', ')}`);
  problems.push(...freeDeviceProblems(ctx, now.links, new Set()));
  problems.push(...differs('namespace differs from its initial state', { rules: base.rules, sysctl: base.sysctl }, { rules: now.rules, sysctl: now.sysctl }));
  const persisted = await loadRunningConfig(ctx.stateDir);
  if (Object.keys(persisted.networks).length || Object.keys(persisted.bondings).length) problems.push('persisted config is not empty');
  return result(i, t0, 'applied', problems, { damaged: [...ctx.damaged].sort() });
}
