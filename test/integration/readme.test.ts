// The README's own instructions, run as written: a wrong instruction fails here, not in a user's
// shell. The kubectl plugin block ("### `kubectl onn`") is taken from README.md and run in bash
// from the checkout with a PATH that holds neither bin/ nor node_modules/.bin, so only the
// block's own PATH line can make `kubectl onn` resolve (the other tests put bin/ on PATH for
// themselves, which is how a broken `export PATH=...` line once went unnoticed).
// Placeholders are the only substitution: NODE → a lab node, spec.yaml → a file holding that
// node's spec, `[--watch]` (an option) left out; the connection comes from $KUBECONFIG, which the
// README names as one of the plugin's sources.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../lab/src/index.js';
import { run } from '../../src/util/exec.js';
import { ensureLab, kubectlArgs, releaseLab } from '../../lab/client/index.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** The first fenced block of the given language after the heading line that starts with `heading`. */
export function blockAfter(markdown: string, heading: string, lang: string): string[] {
  const lines = markdown.split('\n');
  const h = lines.findIndex((l) => l.startsWith(heading));
  assert.ok(h >= 0, `README.md has no heading "${heading}"`);
  const start = lines.findIndex((l, i) => i > h && l.trim() === '```' + lang);
  assert.ok(start > h, `README.md: no \`\`\`${lang} block after "${heading}"`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '```');
  return lines.slice(start + 1, end);
}

/** A PATH without the checkout's own bin directories (the plugin must come from the README's line). */
function pathWithoutCheckout(): string {
  const own = new Set([join(ROOT, 'bin'), join(ROOT, 'node_modules', '.bin')]);
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p && !own.has(resolve(p)))
    .join(delimiter);
}

describe("the README's kubectl plugin instructions, as written", () => {
  let lab: Lab;
  let dir: string;
  let node: string;
  before(async () => {
    lab = await ensureLab();
    node = lab.state.nodes.find((n) => n.kind === 'netns')!.name;
    dir = await mkdtemp(join(tmpdir(), 'ovnh-readme-'));
    const spec = await run(kubectlArgs(lab, 'get', 'onn', node, '-o', 'yaml'));
    await writeFile(join(dir, 'spec.yaml'), spec.stdout);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    await releaseLab();
  });

  const env = () => ({ ...process.env, PATH: pathWithoutCheckout(), KUBECONFIG: lab.kubeconfig });
  const bash = (script: string) => run(['bash', '-c', script], { cwd: ROOT, env: env(), allowFailure: true });

  it('without its PATH line, kubectl does not find the plugin (so the line is what is tested)', async () => {
    const r = await bash(`kubectl onn tree ${node}`);
    assert.notEqual(r.code, 0, r.stdout);
  });

  it('every command of the block runs and succeeds', async () => {
    const block = blockAfter(await readFile(join(ROOT, 'README.md'), 'utf8'), '### `kubectl onn`', 'shell');
    const commands = block.map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
    assert.match(commands[0]!, /^export PATH=/, 'the block starts with its PATH line');
    assert.ok(commands.filter((c) => c.startsWith('kubectl onn ')).length >= 4, 'tree, plan, diff and stats');
    const script = commands
      .map((c) =>
        c
          .replace(/\bNODE\b/g, node)
          .replace(/\bspec\.yaml\b/g, join(dir, 'spec.yaml'))
          .replace(/\s*\[--watch\]/, ''),
      )
      .join('\n');
    const r = await bash(`set -e\n${script}`);
    assert.equal(r.code, 0, `${script}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    assert.match(r.stdout, /^eth0\s+nic\s/m, 'tree drew the node');
    assert.match(r.stdout, /INTERFACE\s+STATE/, 'stats printed its table');
  });
});
