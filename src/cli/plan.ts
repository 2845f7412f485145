// `ovirt-node-network-handler plan -f FILE`: what the handler would do on this host for a spec,
// read-only. FILE is an OvirtNodeNetwork as given to kubectl (or a bare spec), YAML or JSON;
// "-" reads stdin. Prints the steps against the persisted running config, or every validation
// error with its field path (exit code 1).
import { Option, type Command } from 'commander';
import { readSpecDocument } from './input.js';
import { DEFAULT_RESOLV_CONF, DEFAULT_STATE_DIR, SYS_CLASS_NET } from '../api/constants.js';
import { loadRunningConfig, runningConfigPath } from '../persist/running-config.js';
import { readHostFacts } from '../plan/host-facts.js';
import { describeStep, plan } from '../plan/plan.js';
import { checkSpec, extractSpec, type ValidationError } from '../plan/validate.js';

interface PlanOptions {
  file: string;
  stateDir: string;
  json?: boolean;
  sysClassNet: string;
  resolvConf: string;
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
  const [host, running] = await Promise.all([
    readHostFacts({ sysClassNet: o.sysClassNet, resolvConf: o.resolvConf }),
    loadRunningConfig(o.stateDir),
  ]);
  const checked = checkSpec(spec, { host, running });
  const errors = [...docErrors, ...(checked.ok ? [] : checked.errors)];
  if (!checked.ok || errors.length > 0) {
    printErrors(errors, o.json);
    return 1;
  }
  const steps = plan(checked.config, running);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ steps, desired: checked.config }, null, 2)}\n`);
  } else if (steps.length === 0) {
    process.stdout.write(`nothing to do: the running config (${runningConfigPath(o.stateDir)}) already matches the spec\n`);
  } else {
    process.stdout.write(`${steps.length} step${steps.length === 1 ? '' : 's'} against ${runningConfigPath(o.stateDir)}:\n`);
    steps.forEach((s, i) => process.stdout.write(`${String(i + 1).padStart(4)}. ${describeStep(s)}\n`));
  }
  return 0;
}

export function registerPlan(program: Command): void {
  program.command('plan')
    .description('validate an OvirtNodeNetwork (or a bare spec) and print the steps it would take on this host (read-only)')
    .requiredOption('-f, --file <file>', 'the object as given to kubectl, YAML or JSON ("-" = stdin)')
    .option('--state-dir <dir>', 'where the running config is persisted', DEFAULT_STATE_DIR)
    .option('--json', 'machine-readable output: {steps, desired} or {errors}')
    .addOption(new Option('--sys-class-net <dir>', 'sysfs network directory to read the NICs from').default(SYS_CLASS_NET))
    .addOption(new Option('--resolv-conf <file>', 'resolv.conf to read the host resolvers from').default(DEFAULT_RESOLV_CONF))
    .action(async (o: PlanOptions) => {
      process.exitCode = await runPlan(o);
    });
}
