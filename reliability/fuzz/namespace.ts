// The host the trials run on: veth NICs (the handler's NIC rule counts veth), peers kept in the
// same namespace and up so the NICs have carrier as real ones would. Some pre-existing state the
// handler must give back when it releases a NIC, and a bridge it must never touch unless named.
export const NICS = ['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5'] as const;
export const FOREIGN_BRIDGE = 'foreign0';
/**
 * The namespace's resolv.conf, as /etc/netns/<ns>/resolv.conf: `ip netns exec` bind-mounts it on
 * /etc/resolv.conf for the trial process, so the handler and the observer both use it as they
 * would /etc/resolv.conf on a node, and the machine's own file is never written.
 */
export const HOST_RESOLV = 'search fuzz.invalid\nnameserver 10.252.0.53\n';
export const RESOLV_CONF = '/etc/resolv.conf';

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
