// `ovirt-node-network-handler apply -f FILE`: configure this host from a spec without a cluster —
// the same validation, plan, journalled transaction and persistence as the agent. FILE is a whole
// OvirtNodeNetwork or a bare spec, YAML or JSON ("-" = stdin). --dry-run prints the plan and the
// kernel operations instead. After the kernel work the configuration is read back from the
// kernel and compared with the spec (--no-verify skips that); a difference rolls back.
// `ovirt-node-network-handler restore`: what the agent does at start — finish or undo an
// interrupted apply, then bring the kernel to the persisted config (for a boot-time unit).
import { isDeepStrictEqual } from 'node:util';
import { Option, type Command } from 'commander';
import { readSpecDocument } from './input.js';
import type { NetworkConfig, RunningConfig } from '../api/config.js';
import type { Progress } from '../apply/executor.js';
import { describeOp } from '../apply/ops.js';
import { DEFAULT_RESOLV_CONF, DEFAULT_STATE_DIR } from '../api/constants.js';
import { Locks } from '../apply/lock.js';
import { Transactions } from '../apply/transaction.js';
import { hasQos, kernelConfig, observeHost } from '../observe/index.js';
import { loadRunningConfig } from '../persist/running-config.js';
import { runningConfigStore } from '../persist/running-config-store.js';
import {
  checkSpecOnHost,
  formatValidationErrors,
  specHasQos,
  specNics,
  type HostCheck,
} from '../plan/host-validation.js';
import { extractSpec } from '../plan/validate.js';
import { readBackHost } from './read-back.js';

/**
 * A spec checked against this host read now, apart from any transaction (the dry run and the
 * checks; the agent's setup validates against the read its transaction plans from).
 */
export async function validateForHost(spec: unknown, running: RunningConfig, resolvConf?: string): Promise<HostCheck> {
  const nics = [...Object.keys(running.nics ?? {}), ...specNics(spec)];
  const qos = specHasQos(spec) || hasQos(running);
  return checkSpecOnHost(spec, await observeHost(resolvConf ? { resolvConf } : {}, nics, qos), running);
}

interface ApplyOptions {
  file: string;
  stateDir: string;
  dryRun?: boolean;
  verify: boolean;
  resolvConf: string;
  dhcpTimeout: string;
  quiet?: boolean;
  output: 'text' | 'json';
  testCrashAfterOperation?: number;
}

/**
 * `--output json`: one document on stdout for scripts and tests, instead of the text lines. The
 * kernelConfig is read back after the transaction as `show` reads it (one process where a
 * script would otherwise start a second for `show --json`).
 */
export interface ApplyJson {
  changed: boolean;
  steps: number;
  operations: number;
  milliseconds: number;
  summary: string;
  leases: Record<string, string | null>;
  kernelConfig: RunningConfig;
}

/**
 * The crash tests' hook (test/integration/apply-crash.test.ts): SIGKILL the process once that
 * many kernel operations of the apply ran; one more than the apply has kills it right after the
 * commit point. Only `apply` takes it, and only as a hidden flag of its own command line: no
 * environment variable and no other verb (not the agent's `run`) can turn it on, so a variable
 * leaking into a pod or a unit never kills an agent mid-apply.
 */
export function crashPoint(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new Error(`--test-crash-after-operation ${JSON.stringify(value)}: expected a non-negative integer`);
  return n;
}

/** What the process gives an apply besides its command line (the entry point's, made once). */
export interface ApplyContext {
  locks: Locks;
  crashAfter?: number;
}

/**
 * Differences between what the kernel reads back and the config (pure). A DHCP network still
 * waiting for its lease reads back without address and default route; that is not a failure
 * (its client keeps trying), so those fields are not compared while it has no lease.
 */
