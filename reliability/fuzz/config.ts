// What a canonical config implies: the devices it creates and touches, DHCP, kernel modules.
import type { RunningConfig } from '../../src/api/config.js';
import { createdDevicesOf, devicesOf } from '../../src/model/layout.js';
import type { Obj } from './json.js';

/** The devices a canonical config makes the handler create. */
export function impliedDevices(cfg: RunningConfig): Set<string> {
  return createdDevicesOf(cfg);
}

/** Every device a canonical config touches: implied ones, NICs, bond slaves. */
export function mentionedDevices(cfg: RunningConfig): Set<string> {
  return devicesOf(cfg);
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
