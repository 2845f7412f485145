// `ovirt-node-network-handler plan -f FILE`: what the handler would do on this host for a spec,
// read-only. FILE is an OvirtNodeNetwork as given to kubectl (or a bare spec), YAML or JSON;
// "-" reads stdin. Prints the steps against the persisted running config, or every validation
// error with its field path (exit code 1). --host-dumps plans against a host captured earlier
// (the reader's own dumps) instead of this one.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { readSpecDocument } from './input.js';
import { DEFAULT_RESOLV_CONF, DEFAULT_STATE_DIR } from '../api/constants.js';
import { assembleHostState, DUMP_FILES, observeHost, type Dumps } from '../observe/index.js';
import type { HostState } from '../model/host-state.js';
import { loadRunningConfig, runningConfigPath } from '../persist/running-config.js';
import { validationFacts } from '../model/host-facts.js';
import { describeStep, plan } from '../plan/plan.js';
import { checkSpec, extractSpec, type ValidationError } from '../plan/validate.js';

interface PlanOptions {
  file: string;
  stateDir: string;
  json?: boolean;
  hostDumps?: string;
  resolvConf: string;
}

/** The host: this one, or the dumps in a directory (resolv.conf as the dumps show it at `resolvConf`). */
async function readHost(o: Pick<PlanOptions, 'hostDumps' | 'resolvConf'>): Promise<HostState> {
  if (o.hostDumps === undefined) return observeHost({ resolvConf: o.resolvConf }, [], true);
  const dir = o.hostDumps;
  const f = (k: keyof Dumps) => readFile(join(dir, DUMP_FILES[k]), 'utf8');
  const [links, routes4, routes6, sys] = await Promise.all([f('links'), f('routes4'), f('routes6'), f('sys')]);
  return assembleHostState({ links, routes4, routes6, sys }, 0, o.resolvConf);
}

function printErrors(errors: readonly ValidationError[], json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ errors }, null, 2)}\n`);
    return;
  }
  process.stderr.write(`invalid spec: ${errors.length} error${errors.length === 1 ? '' : 's'}\n`);
  for (const e of errors) process.stderr.write(`  ${e.path}: ${e.message}\n`);
}

export async function runPlan(o: PlanOptions): Promise<number> {
  const input = await readSpecDocument(o.file);
  if ('errors' in input) {
    printErrors(input.errors, o.json);
    return 1;
  }
  const { spec, errors: docErrors } = extractSpec(input.doc);
  const [host, running] = await Promise.all([readHost(o), loadRunningConfig(o.stateDir)]);
  const checked = checkSpec(spec, { host: validationFacts(host), running });
  const errors = [...docErrors, ...(checked.ok ? [] : checked.errors)];
  if (!checked.ok || errors.length > 0) {
    printErrors(errors, o.json);
    return 1;
  }
  const steps = plan(checked.config, running);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ steps, desired: checked.config }, null, 2)}\n`);
  } else if (steps.length === 0) {
    process.stdout.write(
      `nothing to do: the running config (${runningConfigPath(o.stateDir)}) already matches the spec\n`,
    );
  } else {
    process.stdout.write(
      `${steps.length} step${steps.length === 1 ? '' : 's'} against ${runningConfigPath(o.stateDir)}:\n`,
    );
    steps.forEach((s, i) => process.stdout.write(`${String(i + 1).padStart(4)}. ${describeStep(s)}\n`));
  }
  return 0;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      'validate an OvirtNodeNetwork (or a bare spec) and print the steps it would take on this host (read-only)',
    )
    .requiredOption('-f, --file <file>', 'the object as given to kubectl, YAML or JSON ("-" = stdin)')
    .option('--state-dir <dir>', 'where the running config is persisted', DEFAULT_STATE_DIR)
    .option('--json', 'machine-readable output: {steps, desired} or {errors}')
    .addOption(
      new Option(
        '--host-dumps <dir>',
        'plan against a host captured earlier: links.json, routes4.json, routes6.json, sys.txt as ' +
          'test/fixtures/observe/capture.ts writes them',
      ),
    )
    .addOption(
      new Option('--resolv-conf <file>', 'resolv.conf to read the host resolvers from').default(DEFAULT_RESOLV_CONF),
    )
    .action(async (o: PlanOptions) => {
      process.exitCode = await runPlan(o);
    });
}
