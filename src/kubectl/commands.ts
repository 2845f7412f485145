// The verbs of `kubectl onn` over an injected PluginIo (main.ts wires the real one): arguments
// and flags, one GET of the node's object per read, the pure renderers, exit codes. kubectl runs
// a plugin with everything after its name, so the connection flags are the plugin's own:
// `kubectl onn tree NODE --context prod` (kubectl refuses its global flags before a plugin name).
import { Command, CommanderError, Option } from 'commander';
import type { ValidationError } from '../plan/validate.js';
import type { ConnectFlags, NodeSource } from './node-source.js';
import { diffAgainstStatus, renderDiff } from './diff.js';
import { planAgainstStatus, renderPlan } from './plan-against-status.js';
import { nodeView, onnView, policyView, previewPolicy } from '../fleet/index.js';
import { nodePlans, renderPolicyPlan } from './policy-plan.js';
import { readReported, ReportedError, requireParts, type Reported } from './reported.js';
import { isNewSample, renderStats, statsView, type Sample } from './stats.js';
import { renderStatusTree } from './tree.js';

export interface PluginIo {
  out(text: string): void;
  err(text: string): void;
  connect(flags: ConnectFlags): Promise<NodeSource>;
  /** `-f FILE` ("-": stdin) as src/cli/input.ts reads it: one document, or why there is none. */
  readSpec(file: string): Promise<{ doc: unknown } | { errors: ValidationError[] }>;
  /** Epoch seconds. */
  now(): number;
  /** Resolves after ms, or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Ends `stats --watch` when aborted (the process itself ends it by SIGINT). */
  signal: AbortSignal;
}

export const PLUGIN_NAME = 'kubectl onn';

/** The node's object, parsed; an error naming the node when there is none. */
async function read(src: NodeSource, node: string): Promise<Reported> {
  const obj = await src.get(node);
  if (!obj)
    throw new Error(`no OvirtNodeNetwork named ${node} (kubectl get onn lists them; each is named after its node)`);
  return readReported(obj);
}

