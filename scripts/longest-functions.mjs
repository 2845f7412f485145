// The longest functions of src/ (TypeScript's own parser): node scripts/longest-functions.mjs [DIR] [N]
// Longest functions in src/ (TypeScript compiler API).
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
const files = execSync('git ls-files "src/*.ts" "src/**/*.ts"', { cwd: process.argv[2] ?? '.' }).toString().trim().split('\n');
const out = [];
for (const f of files) {
  const src = ts.createSourceFile(f, readFileSync((process.argv[2] ?? '.') + '/' + f, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isConstructorDeclaration(n)) {
      const a = src.getLineAndCharacterOfPosition(n.getStart()).line, b = src.getLineAndCharacterOfPosition(n.getEnd()).line;
      const name = n.name?.getText?.() ?? (ts.isVariableDeclaration(n.parent) ? n.parent.name.getText() : '<anon>');
      out.push([b - a + 1, `${f}:${a + 1} ${name}`]);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
}
out.sort((x, y) => y[0] - x[0]);
for (const [n, w] of out.slice(0, Number(process.argv[3] ?? 10))) console.log(n, w);
