// The CLI loads only the module of the verb it runs (src/cli/verbs.ts): each verb's loader must
// register that verb, and anything else on the command line — no verb, an unknown word, every
// built-in property name — must load every verb, so help and "unknown command" list them all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { registersFor, VERBS } from '../../src/cli/verbs.js';

const argv = (...rest: string[]) => ['node', 'ovirt-node-network-handler', ...rest];
const commandsOf = (registers: ((p: Command) => void)[]) => {
  const p = new Command();
  for (const r of registers) r(p);
  return p.commands.map((c) => c.name()).sort();
};

/** Every name a plain object answers to without owning it (but the verbs: Function.prototype.apply). */
const builtInNames = [
  ...new Set([Object.prototype, Function.prototype, Array.prototype, String.prototype].flatMap((o) => Object.getOwnPropertyNames(o))),
  '__proto__',
].filter((n) => !Object.hasOwn(VERBS, n));

describe('CLI verbs', () => {
  it('each verb loads a module that registers that verb', async () => {
    for (const verb of Object.keys(VERBS)) {
      const registers = await registersFor(argv(verb, '--help'));
      assert.equal(registers.length, 1, verb);
      assert.ok(commandsOf(registers).includes(verb), `${verb}: ${commandsOf(registers)}`);
    }
  });

  it('no verb, an unknown one, or a built-in property name loads every verb once', async () => {
    const all = Object.keys(VERBS).sort();
    for (const words of [[], ['bogus'], ['--help'], ...builtInNames.map((n) => [n])]) {
      const registers = await registersFor(argv(...words));
      assert.deepEqual(commandsOf(registers), all, JSON.stringify(words));
    }
  });
});
