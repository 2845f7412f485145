// The house rules of src/, checked on the code itself so that a change that breaks them fails
// here and not in a review months later:
//   - every folder directly under src/ has exactly one entry file whose header holds a line
//     `// May import: a, b, c` (or `nothing`), and imports only those folders;
//   - the folders' declared graph and the files' import graph have no circle (a type import
//     counts: it ties the files together for a reader as much as a value import does);
//   - no function is longer than MAX_FUNCTION_LINES and no line longer than MAX_LINE_CHARS.
// The parse is TypeScript's own (the compiler API), not a regular expression.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const MAX_FUNCTION_LINES = 80;
const MAX_LINE_CHARS = 120;
const MAY_IMPORT = /^\s*\/\/ May import: (.+)$/m;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SRC = join(ROOT, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The folder directly under src/ that holds a file (src/apply/compile/x.ts → apply). */
function folderOf(file: string): string {
  return relative(SRC, file).split(sep)[0]!;
}

interface SourceFacts {
  file: string;
  text: string;
  /** Files of src/ this one imports (resolved; `.js` specifiers name their `.ts` source). */
  imports: string[];
}

function readFacts(file: string, text = readFileSync(file, 'utf8')): SourceFacts {
  const imports = ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
    .filter((p) => p.startsWith(SRC + sep));
  return { file, text, imports };
}

/** Every circle of a directed graph, as one representative path each (Tarjan's components). */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

interface LongFunction {
  where: string;
  lines: number;
}

function longFunctions(f: SourceFacts): LongFunction[] {
  const sf = ts.createSourceFile(f.file, f.text, ts.ScriptTarget.Latest, true);
  const out: LongFunction[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const start = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(n.end).line;
      const name = n.name?.getText(sf) ?? '(anonymous)';
      if (end - start + 1 > MAX_FUNCTION_LINES)
        out.push({ where: `${rel(f.file)}:${start + 1} ${name}`, lines: end - start + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const rel = (p: string) => relative(ROOT, p);

const facts = tsFiles(SRC).map((f) => readFacts(f));
const folders = [...new Set(facts.map((f) => folderOf(f.file)))].filter((d) => statSync(join(SRC, d)).isDirectory());

/** Each folder's declared imports, from its one entry file's header; problems where it has none or several. */
function declaredImports(): { rules: Map<string, Set<string>>; problems: string[] } {
  const rules = new Map<string, Set<string>>();
  const problems: string[] = [];
  for (const folder of folders) {
    const headers = facts.filter((f) => folderOf(f.file) === folder && MAY_IMPORT.test(f.text));
    if (headers.length !== 1) {
      problems.push(
        `src/${folder}/: ${headers.length} files with a "// May import:" line (${headers.map((h) => rel(h.file)).join(', ') || 'none'}); exactly one, its entry file`,
      );
      continue;
    }
    const list = MAY_IMPORT.exec(headers[0]!.text)![1]!.trim();
    const names = list === 'nothing' ? [] : list.split(',').map((s) => s.trim());
    for (const n of names)
      if (!folders.includes(n))
        problems.push(`${rel(headers[0]!.file)}: "May import" names ${n}, which is not a folder of src/`);
    rules.set(folder, new Set(names));
  }
  return { rules, problems };
}

describe('the structure of src/', () => {
  const { rules, problems } = declaredImports();

  it('every folder has one entry file that says what it may import', () => {
    assert.deepEqual(problems, []);
  });

  it('every import between folders is one the importing folder declares', () => {
    const undeclared: string[] = [];
    for (const f of facts) {
      const from = folderOf(f.file);
      const allowed = rules.get(from);
      if (!allowed) continue; // reported by the test above
      for (const target of f.imports) {
        const to = folderOf(target);
        if (to !== from && !allowed.has(to))
          undeclared.push(
            `${rel(f.file)} imports ${rel(target)} (src/${from}/ may import: ${[...allowed].join(', ') || 'nothing'})`,
          );
      }
    }
    assert.deepEqual(undeclared, []);
  });

  it('the folders as declared form no circle', () => {
    const graph = new Map([...rules].map(([k, v]) => [k, [...v]]));
    assert.deepEqual(circles(graph), []);
  });

  it('no two files import each other, directly or round a circle', () => {
    const graph = new Map(facts.map((f) => [f.file, f.imports]));
    assert.deepEqual(
      circles(graph).map((c) => c.map(rel)),
      [],
    );
  });

  it(`no function is longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const long = facts.flatMap(longFunctions).map((l) => `${l.where}: ${l.lines} lines`);
    assert.deepEqual(long, []);
  });

  it(`no line is longer than ${MAX_LINE_CHARS} characters`, () => {
    const long = facts.flatMap((f) =>
      f.text
        .split('\n')
        .flatMap((line, i) => (line.length > MAX_LINE_CHARS ? [`${rel(f.file)}:${i + 1}: ${line.length}`] : [])),
    );
    assert.deepEqual(long, []);
  });
});

describe('the checker itself', () => {
  it('finds a circle of two and of one, and none in a chain', () => {
    assert.deepEqual(
      circles(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
          ['c', ['c']],
        ]),
      ),
      [['a', 'b'], ['c']],
    );
    assert.deepEqual(
      circles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
      [],
    );
  });

  it('reads imports with TypeScript: type-only ones and re-exports too, packages and node: left out', () => {
    const file = join(SRC, 'x', 'probe.ts');
    const text =
      "import type { A } from '../y/a.js';\nexport { B } from './b.js';\nimport 'node:fs';\nimport ts from 'typescript';\n";
    assert.deepEqual(readFacts(file, text).imports, [join(SRC, 'y', 'a.ts'), join(SRC, 'x', 'b.ts')]);
  });

  it('measures a function from its first line to its closing brace', () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES - 1 }, () => '  x();').join('\n');
    const fits = `function f() {\n${body.split('\n').slice(1).join('\n')}\n}\n`;
    const over = `const g = () => {\n${body}\n};\n`;
    assert.deepEqual(longFunctions({ file: 'fits.ts', text: fits, imports: [] }), []);
    assert.deepEqual(
      longFunctions({ file: 'over.ts', text: over, imports: [] }).map((l) => l.lines),
      [MAX_FUNCTION_LINES + 1],
    );
  });
});
