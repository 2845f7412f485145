// A policy's spec as stored, checked: the schema (what the CRD also enforces, for policies that
// got past an older CRD or come from a file), the rules between fields the CRD states in CEL,
// label keys, and the pools. Every error names its field, as the node spec's validation does.
import { PolicySpecSchema, type PolicySpec } from '../api/policy.js';
import { bridgedOnBondErrors, joinPath, zodIssuesToErrors, type ValidationError } from '../plan/validate.js';
import { parsePool, type Pool } from './ipam.js';
import { hasOwnKey, own, ownEntries } from './own-properties.js';

export interface PolicyPools {
  /** By network name. */
  v4: Map<string, Pool>;
  v6: Map<string, Pool>;
}

export type PolicyCheck = { ok: true; spec: PolicySpec; pools: PolicyPools } | { ok: false; errors: ValidationError[] };

const LABEL_KEY_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export function checkPolicySpec(raw: unknown): PolicyCheck {
  const parsed = PolicySpecSchema.safeParse(raw ?? {});
  if (!parsed.success) return { ok: false, errors: zodIssuesToErrors(parsed.error.issues, 'spec') };
  const spec = parsed.data;
  const errors: ValidationError[] = [];
  const report = (path: string, message: string) => errors.push({ path, message });
  // Names the parser drops ("__proto__" is no key of a parsed record): refused, never silently lost.
  const rawSpec = (raw ?? {}) as Record<string, unknown>;
  for (const [at, rawMap, kept] of [
    ['spec.networks', own(rawSpec, 'networks'), spec.networks],
    ['spec.bondings', own(rawSpec, 'bondings'), spec.bondings],
    ['spec.nodeSelector.matchLabels', own(own(rawSpec, 'nodeSelector'), 'matchLabels'), spec.nodeSelector?.matchLabels],
  ] as const) {
    for (const [k] of ownEntries(rawMap)) if (!hasOwnKey(kept, k)) report(joinPath(at, k), 'this name cannot be used');
  }
  for (const k of Object.keys(spec.nodeSelector?.matchLabels ?? {})) {
    const name = k.includes('/') ? k.slice(k.lastIndexOf('/') + 1) : k;
    if (!LABEL_KEY_NAME.test(name)) report(joinPath('spec.nodeSelector.matchLabels', k), 'must be a label key');
  }
  const pools: PolicyPools = { v4: new Map(), v6: new Map() };
  for (const [n, net] of Object.entries(spec.networks)) {
    const at = joinPath('spec.networks', n);
    // The CRD's CEL rules, again (see PolicyNetworkSchema).
    if (net.nic !== undefined && net.bonding !== undefined)
      report(`${at}.bonding`, 'nic and bonding are mutually exclusive');
    if (net.nicFromNodeLabel !== undefined && (net.nic !== undefined || net.bonding !== undefined))
      report(`${at}.nicFromNodeLabel`, 'nicFromNodeLabel is exclusive with nic and bonding');
    const southbound = net.nic !== undefined || net.bonding !== undefined || net.nicFromNodeLabel !== undefined;
    if (net.bridged === false && !southbound)
      report(`${at}.bridged`, 'a bridgeless network needs a southbound device (nic, bonding or nicFromNodeLabel)');
    if (net.vlan !== undefined && !southbound)
      report(`${at}.vlan`, 'a VLAN needs a southbound device (nic, bonding or nicFromNodeLabel)');
    if (net.bootproto === 'dhcp' && (net.ipam || net.gateway))
      report(`${at}.bootproto`, 'ipam and gateway conflict with bootproto: dhcp');
    if (net.gateway !== undefined && !net.ipam) report(`${at}.gateway`, 'a gateway needs ipam');
    if (net.ipv6gateway !== undefined && !net.ipv6ipam) report(`${at}.ipv6gateway`, 'an ipv6gateway needs ipv6ipam');
    if (net.ipv6ipam && (net.dhcpv6 || net.ipv6autoconf))
      report(`${at}.ipv6ipam`, 'ipv6ipam conflicts with dhcpv6 and ipv6autoconf');
    for (const [family, ipam, gateway, field] of [
      [4, net.ipam, net.gateway, 'ipam'],
      [6, net.ipv6ipam, net.ipv6gateway, 'ipv6ipam'],
    ] as const) {
      if (!ipam) continue;
      const r = parsePool(family, ipam, gateway, `${at}.${field}`);
      if ('errors' in r) errors.push(...r.errors);
      else (family === 4 ? pools.v4 : pools.v6).set(n, r.pool);
    }
  }
  // The oVirt engine's bond-mode rule, on the policy's own bonds: refused for the whole policy,
  // before any node. The other engine rules run on each node's rendered spec (fragmentErrors).
  bridgedOnBondErrors(spec.networks, spec.bondings, 'spec.networks', report);
  for (const [b, bond] of Object.entries(spec.bondings)) {
    const sources = [bond.nics, bond.nicsFromNodeLabel, bond.nicsFromNodeAnnotation].filter(
      (x) => x !== undefined,
    ).length;
    if (sources !== 1)
      report(
        `${joinPath('spec.bondings', b)}.nics`,
        'exactly one of nics, nicsFromNodeAnnotation and nicsFromNodeLabel',
      );
  }
  return errors.length ? { ok: false, errors } : { ok: true, spec, pools };
}

/** maxUnavailable as a node count for this many matched nodes: a percent rounds down, at least 1. */
export function maxUnavailableOf(value: number | string, matched: number): number {
  if (typeof value === 'number') return value;
  return Math.max(1, Math.floor((matched * Number(value.slice(0, -1))) / 100));
}
