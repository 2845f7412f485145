// The kernel's policy rules (`ip -json rule show`, once per family: a batch line cannot select
// the family, and without one `ip rule` shows IPv4 only). Read by a transaction, whose route
// table allocation must never take a table a rule points to, and whose read-back checks that a
// source-routed network's rule is there. Parsing is pure.
import type { PolicyRule } from '../model/host-state.js';

/** The argv of one family's dump (in a namespace when given). */
export function ruleDumpArgv(family: 4 | 6, netns?: string): string[] {
  return [...(netns ? ['ip', '-n', netns] : ['ip']), '-json', ...(family === 6 ? ['-6'] : []), 'rule', 'show'];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One family's dump; entries that do not have the expected shape are skipped (a rule the handler cannot read is no
 * rule of its).
 */
export function parseRuleDump(text: string, family: 4 | 6): PolicyRule[] {
  if (!text.trim()) return [];
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) throw new Error(`ip rule (IPv${family}): not a JSON array`);
  const out: PolicyRule[] = [];
  for (const r of data) {
    if (!isObj(r) || typeof r.table !== 'string' || typeof r.priority !== 'number') continue;
    const src = typeof r.src === 'string' ? r.src : 'all';
    const len = typeof r.srclen === 'number' ? r.srclen : family === 4 ? 32 : 128;
    out.push({ family, priority: r.priority, src: src === 'all' ? 'all' : `${src}/${len}`, table: r.table });
  }
  return out;
}