function positiveSeconds(flag: string, v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${flag}: must be a positive number of seconds, got "${v}"`);
  return n;
}

/** What each verb is given: the io, the node source (connected on first use), and how to fail without throwing. */
interface VerbContext {
  io: PluginIo;
  /** Epoch seconds (io.now). */
  now(): number;
  source(): Promise<NodeSource>;
  /** The verb ends with exit code 1 (what it printed already says why). */
  fail(): void;
}

/** Runs one invocation (argv: what follows the plugin's name); resolves with the exit code. */
export async function runPlugin(argv: readonly string[], io: PluginIo): Promise<number> {
  let code = 0;
  const program = new Command()
    .name(PLUGIN_NAME)
    .description("oVirt node networks as each node's agent reports them in its OvirtNodeNetwork (no shell on the node)")
    .option(
      '--kubeconfig <path>',
      'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the in-cluster service account)',
    )
    .option('--context <name>', 'kubeconfig context (default: its current-context)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();
  // Connected on first use (a bad -f is refused before), closed when the verb ends.
  let connected: NodeSource | undefined;
  const ctx: VerbContext = {
    io,
    now: () => io.now(),
    source: async () => (connected ??= await io.connect(program.opts<ConnectFlags>())),
    fail: () => {
      code = 1;
    },
  };
  addTree(program, ctx);
  addPlan(program, ctx);
  addDiff(program, ctx);
  addStats(program, ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const lines = e instanceof ReportedError ? e.message.split('\n') : [e instanceof Error ? e.message : String(e)];
    for (const l of lines) io.err(`error: ${l}\n`);
    return 1;
  } finally {
    connected?.close();
  }
  return code;
}

const NODE_ARGUMENT = "the node (its OvirtNodeNetwork's name)";

function addTree(program: Command, { io, source }: VerbContext): void {
  program
    .command('tree')
    .description(
      "draw the node's device stack (NICs, bonds, VLANs, bridges, networks) with state, MTU, addresses " +
        "and each NIC's switch port (LLDP)",
    )
    .argument('<node>', NODE_ARGUMENT)
    .option('--interface <name>', 'only the stacks that contain this device')
    .action(async (node: string, o: { interface?: string }) => {
      const r = requireParts(await read(await source(), node), 'capabilities');
      if (r.statistics === undefined) io.err(`note: ${node} reports no statistics yet: link states are unknown\n`);
      const tree = renderStatusTree(r.capabilities, r.statistics, {
        ...(o.interface !== undefined ? { interface: o.interface } : {}),
        ...(r.lldp !== undefined ? { lldp: r.lldp } : {}),
      });
      if (o.interface !== undefined && tree === '') throw new Error(`${node} reports no device named ${o.interface}`);
      io.out(tree);
    });
}

interface PlanFlags {
  filename?: string;
  policy?: string;
  output: 'text' | 'json';
}

function addPlan(program: Command, ctx: VerbContext): void {
  const { io, source, fail } = ctx;
  program
    .command('plan')
    .description(
      "validate a spec and print the steps the node's agent would take, against what the node reports; or, with " +
        "--policy, what a policy's rollout would do on every node it selects (nothing is applied)",
    )
    .argument('[node]', `${NODE_ARGUMENT}; with --policy, only this node`)
    .option(
      '-f, --filename <file>',
      'an OvirtNodeNetwork as given to kubectl, or a bare spec; YAML or JSON ("-": stdin)',
    )
    .option('--policy <name>', 'an OvirtNetworkPolicy: its rollout node by node, as the controller decides it')
    .addOption(
      new Option('-o, --output <format>', 'text, or json: {steps, desired, notes} or {errors, notes}')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (node: string | undefined, o: PlanFlags) => {
      if (o.policy !== undefined) {
        if (o.filename !== undefined) throw new Error('give -f FILE (a spec for one node) or --policy NAME, not both');
        await planPolicy(ctx, o.policy, node, o.output === 'json');
        return;
      }
      if (o.filename === undefined || node === undefined)
        throw new Error('plan needs a node and -f FILE (a spec for it), or --policy NAME');
      // The input first: a bad file is refused before any API call.
      const input = await io.readSpec(o.filename);
      if ('errors' in input) {
        for (const e of input.errors) io.err(`error: ${e.path}: ${e.message}\n`);
        fail();
        return;
      }
      const r = requireParts(await read(await source(), node), 'capabilities', 'kernelConfig');
      const p = planAgainstStatus(input.doc, r);
      const shown = renderPlan(node, p, o.output === 'json');
      io.out(shown.stdout);
      io.err(shown.stderr);
      if (!p.ok) fail();
    });
}

/** plan --policy: the controller's decision over the objects as listed now, then each node's agent plan. */
async function planPolicy({ io, source, now }: VerbContext, policy: string, node: string | undefined, json: boolean) {
  const objs = await (await source()).fleet();
  const world = {
    policies: objs.policies.map(policyView),
    nodes: objs.nodes.map(nodeView),
    onns: objs.onns.map(onnView),
  };
  const preview = previewPolicy(world, policy, new Date(now() * 1000));
  if (!preview) throw new Error(`no OvirtNetworkPolicy named ${policy} (kubectl get onp lists them)`);
  const plans = nodePlans(preview, new Map(objs.onns.map((o) => [o.metadata.name, o])), node);
  if (node !== undefined && plans.length === 0) throw new Error(`policy ${policy} is not involved with node ${node}`);
  io.out(renderPolicyPlan(preview, plans, json));
}

function addDiff(program: Command, { io, source }: VerbContext): void {
  program
    .command('diff')
    .description(
      "the object's spec against what the node reports: the generation acted on, what it has not reached yet, drift",
    )
    .argument('<node>', NODE_ARGUMENT)
    .action(async (node: string) => {
      const r = requireParts(await read(await source(), node), 'capabilities', 'kernelConfig');
      io.out(renderDiff(diffAgainstStatus(r)));
    });
}

function addStats(program: Command, { io, source }: VerbContext): void {
  program
    .command('stats')
    .description("per-interface traffic rates, errors and drops from the node's reported statistics")
    .argument('<node>', NODE_ARGUMENT)
    .option('-w, --watch', 'print a new table each time the agent writes a new sample (Ctrl-C ends)')
    .option('--interval <seconds>', 'how often --watch reads the object', '5')
    .action(async (node: string, o: { watch?: boolean; interval: string }) => {
      const every = positiveSeconds('--interval', o.interval);
      const src = await source();
      let prev: Sample | undefined;
      for (;;) {
        const r = requireParts(await read(src, node), 'statistics');
        if (isNewSample(prev, r)) {
          io.out(`${prev ? '\n' : ''}${renderStats(statsView(node, r, prev, io.now()))}`);
          prev = r;
        }
        if (!o.watch) return;
        await io.sleep(every * 1000, io.signal);
        if (io.signal.aborted) return;
      }
    });
}
