// LabelSelector matching, as the API server defines it: matchLabels and every matchExpressions
// requirement ANDed; NotIn and DoesNotExist match a node without the label; an empty or absent
// selector matches every node.
import type { LabelSelector, LabelSelectorRequirement } from '../api/policy.js';

export function requirementMatches(r: LabelSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In': return has && (r.values ?? []).includes(labels[r.key]!);
    case 'NotIn': return !has || !(r.values ?? []).includes(labels[r.key]!);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
  }
}

export function selectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v || !Object.hasOwn(labels, k)) return false;
  return (selector.matchExpressions ?? []).every((r) => requirementMatches(r, labels));
}
