// Drawing device stacks as text trees (`show --tree` from the host, `kubectl onn tree` from the
// reported status): one drawer, so both look alike. A node reached a second time (a bridge with
// two ports) is drawn once and named "(shown above)" after that.

export interface ForestChild<T> {
  node: T;
  /** Drawn as one line, its own children not followed (a bond's slaves under the bond). */
  leaf?: boolean;
  /** Appended to the child's label, e.g. "  (slave)". */
  suffix?: string;
}

export interface Forest<T> {
  /** Unique per node: what "(shown above)" names. */
  key(node: T): string;
  label(node: T): string;
  children(node: T): ForestChild<T>[];
}

export interface DrawOptions {
  /** Only the trees that contain the node of this key. */
  only?: string;
}

/** The trees under `roots`, one line per node, "└── "/"├── " branches; "" when nothing is drawn. */
export function drawForest<T>(roots: readonly T[], f: Forest<T>, o: DrawOptions = {}): string {
  const lines: string[] = [];
  const shown = new Set<string>();
  const draw = (n: T, prefix: string, last: boolean, depth: number, suffix: string): void => {
    const branch = depth === 0 ? '' : last ? '└── ' : '├── ';
    const key = f.key(n);
    if (shown.has(key)) {
      lines.push(`${prefix}${branch}${key}  (shown above)`);
      return;
    }
    shown.add(key);
    lines.push(`${prefix}${branch}${f.label(n)}${suffix}`);
    const childPrefix = depth === 0 ? '' : prefix + (last ? '    ' : '│   ');
    const kids = f.children(n);
    kids.forEach((c, i) => {
      const lastKid = i === kids.length - 1;
      if (c.leaf) {
        lines.push(`${childPrefix}${lastKid ? '└── ' : '├── '}${f.label(c.node)}${c.suffix ?? ''}`);
        shown.add(f.key(c.node));
      } else {
        draw(c.node, childPrefix, lastKid, depth + 1, c.suffix ?? '');
      }
    });
  };
  const contains = (n: T, key: string, seen: Set<string>): boolean => {
    if (f.key(n) === key) return true;
    if (seen.has(f.key(n))) return false;
    seen.add(f.key(n));
    return f.children(n).some((c) => contains(c.node, key, seen));
  };
  for (const root of roots) {
    if (o.only !== undefined && !contains(root, o.only, new Set())) continue;
    draw(root, '', true, 0, '');
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
