// The host the trials run on: veth NICs (the handler's NIC rule counts veth), peers kept in the
// same namespace and up so the NICs have carrier as real ones would. Some pre-existing state the
// handler must give back when it releases a NIC, and a bridge it must never touch unless named.
import { DEFAULT_RESOLV_CONF } from '../../src/api/constants.js';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { run } from '../../src/util/exec.js';
import { deleteNamespace, freshNamespace } from '../../lab/client/index.js';

export const NICS = ['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5'] as const;
export const FOREIGN_BRIDGE = 'foreign0';
/**
 * The namespace's resolv.conf, as /etc/netns/<ns>/resolv.conf: `ip netns exec` bind-mounts it on
 * /etc/resolv.conf for the trial process, so the handler and the observer both use it as they
 * would /etc/resolv.conf on a node, and the machine's own file is never written.
 */
export const HOST_RESOLV = 'search fuzz.invalid\nnameserver 10.252.0.53\n';
export const RESOLV_CONF = DEFAULT_RESOLV_CONF;

export function namespaceBatch(): string {
  const lines = ['link set lo up'];
  NICS.forEach((nic, i) => {
    lines.push(`link add ${nic} type veth peer name peer${i}`, `link set peer${i} up`);
    // eth4 stays down: a NIC the handler takes must be put back down when released.
    if (nic !== 'eth4') lines.push(`link set ${nic} up`);
  });
  // eth5 had an address and a jumbo MTU before the handler came; both must come back on release.
  lines.push('link set eth5 mtu 9000', 'addr add 10.250.5.1/24 dev eth5');
  lines.push(`link add ${FOREIGN_BRIDGE} type bridge`, `link set ${FOREIGN_BRIDGE} up`, `addr add 10.251.0.1/24 dev ${FOREIGN_BRIDGE}`);
  return lines.join('\n') + '\n';
}

/** What `ip netns exec` bind-mounts over /etc for the namespace's processes. */
function netnsEtc(ns: string): string {
  return `/etc/netns/${ns}`;
}

/** The file the trial process sees as RESOLV_CONF. */
export function netnsResolvConf(ns: string): string {
  return `${netnsEtc(ns)}/resolv.conf`;
}

/** The namespace as created: namespaceBatch's devices and HOST_RESOLV (one of the same name replaced). */
export async function createNamespace(ns: string): Promise<void> {
  await freshNamespace(ns);
  await run(['ip', '-n', ns, '-batch', '-'], { input: namespaceBatch() });
  await mkdir(netnsEtc(ns), { recursive: true });
  await writeFile(netnsResolvConf(ns), HOST_RESOLV);
}

export async function removeNamespace(ns: string): Promise<void> {
  await deleteNamespace(ns);
  await rm(netnsEtc(ns), { recursive: true, force: true });
}
