// A tiny CEL evaluator for the rules the name rule generates into the CRDs (src/api/names.ts):
// `&&`, `||`, `!`, parentheses, `x.size() <= N`, `x.matches('re')`, `x in ['a', ...]`,
// `self.all(k, ...)` over a map's keys. Anything else throws, so a rule changed into something
// this subset does not know fails the test instead of being misread. Regexes run as JavaScript
// regexes: for the ASCII classes, anchors and quantifiers used, RE2 (the API server's) agrees.

type Value = string | number | boolean | string[] | Record<string, unknown>;

interface Token {
  kind: 'id' | 'num' | 'str' | 'op';
  text: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ') { i++; continue; }
    const two = src.slice(i, i + 2);
    if (['&&', '||', '<=', '>=', '==', '!='].includes(two)) { out.push({ kind: 'op', text: two }); i += 2; continue; }
    if ('!()[],.<>'.includes(c)) { out.push({ kind: 'op', text: c }); i++; continue; }
    if (c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== "'") {
        if (src[j] === '\\') throw new Error(`cel-subset: escapes in string literals are not supported: ${src}`);
        s += src[j++];
      }
      if (j >= src.length) throw new Error(`cel-subset: unterminated string in ${src}`);
      out.push({ kind: 'str', text: s });
      i = j + 1;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) { out.push({ kind: 'id', text: id[0] }); i += id[0].length; continue; }
    const num = /^[0-9]+/.exec(src.slice(i));
    if (num) { out.push({ kind: 'num', text: num[0] }); i += num[0].length; continue; }
    throw new Error(`cel-subset: unexpected ${JSON.stringify(c)} in ${src}`);
  }
  return out;
}

type Env = Record<string, Value>;
type Node = (env: Env) => Value;

/** Compiles a rule of the subset; the result evaluates it with `self` (and bound variables). */
export function compileCel(src: string): (self: Value) => boolean {
  const t = tokenize(src);
  let p = 0;
  const peek = (text?: string) => (p < t.length && (text === undefined || t[p]!.text === text) ? t[p] : undefined);
  const eat = (text: string) => {
    if (!peek(text)) throw new Error(`cel-subset: expected ${text} at token ${p} of ${src}`);
    return t[p++]!;
  };

  const or = (): Node => {
    let l = and();
    while (peek('||')) { p++; const a = l; const b = and(); l = (e) => Boolean(a(e)) || Boolean(b(e)); }
    return l;
  };
  const and = (): Node => {
    let l = rel();
    while (peek('&&')) { p++; const a = l; const b = rel(); l = (e) => Boolean(a(e)) && Boolean(b(e)); }
    return l;
  };
  const rel = (): Node => {
    const l = unary();
    const op = peek();
    if (op && op.kind === 'op' && ['<=', '>=', '<', '>', '==', '!='].includes(op.text)) {
      p++;
      const r = unary();
      return (e) => {
        const a = l(e) as number | string;
        const b = r(e) as number | string;
        switch (op.text) {
          case '<=': return a <= b;
          case '>=': return a >= b;
          case '<': return a < b;
          case '>': return a > b;
          case '==': return a === b;
          default: return a !== b;
        }
      };
    }
    if (op && op.kind === 'id' && op.text === 'in') {
      p++;
      const r = unary();
      return (e) => (r(e) as string[]).includes(l(e) as string);
    }
    return l;
  };
  const unary = (): Node => {
    if (peek('!')) { p++; const x = unary(); return (e) => !x(e); }
    return postfix(primary());
  };
  const primary = (): Node => {
    const tok = t[p++];
    if (!tok) throw new Error(`cel-subset: unexpected end of ${src}`);
    if (tok.text === '(' && tok.kind === 'op') { const x = or(); eat(')'); return x; }
    if (tok.text === '[' && tok.kind === 'op') {
      const items: Node[] = [];
      while (!peek(']')) { items.push(or()); if (peek(',')) p++; }
      eat(']');
      return (e) => items.map((i) => i(e) as string);
    }
    if (tok.kind === 'str') return () => tok.text;
    if (tok.kind === 'num') return () => Number(tok.text);
    if (tok.kind === 'id') return (e) => {
      if (!(tok.text in e)) throw new Error(`cel-subset: unknown variable ${tok.text}`);
      return e[tok.text]!;
    };
    throw new Error(`cel-subset: unexpected ${tok.text} in ${src}`);
  };
  const postfix = (target: Node): Node => {
    let x = target;
    while (peek('.')) {
      p++;
      const name = t[p++]!;
      eat('(');
      const recv = x;
      if (name.text === 'size') { eat(')'); x = (e) => [...(recv(e) as string)].length; continue; }
      if (name.text === 'matches') {
        const re = new RegExp(eat2str());
        eat(')');
        x = (e) => re.test(recv(e) as string);
        continue;
      }
      if (name.text === 'all') {
        const v = t[p++]!;
        if (v.kind !== 'id') throw new Error(`cel-subset: all() needs a variable in ${src}`);
        eat(',');
        const body = or();
        eat(')');
        x = (e) => Object.keys(recv(e) as Record<string, unknown>).every((k) => Boolean(body({ ...e, [v.text]: k })));
        continue;
      }
      throw new Error(`cel-subset: unknown method ${name.text} in ${src}`);
    }
    return x;
  };
  const eat2str = (): string => {
    const tok = t[p++];
    if (!tok || tok.kind !== 'str') throw new Error(`cel-subset: matches() needs a string literal in ${src}`);
    return tok.text;
  };

  const root = or();
  if (p !== t.length) throw new Error(`cel-subset: trailing tokens in ${src}`);
  return (self) => Boolean(root({ self }));
}
