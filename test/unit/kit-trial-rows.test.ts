// Rows of a fault experiment are computed from its raw trial records (kit/report.ts trialRows):
// one per landing class, survived only when every check held, harness failures apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  faultHeadline,
  faultSummaries,
  recordedTrial,
  reliabilityTable,
  trialRows,
  trialSurvived,
  type TrialRecord,
} from '../../kit/report.js';

const trial = (
  n: number,
  where: string,
  landed: TrialRecord['landed'],
  ok: boolean[],
  extra: Partial<TrialRecord> = {},
) =>
  ({
    experiment: 'kill -9',
    trial: n,
    seed: 9,
    delayMs: n * 10,
    delayFrom: 'the spec write',
    landed,
    where,
    evidence: 'e',
    checks: ok.map((o, i) => ({ name: `check ${i}`, ok: o, ...(o ? {} : { detail: 'seen x' }) })),
    ...extra,
  }) satisfies TrialRecord;

test('a trial survived only when it ran and every one of its checks held', () => {
  assert.equal(trialSurvived(trial(1, 'a', 'during', [true, true])), true);
  assert.equal(trialSurvived(trial(1, 'a', 'during', [true, false])), false);
  assert.equal(trialSurvived(trial(1, 'a', 'during', [])), false, 'no checks is no verdict');
  assert.equal(trialSurvived(trial(1, 'a', 'during', [true], { harnessError: 'x' })), false);
});

test('one row per landing class, in the given order, counted from the records', () => {
  const trials = [
    trial(1, 'after the apply', 'after', [true]),
    trial(2, 'during the kernel work', 'during', [true, true]),
    trial(3, 'during the kernel work', 'during', [true, false]),
    trial(4, 'odd', 'unknown', [true]),
    trial(5, 'before', 'before', [], { harnessError: 'setSpec failed' }),
  ];
  const rows = trialRows('kill -9', 'killed', trials, ['before', 'during the kernel work', 'after the apply']);
  assert.deepEqual(
    rows.map((r) => [r.case, r.landed, r.tried, r.survived, r.lost]),
    [
      ['killed; landed during the kernel work', 'during', 2, 1, 1],
      ['killed; landed after the apply', 'after', 1, 1, 0],
      ['killed; landed odd', 'unknown', 1, 1, 0],
      ['killed; not exercised (the harness failed before the fault)', 'unknown', 1, 0, 0],
    ],
  );
  assert.match(rows[0]!.note!, /trial 3 \(30 ms\): check 1 \(seen x\)/);
  assert.equal(rows[1]!.note, 'delays 10 ms');
  assert.match(rows[3]!.note!, /trial 5: setSpec failed/);
  assert.match(reliabilityTable(rows), /landed during the kernel work\s+during\s+2\s+1\s+1/);
});

test('the headline counts only faults that landed during the transaction; the JSON keeps each verdict', () => {
  const trials = [
    trial(1, 'x', 'before', [true]),
    trial(2, 'y', 'during', [true]),
    trial(3, 'y', 'during', [false]),
    trial(4, 'z', 'after', [true]),
    trial(5, 'x', 'before', [], { harnessError: 'no kill' }),
    { ...trial(1, 'y', 'during', [true]), experiment: 'power cut' },
  ];
  const [kill, cut] = faultSummaries(trials);
  assert.deepEqual(kill!.byLanded.during, { tried: 2, survived: 1, lost: 1 });
  assert.deepEqual(kill!.byLanded.before, { tried: 1, survived: 1, lost: 0 });
  assert.equal(kill!.notExercised, 1);
  assert.equal(
    faultHeadline(kill!),
    'kill -9: 1 of 2 faults that landed during the transaction survived, 1 lost ' +
      '(landed before 1, during 2, after 1, unknown 0; not exercised 1)',
  );
  assert.deepEqual(cut!.byLanded.during, { tried: 1, survived: 1, lost: 0 });
  assert.deepEqual(
    trials.map((t) => recordedTrial(t).survived),
    [true, true, false, true, false, true],
  );
});
