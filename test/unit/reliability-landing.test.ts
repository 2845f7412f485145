// Where a fault landed, read from the evidence it left (reliability/landing.ts): the classes of a
// kill -9, the agent's log as the kubelet or a plain file keeps it, the restarted agent's words.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyLogOf,
  cutClass,
  cutLanding,
  killLanding,
  parseAgentLog,
  recoveryOf,
  type KillEvidence,
} from '../../reliability/landing.js';

const line = (o: object) => JSON.stringify({ level: 30, time: 1, node: 'n', ...o });
const LOG = [
  line({ msg: 'agent started' }),
  line({ generation: 6, msg: 'applying' }),
  line({ msg: 'applying 40 step(s), 120 kernel operation(s): add network kl1; …' }),
  line({ generation: 6, steps: 40, ms: 900, msg: 'applied' }),
  line({ generation: 7, msg: 'applying' }),
  line({ msg: 'applying 40 step(s), 118 kernel operation(s): remove network kl101; …' }),
].join('\n');

test('the agent log is read as pino lines, also inside CRI lines, and per generation', () => {
  const cri = LOG.split('\n')
    .map((l) => `2026-12-07T15:00:00.000000001Z stdout F ${l}`)
    .join('\n');
  assert.deepEqual(parseAgentLog(cri), parseAgentLog(LOG));
  assert.equal(parseAgentLog(LOG + '\nnot json\n{"trunc').length, 6);
  assert.deepEqual(applyLogOf(parseAgentLog(LOG), 6), { began: true, kernelOps: 120, outcome: 'applied' });
  assert.deepEqual(applyLogOf(parseAgentLog(LOG), 7), { began: true, kernelOps: 118 });
  assert.deepEqual(applyLogOf(parseAgentLog(LOG), 8), { began: false });
});

test("the restarted agent's recovery, in transaction.ts's words", () => {
  const back = 'an apply (pid 41, 2026-12-07T15:00:00.000Z) was interrupted while applying: undoing 12 operation(s)';
  assert.equal(recoveryOf(line({ msg: back })), 'rolled back');
  const fwd = 'an interrupted apply had been committed; its configuration was kept';
  assert.equal(
    recoveryOf(line({ restored: fwd, msg: 'restored the persisted network configuration' })),
    'rolled forward',
  );
  assert.equal(recoveryOf(line({ msg: 'agent started' })), 'none');
});

const base: KillEvidence = {
  persisted: 'old',
  statusSettled: false,
  log: { began: true, kernelOps: 118 },
  recovery: 'none',
};

test('each kill class from its evidence, and where the evidence disagrees', () => {
  const where = (e: Partial<KillEvidence>) => killLanding({ ...base, ...e });
  assert.deepEqual(
    [where({ log: { began: false } }).where, where({ log: { began: false } }).landed],
    ['before the kernel work began', 'before'],
  );
  const mid = where({ journal: { phase: 'applying', journalled: 30 }, recovery: 'rolled back' });
  assert.deepEqual([mid.where, mid.landed], ['during the kernel work', 'during']);
  assert.match(mid.evidence, /30 op\(s\) journalled/);
  const done = where({ journal: { phase: 'applying', journalled: 118 }, recovery: 'rolled back' });
  assert.deepEqual([done.where, done.landed], ['after the kernel work, before the commit', 'during']);
  const fwd = where({ journal: { phase: 'applying', journalled: 118 }, persisted: 'new', recovery: 'rolled forward' });
  assert.deepEqual([fwd.where, fwd.landed], ['after the commit, before the journal was cleared', 'after']);
  const noStatus = where({ persisted: 'new', log: { began: true, kernelOps: 118, outcome: 'applied' } });
  assert.deepEqual([noStatus.where, noStatus.landed], ['after the commit, before the status', 'after']);
  assert.equal(where({ persisted: 'new', statusSettled: true }).where, 'after the apply');
  assert.equal(
    where({ journal: { phase: 'rolling-back', journalled: 5 }, recovery: 'rolled back' }).where,
    'during a roll-back',
  );
  // A journal the restarted agent did not recover, or a recovery without a journal (it ran before
  // the state was read): the evidence does not tell.
  for (const e of [
    { journal: { phase: 'applying', journalled: 3 } },
    { recovery: 'rolled back' as const },
    { persisted: 'neither' as const },
  ])
    assert.deepEqual([where(e).where, where(e).landed], ['not told by the evidence', 'unknown']);
});

test('a power cut is classed by the boot restore and the side the persisted config is on', () => {
  assert.equal(cutClass('an interrupted apply was rolled back to the last good configuration'), 'rolled back');
  assert.equal(cutClass('an interrupted apply had been committed; its configuration was kept'), 'rolled forward');
  assert.equal(cutClass('restored: add network pa101; …'), 'rebuilt');
  assert.equal(cutClass(''), 'no restore needed');
  const at = (b: Parameters<typeof cutLanding>[0], p: Parameters<typeof cutLanding>[1]) => {
    const l = cutLanding(b, p);
    return [l.landed, l.where.split(':')[0]];
  };
  assert.deepEqual(at('rolled back', 'old'), ['during', 'during the kernel work']);
  assert.deepEqual(at('rolled forward', 'new'), ['after', 'after the commit, before the journal was cleared']);
  // A boot starts from an empty kernel: "rebuilt" is before or after by the persisted side alone.
  assert.deepEqual(at('rebuilt', 'old'), ['before', 'before the kernel work (nothing journalled on disk)']);
  assert.deepEqual(at('rebuilt', 'new'), ['after', 'after the apply']);
  for (const [b, p] of [
    ['rolled back', 'new'],
    ['no restore needed', 'old'],
    ['rebuilt', 'neither'],
  ] as const)
    assert.deepEqual(at(b, p), ['unknown', 'not told by the evidence']);
});
