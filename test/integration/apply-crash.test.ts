// Crash test: the `apply` CLI is SIGKILLed after each operation index of a multi-step plan (its
// hidden `--test-crash-after-operation N` hook), in both directions between two configs; after a restart
// (`restore`, what the agent runs at start) the node must equal the old or the new config —
// never a mix — and the persisted running config must be what the kernel reads back.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NetworkSpec } from '../../src/api/spec.js';
import { NetnsRig } from './apply-support.js';

// One rig per direction, each direction judged against the old and new states read on its own
// rig. The directions run one after the other: every trial is a few CLI starts, CPU-bound, and
// two at once on this kind of machine (2 cores, the lab beside them) took longer than in turn.
const rigs = { 'A->B': new NetnsRig(), 'B->A': new NetnsRig() } as const;
before(async () => Promise.all(Object.values(rigs).map((r) => r.up())));
after(async () => Promise.all(Object.values(rigs).map((r) => r.down())));

const A = {
  networks: {
    net1: { nic: 'e1', mtu: 1400, ipaddr: '192.0.2.10', prefix: 24, gateway: '192.0.2.1', ipv6addr: '2001:db8:1::10/64' },
    net2: { ipaddr: '198.51.100.10', prefix: 24, gateway: '198.51.100.1', defaultRoute: true, bridgeOpts: 'forward_delay=300' },
    net3: { nic: 'e2', bridged: false, ipaddr: '203.0.113.10', prefix: 28 },
  } satisfies Record<string, NetworkSpec>,
};

const B = {
  networks: {
    // (No STP: with it a bridge's carrier waits 30 s for the forward-delay timers, which would
    // make "the new config" a moving target for the comparison.)
    net1: { nic: 'e1', mtu: 9000, ipaddr: '192.0.2.11', prefix: 24, gateway: '192.0.2.1', bridgeOpts: 'forward_delay=1000' },
    net3: { nic: 'e2', bridged: false, ipaddr: '203.0.113.10', prefix: 28, gateway: '203.0.113.1', defaultRoute: true, ipv6autoconf: true, nameservers: ['203.0.113.53'] },
    net4: { ipaddr: '10.4.0.1', prefix: 24, mtu: 1280 },
    net5: { ipaddr: '10.5.0.1', prefix: 24, ipv6addr: 'fd00:5::1/64' },
    net6: { ipaddr: '10.6.0.1', prefix: 24, gateway: '10.6.0.254' },
    net7: { bridgeOpts: 'multicast_snooping=0' },
  } satisfies Record<string, NetworkSpec>,
};

type Direction = keyof typeof rigs;
type States = Record<'A' | 'B', { observed: unknown; running: unknown }>;

/** Both configs as this rig's kernel holds them once applied, and the operations of the direction's apply. */
async function prepare(rig: NetnsRig, direction: Direction): Promise<{ states: States; ops: number }> {
  const states = {} as States;
  for (const [name, spec] of [['B', B], ['A', A]] as const) {
    const r = await rig.apply(spec);
    assert.equal(r.code, 0, r.stderr);
    states[name] = { observed: await rig.settled(true), running: await rig.runningConfig() };
  }
  if (direction === 'B->A') assert.equal((await rig.apply(B)).code, 0);
  const dry = await rig.apply(direction === 'A->B' ? B : A, ['--dry-run']);
  const ops = Number(/(\d+) kernel operation/.exec(dry.stdout)?.[1]);
  assert.ok(ops > 0, dry.stdout + dry.stderr);
  return { states, ops };
}

async function trial(rig: NetnsRig, states: States, direction: Direction, k: number): Promise<'A' | 'B'> {
  const [fromName, toSpec] = direction === 'A->B' ? (['A', B] as const) : (['B', A] as const);
  const reset = await rig.apply(fromName === 'A' ? A : B);
  assert.equal(reset.code, 0, `reset to ${fromName}: ${reset.stderr}`);
  const r = await rig.apply(toSpec, ['--test-crash-after-operation', String(k)]);
  // run() reports a signal as 128; the process never printed a result.
  assert.equal(r.code, 128, `expected the apply to be killed at ${k}: ${r.stdout} ${r.stderr}`);
  assert.ok(existsSync(join(rig.stateDir, 'journal.json')), 'the interrupted apply left its journal');
  const restore = await rig.cli(['restore', '--state-dir', rig.stateDir, '--dhcp-timeout', '5']);
  assert.equal(restore.code, 0, restore.stderr);
  assert.ok(!existsSync(join(rig.stateDir, 'journal.json')), 'journal gone after recovery');
  const running = await rig.runningConfig();
  const observed = await rig.settled(true);
  const match = (['A', 'B'] as const).find((n) => isDeepStrictEqual(observed, states[n].observed));
  // Neither: show how it differs from the config the persisted file names.
  if (!match) assert.deepEqual(observed, isDeepStrictEqual(running, states.B.running) ? states.B.observed : states.A.observed, `${direction} killed after operation ${k}: the node is neither the old nor the new config`);
  assert.ok(match);
  assert.deepEqual(running, states[match].running, 'persisted config = the config the node has');
  assert.deepEqual((await rig.show()).kernelConfig, running, 'kernelConfig read back = persisted config');
  return match;
}

/**
 * Every `every`-th operation index of one direction; k = ops is after the last operation (before
 * the verification), k = ops + 1 while committing (kept: roll forward).
 */
async function direction(direction: Direction, every: number): Promise<{ results: string[]; ops: number }> {
  const rig = rigs[direction];
  const { states, ops } = await prepare(rig, direction);
  const results: string[] = [];
  for (let k = 0; k <= ops + 1; k++) {
    if (k % every && k < ops) continue;
    const got = await trial(rig, states, direction, k);
    const [from, to] = direction === 'A->B' ? ['A', 'B'] : ['B', 'A'];
    assert.equal(got, k === ops + 1 ? to : from, `${direction}@${k}: a crash before the commit rolls back, during it rolls forward`);
    results.push(`${direction}@${k}=${got}`);
  }
  return { results, ops };
}

describe('kill -9 at every step of an apply, then restart', () => {
  it('converges to the old or the new config after a crash at every operation (both directions)', async () => {
    // Every operation index one way, every third the other way.
    const ab = await direction('A->B', 1);
    const ba = await direction('B->A', 3);
    const results = [...ab.results, ...ba.results];
    process.stderr.write(`crash trials: ${results.length} (${ab.ops} + ${ba.ops} operations), all converged: ${results.join(' ')}\n`);
    assert.ok(results.length >= 20);
  });
});
