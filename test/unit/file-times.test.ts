import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileTimes, fileTimesTable } from '../reporters/file-times.js';

describe('the per-file time reporter', () => {
  it('charges each file the wall time since the previous file ended, hooks and start-up included', () => {
    const rows = fileTimes(
      [
        { file: 'a.js', at: 1500, failed: false, test: true },
        { file: 'a.js', at: 2000, failed: false, test: false },
        { file: 'b.js', at: 9000, failed: true, test: true },
      ],
      1000,
    );
    assert.deepEqual(rows, [
      { file: 'a.js', ms: 1000, tests: 1, failed: 0 },
      { file: 'b.js', ms: 7000, tests: 1, failed: 1 },
    ]);
  });

  it('lists the slowest file first, with the total', () => {
    const t = fileTimesTable([
      { file: 'fast.js', ms: 1000, tests: 3, failed: 0 },
      { file: 'slow.js', ms: 60000, tests: 1, failed: 1 },
    ]);
    const lines = t.split('\n');
    assert.match(lines[0]!, /61 s in all/);
    assert.match(lines[1]!, /^slow\.js +60\.0 s +1 tests +1 failed$/);
    assert.match(lines[2]!, /^fast\.js +1\.0 s +3 tests$/);
  });
});