export function readBackDifferences(kernel: RunningConfig, want: RunningConfig): string[] {
  const out: string[] = [];
  for (const [name, w] of Object.entries(want.networks)) {
    const k = kernel.networks[name];
    if (!k) {
      out.push(`network ${name} is missing`);
      continue;
    }
    const waiting = w.bootproto === 'dhcp' && k.bootproto !== 'dhcp';
    for (const key of new Set([...Object.keys(w), ...Object.keys(k)]) as Set<keyof NetworkConfig>) {
      if (waiting && (key === 'bootproto' || key === 'defaultRoute')) continue;
      if (w.dhcpv6 && !k.dhcpv6 && key === 'dhcpv6') continue;
      if (!isDeepStrictEqual(w[key], k[key]))
        out.push(`network ${name}: ${key} is ${JSON.stringify(k[key])}, expected ${JSON.stringify(w[key])}`);
    }
  }
  for (const [name, w] of Object.entries(want.bondings)) {
    const k = kernel.bondings[name];
    if (!k) out.push(`bond ${name} is missing`);
    else if (!isDeepStrictEqual(k, w))
      out.push(`bond ${name}: kernel has ${JSON.stringify(k)}, expected ${JSON.stringify(w)}`);
  }
  for (const [name, w] of Object.entries(want.nics ?? {})) {
    const k = kernel.nics?.[name];
    if (!isDeepStrictEqual(k, w))
      out.push(`nic ${name}: kernel has ${JSON.stringify(k ?? {})}, expected ${JSON.stringify(w)}`);
  }
  return out;
}

function progressPrinter(quiet: boolean | undefined): ((p: Progress) => void) | undefined {
  if (quiet) return undefined;
  let last = 0;
  return (p) => {
    // Long plans only, at most a few lines a second.
    if (p.total < 20) return;
    const now = Date.now();
    if (p.done < p.total && now - last < 250) return;
    last = now;
    process.stderr.write(`[${p.done}/${p.total}] ${p.step}\n`);
  };
}

/** The --output json document of a transaction that succeeded. */
async function applyJson(
  r: { changed: boolean; steps: number; ops: number; summary: string },
  ms: number,
  tx: Transactions,
  config: RunningConfig,
  stateDir: string,
): Promise<ApplyJson> {
  const leases = r.changed ? await tx.leases(config) : {};
  return {
    changed: r.changed,
    steps: r.steps,
    operations: r.ops,
    milliseconds: ms,
    summary: r.summary,
    leases: Object.fromEntries(Object.entries(leases).map(([k, a]) => [k, a ?? null])),
    kernelConfig: await readBackHost(stateDir, config),
  };
}

