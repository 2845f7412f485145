// Reliability experiment "fuzzed specs" (issue 8): random and mutated specs, made with
// fast-check, go through validate → plan → apply exactly as the agent runs them (KernelBackend.setup)
// in a network namespace of the experiment's own. Every trial must end in one of three ways:
//   applied  — the kernel read back (kernelConfig) and the persisted running config both equal the
//              canonical desired config, every network and bond the spec names is in it, no device
//              was created that the config does not imply, and every device the config does not
//              mention is as it was before the handler ever ran;
//   rejected — InvalidSpec, every error naming a field path whose parent exists in the spec, and
//              the host and the persisted config unchanged;
//   failed   — SetupFailed with a kernel's refusal (this machine's kernel has no bonding and no
//              802.1q, so specs with bonds or VLANs land here), the host rolled back and the
//              persisted config unchanged.
// Anything else — an exception out of setup() or one it reports as a failure, a crash or hang of
// the process, a mismatch — is "lost"; so is what the generator knows apart from validation
// (report.ts oracleProblems): a spec built valid that is refused, and a failure other than the
// missing modules, which is a rule validation lacks. State carries over from trial to trial (so plans are diffs
// against what the previous specs left); every RESET_EVERY trials, and at the end, setup({}) must
// give back the namespace as it was created. After a loss the namespace is built afresh, so that
// one leftover is counted once.
//
//   node dist/reliability/fuzz/index.js [--trials 1000 | --quick] [--seed S] [--verbose]   (root)
//   node dist/reliability/fuzz/index.js --specs FILE.jsonl   replays specs, one JSON per line, in order
//
// This file is the experiment's one entry point: what other modules use is exported here, and it
// is the command line, for the parent and (with --child) for the trial process in the namespace.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { reliabilityTable } from '../../kit/report.js';
import { childMain } from './child.js';
import { CHILD_FLAG } from './protocol.js';
import { fuzzSpecs } from './run.js';

export { INTERNAL_ERROR } from './checks.js';
export { impliedDevices, mentionedDevices, usesDhcp, withoutDhcp } from './config.js';
export { fieldPathProblem, parseFieldPath, rejectionProblems } from './field-path.js';
export { generateTrials, trialArbitrary, type Trial, type TrialKind } from './generate.js';
export { hostView, type Dumps, type HostView, type LinkView } from './host-view.js';
export { jsonDiff } from './json.js';
export { mutate, mutatedSpec } from './mutated-spec.js';
export { FOREIGN_BRIDGE, HOST_RESOLV, namespaceBatch, NICS } from './namespace.js';
export type { Outcome, TrialResult } from './protocol.js';
export { randomSpec } from './random-spec.js';
export { failureKind, judged, oracleProblems } from './report.js';
export { fuzzSpecs, RESET_EVERY, type FuzzOptions } from './run.js';
export { buildValidSpec, validSpec } from './valid-spec.js';
export { anyValue } from './vocabulary.js';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === CHILD_FLAG) {
    await childMain(process.argv[3]!, process.argv[4]!);
    process.exit(0);
  }
  const { values } = parseArgs({
    options: { trials: { type: 'string' }, seed: { type: 'string' }, quick: { type: 'boolean' }, specs: { type: 'string' }, verbose: { type: 'boolean' } },
  });
  const specs = values.specs
    ? (await readFile(values.specs, 'utf8')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown)
    : undefined;
  const rows = await fuzzSpecs({
    trials: Number(values.trials ?? (values.quick ? 100 : 1000)),
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
    ...(specs ? { specs } : {}),
    verbose: values.verbose === true,
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(reliabilityTable(rows));
  process.exit(rows.some((r) => r.lost > 0) ? 1 : 0);
}
