// The `ip -batch` writer (src/apply/ops.ts batchLine) over every byte value in a token, at its
// start, middle and end: it refuses the token (BatchTokenError naming it), or the line reads
// back, through a port of iproute2's reader (test/helpers/makeargs.ts), as exactly the tokens
// given. The real `ip -batch`: test/integration/ipbatch-tokens-netns.test.ts. And IpBatch fails a
// refused line as ip fails a line: what comes before it runs, nothing after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quoteName } from '../../src/api/names.js';
import { IpBatch } from '../../src/apply/ipbatch.js';
import { BatchTokenError, batchLine, batchTokenProblem } from '../../src/apply/ops.js';
import type { RunOptions, RunResult } from '../../src/util/exec.js';
import { readBatch } from '../helpers/makeargs.js';

const CHARS = [...Array.from({ length: 256 }, (_, b) => String.fromCharCode(b)), 'ñ', '\u2028', '\u{1f600}', '\udc80'];
export const TOKENS = [...new Set(CHARS.flatMap((c) => [`${c}ab`, `a${c}b`, `ab${c}`, c]))];

/** What the writer must take: printable ASCII but '"', "'", '\\' and '#'. */
const WRITABLE = (c: string) => c.length === 1 && c.charCodeAt(0) >= 0x21 && c.charCodeAt(0) <= 0x7e && !`"'\\#`.includes(c);

function roundTrips(args: string[], line: string): boolean {
  // A second line after it: a continuation would swallow it.
  const read = readBatch(Buffer.from(`${line}\nlink show\n`, 'utf8'));
  return read.length === 2 && read[0]!.length === args.length && read[0]!.every((b, i) => b.equals(Buffer.from(args[i]!, 'utf8')));
}

test('every token is written verbatim and reads back as itself, or is refused with the token named', () => {
  let written = 0;
  for (const t of TOKENS) {
    const args = ['link', 'add', 'name', t, 'type', 'bridge'];
    let line: string | undefined;
    try {
      line = batchLine(args);
    } catch (e) {
      assert.ok(e instanceof BatchTokenError, String(e));
      assert.equal(e.token, t);
      assert.ok(e.message.includes(quoteName(t)), e.message);
      assert.match(e.message, /^[\x20-\x7e]*$/, 'the message is printable');
      assert.equal(batchTokenProblem(t) !== undefined, true);
      continue;
    }
    written++;
    assert.equal(line, args.join(' '), `${quoteName(t)} is written verbatim`);
    assert.ok(roundTrips(args, line), `${quoteName(t)} reads back as itself`);
    const last = ['link', 'set', 'dev', 'x', 'alias', t];
    assert.ok(roundTrips(last, batchLine(last)), `${quoteName(t)} reads back as itself at the end of a line`);
  }
  assert.equal(written, TOKENS.filter((t) => [...t].every(WRITABLE)).length, 'exactly the printable ASCII tokens less the four are written');
});

test('the empty token is written "" and reads back empty', () => {
  const args = ['link', 'set', 'dev', 'bond1', 'type', 'bond', 'arp_ip_target', ''];
  assert.ok(roundTrips(args, batchLine(args)));
});

test('the reader port is not trivial: the characters refused do break a line written as is, or quoted as before', () => {
  const old = (a: string) => (a === '' || /[\s"'\\#]/.test(a) ? `"${a.replace(/(["\\])/g, '\\$1')}"` : a);
  for (const t of ['a b', 'a\tb', 'a#b', '"ab', "'ab", 'ab\\', 'a\0b', 'a\nb', 'a\rb']) {
    // (Last on its line: a trailing backslash joins the next line.)
    const args = ['link', 'set', 'dev', 'x', 'alias', t];
    let ok = true;
    try { ok = roundTrips(args, args.join(' ')); } catch { ok = false; }
    assert.equal(ok, false, `${quoteName(t)} as is`);
  }
  // The old writer's quoting: '#' inside quotes still cut the line, \" is no escape.
  for (const t of ['a#b', 'a"b', 'a\\b"', 'x" down "y']) {
    const args = ['link', 'set', 'dev', t, 'up'];
    let ok = true;
    try { ok = roundTrips(args, args.map(old).join(' ')); } catch { ok = false; }
    assert.equal(ok, false, `${quoteName(t)} quoted the old way`);
  }
});

/** A stand-in for `ip -batch`: reads its input with the port and records the commands; fails the lines whose device is "bad". */
function fakeIp(log: string[][]) {
  return async (argv: readonly string[], opts: RunOptions): Promise<RunResult> => {
    assert.ok(argv.includes('-batch'));
    const force = argv.includes('-force');
    let stderr = '';
    let code = 0;
    for (const [i, cmd] of readBatch(Buffer.from(opts.input ?? '', 'utf8')).entries()) {
      const words = cmd.map((b) => b.toString('utf8'));
      log.push(words);
      if (words.includes('bad')) {
        stderr += `Cannot find device "bad"\nCommand failed -:${i + 1}\n`;
        code = 1;
        if (!force) break;
      }
    }
    return { stdout: '', stderr, code };
  };
}

test('IpBatch: a refused line fails as ip fails a line; the lines before it run, none after, and it is never written', async () => {
  const log: string[][] = [];
  const b = new IpBatch('/nonexistent', fakeIp(log));
  const r = await b.run([['link', 'set', 'dev', 'a', 'up'], ['link', 'set', 'dev', 'x#y', 'up'], ['link', 'set', 'dev', 'c', 'up']]);
  assert.equal(r.ok, false);
  assert.equal(r.failure!.index, 1);
  assert.match(r.failure!.message, /cannot take the token "x#y"/);
  assert.deepEqual(log, [['link', 'set', 'dev', 'a', 'up']]);

  // First line refused: no process at all.
  log.length = 0;
  const r0 = await b.run([['link', 'del', 'dev', 'a\u001bb']]);
  assert.equal(r0.ok, false);
  assert.equal(r0.failure!.index, 0);
  assert.match(r0.failure!.message, /"a\\u001bb"/);
  assert.deepEqual(log, []);

  // A kernel failure before the refused line is the failure reported.
  const r1 = await b.run([['link', 'set', 'dev', 'bad', 'up'], ['link', 'set', 'dev', 'x y', 'up']]);
  assert.equal(r1.failure!.index, 0);
});

test('IpBatch with force: every writable line runs, failures (refused or not) at the indices given', async () => {
  const log: string[][] = [];
  const b = new IpBatch('/nonexistent', fakeIp(log));
  const r = await b.run([['link', 'del', 'dev', 'a'], ['link', 'del', 'dev', 'q"'], ['link', 'del', 'dev', 'bad'], ['link', 'del', 'dev', 'c']], { force: true });
  assert.equal(r.ok, false);
  assert.deepEqual(log.map((l) => l[3]), ['a', 'bad', 'c']);
  assert.deepEqual(r.failures.map((f) => f.index), [1, 2]);
  assert.match(r.failures[0]!.message, /cannot take the token "q\\""/);
  assert.equal(r.failures[1]!.message, 'Cannot find device "bad"');
});
