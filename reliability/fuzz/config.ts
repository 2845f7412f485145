// What a canonical config implies: the devices it creates and touches, DHCP, kernel modules.
import type { RunningConfig } from '../../src/api/config.js';
import { vlanDeviceName } from '../../src/apply/names.js';
import type { Obj } from './json.js';

/** The devices a canonical config makes the handler create. */
export function impliedDevices(cfg: RunningConfig): Set<string> {
  const out = new Set<string>(Object.keys(cfg.bondings));
  for (const [name, n] of Object.entries(cfg.networks)) {
    if (n.bridged) out.add(name);
    const sb = n.nic ?? n.bonding;
    if (sb !== undefined && n.vlan !== undefined) out.add(vlanDeviceName(sb, n.vlan));
  }
  return out;
}

/** Every device a canonical config touches: implied ones, NICs, bond slaves. */
export function mentionedDevices(cfg: RunningConfig): Set<string> {
  const out = impliedDevices(cfg);
  for (const n of Object.values(cfg.networks)) if (n.nic !== undefined) out.add(n.nic);
  for (const b of Object.values(cfg.bondings)) for (const nic of b.nics) out.add(nic);
  return out;
}

/** The spec with DHCP turned off (bootproto dhcp dropped, dhcpv6 false); see runTrial for why. */
export function withoutDhcp(spec: unknown): unknown {
  const copy = structuredClone(spec) as { networks?: Record<string, Obj> };
  for (const n of Object.values(copy.networks ?? {})) {
    if (n.bootproto === 'dhcp') delete n.bootproto;
    if (n.dhcpv6 === true) delete n.dhcpv6;
  }
  return copy;
}

export function usesDhcp(cfg: RunningConfig): boolean {
  return Object.values(cfg.networks).some((n) => n.bootproto === 'dhcp' || n.dhcpv6);
}

export function needsModules(cfg: RunningConfig): boolean {
  return Object.keys(cfg.bondings).length > 0 || Object.values(cfg.networks).some((n) => n.vlan !== undefined || n.bonding !== undefined);
}
