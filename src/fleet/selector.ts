// LabelSelector matching, as the API server defines it: matchLabels and every matchExpressions
// requirement ANDed; NotIn and DoesNotExist match a node without the label; an empty or absent
// selector matches every node. Labels are a Map: a key is a label only if the node has it.
import type { LabelSelector, LabelSelectorRequirement } from '../api/policy.js';
import { ownEntries } from './own-properties.js';

export function requirementMatches(r: LabelSelectorRequirement, labels: ReadonlyMap<string, string>): boolean {
  const v = labels.get(r.key);
  const values = Array.isArray(r.values) ? r.values : [];
  switch (r.operator) {
    case 'In':
      return v !== undefined && values.includes(v);
    case 'NotIn':
      return v === undefined || !values.includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
  }
  // An operator the schema does not know matches nothing (never reached after validation).
  return false;
}

export function selectorMatches(selector: LabelSelector | undefined, labels: ReadonlyMap<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of ownEntries(selector.matchLabels)) if (labels.get(k) !== v) return false;
  return (Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []).every((r) =>
    requirementMatches(r, labels),
  );
}
