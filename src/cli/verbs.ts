// The CLI's verbs and the module each lives in (src/cli/main.ts registers what a command line needs).
import type { Command } from 'commander';

export type Register = (program: Command) => void;

/**
 * Each verb's module, loaded only when that verb runs: the agent's and the controller's code is
 * most of what an `apply` or `show` would otherwise load at every start (about a third of a
 * start's CPU here, several seconds a start in the TCG VM). No verb, or one this table does not
 * know, loads them all, so help and commander's own errors list every verb.
 */
export const VERBS: Readonly<Record<string, () => Promise<Register>>> = Object.freeze({
  apply: async () => (await import('./apply.js')).registerApply,
  restore: async () => (await import('./apply.js')).registerApply,
  controller: async () => (await import('./controller.js')).registerController,
  run: async () => (await import('./run.js')).registerRun,
  lab: async () => (await import('./lab.js')).registerLab,
  plan: async () => (await import('./plan-command.js')).registerPlan,
  show: async () => (await import('./show.js')).registerShow,
});

/** The register functions a command line needs (one verb's, or every verb's once each). */
export async function registersFor(argv: readonly string[]): Promise<Register[]> {
  const verb = argv[2];
  const loaders = verb !== undefined && Object.hasOwn(VERBS, verb) ? [VERBS[verb]!] : Object.values(VERBS);
  return [...new Set(await Promise.all(loaders.map((l) => l())))];
}
