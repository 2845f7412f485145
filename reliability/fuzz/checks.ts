// The state checks of the trial process: what an applied config must look like on the host.
import type { RunningConfig } from '../../src/api/config.js';
import type { KernelBackend } from '../../src/agent/kernel-backend.js';
import { kernelConfig, observeHost } from '../../src/observe/index.js';
import { loadRunningConfig } from '../../src/persist/running-config.js';
import { impliedDevices, mentionedDevices } from './config.js';
import { hostView, type Dumps, type LinkView } from './host-view.js';
import { differs, type Obj } from './json.js';

export interface ChildContext {
  backend: KernelBackend;
  stateDir: string;
  baseline: Dumps;
  /**
   * The state each device of the namespace must be in whenever no config mentions it: its
   * baseline, until a trial is caught leaving it otherwise — then that is reported once (by that
   * trial) and becomes the expectation, so one leftover is not counted again by every later trial.
   */
  expectedFree: Record<string, LinkView>;
  /** Devices reported as not given back as found. */
  damaged: Set<string>;
}

/** The problem `what: <where the host differs>`, or none when after is as before. */
export function hostChanged(what: string, before: Dumps, after: Dumps, loose: boolean): string[] {
  return differs(what, hostView(before, loose), hostView(after, loose));
}

/** V8's wording of programming errors (TypeError, RangeError), as opposed to the kernel refusing something. */
export const INTERNAL_ERROR = /Cannot read propert|Cannot set propert|is not (iterable|a function|a constructor|defined)|Maximum call stack|Invalid (array|string) length|Cannot convert undefined|Cannot destructure/;

/** Checks of an applied config: read-back, persistence, names, created and untouched devices. */
export async function appliedProblems(ctx: ChildContext, spec: unknown, desired: RunningConfig, after: Dumps): Promise<string[]> {
  const problems: string[] = [];
  const host = await observeHost();
  const readBack = kernelConfig(host, desired);
  problems.push(...differs('kernel differs from the desired config', desired, readBack));
  const persisted = await loadRunningConfig(ctx.stateDir);
  problems.push(...differs('persisted config differs from the desired config', desired, persisted));
  // Every network and bond the spec names must be in what was applied (nothing silently dropped).
  const s = spec as { networks?: unknown; bondings?: unknown } | null;
  for (const [field, names] of [['networks', desired.networks], ['bondings', desired.bondings]] as const) {
    const given = s && typeof s === 'object' ? (s as Obj)[field] : undefined;
    if (given && typeof given === 'object') {
      for (const k of Object.keys(given)) if (!Object.hasOwn(names, k)) problems.push(`spec.${field} names ${JSON.stringify(k)} but the applied config lacks it`);
    }
  }
  // Devices: those of the baseline are all there, the new ones are exactly those the config implies.
  const base = new Set(ctx.baseline.links.map((l) => l.ifname));
  const now = new Set(after.links.map((l) => l.ifname));
  const implied = impliedDevices(desired);
  for (const n of base) if (!now.has(n)) problems.push(`device ${n} of the namespace is gone`);
  for (const n of now) if (!base.has(n) && !implied.has(n)) problems.push(`device ${n} was created but the config does not imply it`);
  for (const n of implied) if (!now.has(n)) problems.push(`device ${n} is missing`);
  // Devices the config does not mention must be as they were before the handler ran.
  problems.push(...freeDeviceProblems(ctx, hostView(after, true).links, mentionedDevices(desired)));
  return problems;
}

/** Devices of the namespace that no config mentions and that are not as they were found (see expectedFree). */
export function freeDeviceProblems(ctx: ChildContext, now: Record<string, LinkView>, mentioned: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const [n, want] of Object.entries(ctx.expectedFree)) {
    const cur = now[n];
    if (mentioned.has(n) || !cur) continue;
    const d = differs(`device ${n}, in no config, is not as it was found`, want, cur);
    if (!d.length) continue;
    problems.push(...d);
    ctx.expectedFree[n] = cur;
    ctx.damaged.add(n);
  }
  return problems;
}
