// What validation needs to know about the node, read from sysfs and resolv.conf. Deliberately
// simple; the observer (src/observe) reads the full host state and may supply these instead.
//
// A NIC is an Ethernet-type device (/sys/class/net/X/type = 1) that either has a
// /sys/class/net/X/device link (physical or virtio hardware), or is an untyped virtual device:
// no DEVTYPE in its uevent (bridges, bonds, VLANs, wlan, vxlan... all set one) and no bridge/ or
// bonding/ directory. So veth and dummy devices count (the lab's nodes use them), loopback does not.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_RESOLV_CONF, SYS_CLASS_NET } from '../api/constants.js';
import { words } from '../util/kv.js';
import { resolvNameservers } from '../util/resolv.js';
import type { HostFacts } from './validate.js';

export interface HostFactsSources {
  sysClassNet?: string;
  resolvConf?: string;
}

async function read(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface DeviceEntry {
  type?: string;
  uevent?: string;
  hasDevice: boolean;
  isBridge: boolean;
  isBond: boolean;
}

/** The NIC rule above, on what sysfs shows for one device. */
export function isNic(d: DeviceEntry): boolean {
  if (d.type?.trim() !== '1' || d.isBridge || d.isBond) return false;
  if (d.hasDevice) return true;
  return !/^DEVTYPE=/m.test(d.uevent ?? '');
}

export async function readHostFacts(src: HostFactsSources = {}): Promise<HostFacts> {
  const root = src.sysClassNet ?? SYS_CLASS_NET;
  const names = (await readdir(root).catch(() => [] as string[])).filter((n) => n !== 'bonding_masters').sort();
  const nics: string[] = [];
  const bonds: Record<string, string[]> = {};
  await Promise.all(names.map(async (name) => {
    const dir = join(root, name);
    const [type, uevent, hasDevice, isBridge, slaves] = await Promise.all([
      read(join(dir, 'type')), read(join(dir, 'uevent')), exists(join(dir, 'device')), exists(join(dir, 'bridge')),
      read(join(dir, 'bonding', 'slaves')),
    ]);
    const isBond = slaves !== undefined;
    if (isBond) bonds[name] = words(slaves).sort();
    if (isNic({ type, uevent, hasDevice, isBridge, isBond })) nics.push(name);
  }));
  nics.sort();
  const resolv = await read(src.resolvConf ?? DEFAULT_RESOLV_CONF);
  return { nics, bonds, nameservers: resolvNameservers(resolv) };
}