export async function runApply(o: ApplyOptions, ctx: ApplyContext): Promise<number> {
  const t0 = Date.now();
  if (o.dryRun && o.output === 'json') {
    process.stderr.write('--output json: not with --dry-run (`plan` prints the steps)\n');
    return 1;
  }
  const input = await readSpecDocument(o.file);
  if ('errors' in input) {
    process.stderr.write(`invalid input: ${formatValidationErrors(input.errors, Infinity).split('; ').join('\n  ')}\n`);
    return 1;
  }
  const { spec, errors: docErrors } = extractSpec(input.doc);
  const running = await loadRunningConfig(o.stateDir);
  const v = await validateForHost(spec, running, o.resolvConf);
  const errors = [...docErrors, ...('errors' in v ? v.errors : [])];
  if ('errors' in v || errors.length) {
    process.stderr.write(`invalid spec: ${formatValidationErrors(errors, Infinity).split('; ').join('\n  ')}\n`);
    return 1;
  }
  const tx = new Transactions({
    stateDir: o.stateDir,
    store: runningConfigStore(o.stateDir),
    locks: ctx.locks,
    crashAfter: ctx.crashAfter,
    resolvConf: o.resolvConf,
    dhcpTimeoutMs: Number(o.dhcpTimeout) * 1000,
    log: (m) => (o.quiet ? undefined : process.stderr.write(`${m}\n`)),
    onProgress: progressPrinter(o.quiet),
  });
  if (o.dryRun) {
    const { compiled } = await tx.plan(v.config);
    if (!compiled.ops.length) {
      process.stdout.write('nothing to do: the host already has this configuration\n');
      return 0;
    }
    process.stdout.write(`${compiled.units.length} step(s), ${compiled.ops.length} kernel operation(s):\n`);
    compiled.units.forEach((u, i) => {
      const ops = compiled.ops.filter((p) => p.step === i);
      if (!ops.length) return;
      process.stdout.write(`${String(i + 1).padStart(4)}. ${u}\n`);
      for (const p of ops) process.stdout.write(`        ${describeOp(p.op)}\n`);
    });
    return 0;
  }
  const verify = o.verify
    ? async () => {
        // The resolv.conf the transaction wrote: its resolvers are part of what is read back.
        const diff = readBackDifferences(
          kernelConfig(
            await observeHost({ resolvConf: o.resolvConf }, Object.keys(v.config.nics ?? {}), hasQos(v.config)),
            v.config,
          ),
          v.config,
        );
        return diff.length ? `the kernel does not read back as configured: ${diff.join('; ')}` : undefined;
      }
    : undefined;
  const r = await tx.apply({ to: v.config, ...(verify ? { verify } : {}) });
  const ms = Date.now() - t0;
  if (!r.ok) {
    process.stderr.write(`apply failed (${r.reason}${r.rolledBack ? ', rolled back' : ''}): ${r.message}\n`);
    return 1;
  }
  if (o.output === 'json') {
    process.stdout.write(`${JSON.stringify(await applyJson(r, ms, tx, v.config, o.stateDir), null, 2)}\n`);
    return 0;
  }
  if (!r.changed) {
    process.stdout.write(`nothing to do: the host already has this configuration (${ms} ms)\n`);
    return 0;
  }
  process.stdout.write(`applied ${r.steps} step(s), ${r.ops} kernel operation(s) in ${ms} ms: ${r.summary}\n`);
  for (const [net, addr] of Object.entries(await tx.leases(v.config)))
    process.stdout.write(`  ${net}: ${addr ?? 'no lease yet'}\n`);
  return 0;
}

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description(
      'configure this host from an OvirtNodeNetwork (or a bare spec): validate, plan, apply as one transaction, ' +
        'persist',
    )
    .requiredOption('-f, --file <file>', 'the object as given to kubectl, YAML or JSON ("-" = stdin)')
    .option('--state-dir <dir>', 'where the running config, journal and DHCP client state live', DEFAULT_STATE_DIR)
    .option('--dry-run', 'print the plan and its kernel operations; change nothing')
    .option('--no-verify', 'do not read the kernel back and compare with the spec after applying')
    .option('--resolv-conf <file>', 'the resolv.conf nameservers are written to', DEFAULT_RESOLV_CONF)
    .option('--dhcp-timeout <seconds>', 'how long to wait for DHCP leases', '30')
    .option('-q, --quiet', 'no progress output')
    .addOption(
      new Option('-o, --output <format>', 'text lines, or one JSON document with the kernelConfig read back')
        .choices(['text', 'json'])
        .default('text'),
    )
    .addOption(new Option('--test-crash-after-operation <n>').argParser(crashPoint).hideHelp())
    .action(async (o: ApplyOptions) => {
      const crashAfter = o.testCrashAfterOperation;
      process.exitCode = await runApply(o, { locks: new Locks(), ...(crashAfter === undefined ? {} : { crashAfter }) });
    });
  program
    .command('restore')
    .description(
      'what the agent does at start: finish or undo an interrupted apply, then restore the persisted configuration ' +
        'if the kernel lacks it',
    )
    .option('--state-dir <dir>', 'where the running config, journal and DHCP client state live', DEFAULT_STATE_DIR)
    .option('--resolv-conf <file>', 'the resolv.conf nameservers are written to', DEFAULT_RESOLV_CONF)
    .option('--dhcp-timeout <seconds>', 'how long DHCP networks wait for a lease', '30')
    .action(async (o: { stateDir: string; resolvConf: string; dhcpTimeout: string }) => {
      const tx = new Transactions({
        stateDir: o.stateDir,
        store: runningConfigStore(o.stateDir),
        locks: new Locks(),
        resolvConf: o.resolvConf,
        dhcpTimeoutMs: Number(o.dhcpTimeout) * 1000,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      const r = await tx.restoreAtBoot();
      process.stdout.write(`${r ?? 'the kernel already has the persisted configuration'}\n`);
    });
}
