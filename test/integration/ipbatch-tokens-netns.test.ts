// The `ip -batch` writer against the real `ip -batch` of this machine, in a namespace of the
// test's own: every byte value in a token, at its start, middle and end. Each token the writer
// takes (src/apply/ops.ts batchLine) reaches the kernel exactly as given: as a bridge's alias
// (any bytes) and, where the kernel takes it as a name, as the name of a bridge. Each token it
// refuses never reaches ip. The port of iproute2's reader: test/unit/apply-ipbatch-tokens.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { quoteName } from '../../src/api/names.js';
import { IpBatch } from '../../src/apply/ipbatch.js';
import { batchTokenProblem } from '../../src/apply/ops.js';
import { parseJsonExact } from '../../src/observe/parse.js';
import { run } from '../../src/util/exec.js';

const ns = `ovnh-t-tok-${randomBytes(3).toString('hex')}`;
before(async () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void run(['ip', 'netns', 'del', ns], { allowFailure: true }).finally(() => process.exit(130)));
  await run(['ip', 'netns', 'add', ns]);
});
after(async () => {
  await run(['ip', 'netns', 'del', ns], { allowFailure: true });
});

/** The handler's IpBatch, its `ip -batch -` run in the namespace. */
const batch = new IpBatch('/nonexistent', (argv, opts) => {
  assert.equal(argv[0], 'ip');
  return run(['ip', '-n', ns, ...argv.slice(1)], opts);
});

const CHARS = [...Array.from({ length: 256 }, (_, b) => String.fromCharCode(b)), 'ñ', '\u2028', '\u{1f600}'];
const TOKENS = [...new Set(CHARS.flatMap((c) => [`${c}ab`, `a${c}b`, `ab${c}`, c]))];

/**
 * Whether the kernel takes the name as is (dev_valid_name; and a '%' makes it a template, as
 * in "eth%d"), so `link add name` can show the token.
 */
const kernelName = (t: string) => t !== '.' && t !== '..' && !/[/:%\s]/.test(t) && Buffer.byteLength(t) <= 15;

interface LinkJson { ifname: string; ifalias?: string }

async function links(): Promise<LinkJson[]> {
  const r = await run(['ip', '-n', ns, '-json', 'link', 'show'], { decode: 'bytes' });
  return parseJsonExact(r.stdout) as LinkJson[];
}

test('every token the writer takes reaches the kernel verbatim; every other one is refused before ip', async () => {
  const taken = TOKENS.filter((t) => batchTokenProblem(t) === undefined);
  const refused = TOKENS.filter((t) => batchTokenProblem(t) !== undefined);
  assert.ok(taken.every((t) => /^[\x21-\x7e]+$/.test(t)) && ['a!b', 'a$b', '-ab', 'ab~', '~', 'a/b', 'a:b'].every((t) => taken.includes(t)));
  // One bridge per token carrying it as its alias; one bridge named by it where the kernel takes the name.
  const lines: string[][] = [];
  taken.forEach((t, i) => lines.push(['link', 'add', 'name', `t${i}`, 'type', 'bridge'], ['link', 'set', 'dev', `t${i}`, 'alias', t]));
  const named = taken.filter(kernelName);
  for (const t of named) lines.push(['link', 'add', 'name', t, 'type', 'bridge']);
  const r = await batch.run(lines);
  assert.equal(r.ok, true, r.stderr);

  const got = await links();
  const alias = new Map(got.map((l) => [l.ifname, l.ifalias]));
  taken.forEach((t, i) => assert.equal(alias.get(`t${i}`), t, `alias ${quoteName(t)}`));
  const names = new Set(got.map((l) => l.ifname));
  for (const t of named) assert.ok(names.has(t), `bridge ${quoteName(t)}`);
  assert.equal(got.length, 1 + taken.length + named.length, 'nothing else was made');

  // A refused token fails its line, and no line after it runs; ip is never given it.
  for (const [i, t] of refused.entries()) {
    const f = await batch.run([['link', 'add', 'name', `r${i}`, 'type', 'bridge'], ['link', 'set', 'dev', `r${i}`, 'alias', t], ['link', 'add', 'name', 'after', 'type', 'bridge']]);
    assert.equal(f.ok, false);
    assert.equal(f.failure!.index, 1, quoteName(t));
    assert.match(f.failure!.message, /cannot take the token/);
  }
  const end = await links();
  assert.ok(!end.some((l) => l.ifname === 'after'), 'nothing after a refused line ran');
  assert.ok(end.filter((l) => /^r\d+$/.test(l.ifname)).every((l) => l.ifalias === undefined || l.ifalias === ''), 'no refused token reached ip');
});
