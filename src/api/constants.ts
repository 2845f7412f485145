// Facts every layer shares, stated once: the API's identifiers, the handler's default paths, and
// the kernel limits and VDSM defaults that the spec schema, validation, canonicalization and the
// compiler must agree on (a mismatch would let one stage accept what another then rejects).

// ---- the OvirtNodeNetwork API ----
export const GROUP = 'ovirt.org';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'OvirtNodeNetwork';
export const PLURAL = 'ovirtnodenetworks';
export const SINGULAR = 'ovirtnodenetwork';
export const SHORT_NAMES: readonly string[] = ['onn'];
/** The CRD's metadata.name, as the API server requires it: <plural>.<group>. */
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** The program's name: the CLI, the API field manager, user agent and event source. */
export const HANDLER_NAME = 'ovirt-node-network-handler';

// ---- paths on a node ----
/** The running config, journal, origins and DHCP client state (a hostPath in the DaemonSet). */
export const DEFAULT_STATE_DIR = `/var/lib/${HANDLER_NAME}`;
/** The resolv.conf the handler reads the host's resolvers from and writes its nameservers to. */
export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';
/** Where the kernel lists network devices. */
export const SYS_CLASS_NET = '/sys/class/net';

// ---- kernel limits and VDSM defaults ----
/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;
/** VDSM's MTU for a network that sets none, and of a southbound that carries no network. */
export const DEFAULT_MTU = 1500;
/** Below 1280 the kernel drops a device's IPv6 settings (RFC 8200 minimum link MTU). */
export const MIN_IPV6_MTU = 1280;
/**
 * The link group a transaction moves the devices it deletes into, to delete them all with one
 * `ip link del group` (src/apply/compile/group-delete.ts): "ovnh" in ASCII. iproute2 takes
 * groups 1…2147483647 (it refuses larger ones as invalid), as systemd-networkd's Group= does, so
 * no number is out of other tools' reach: this one has no conventional meaning, no device is in
 * it between transactions (only inside the batch that deletes it), and a foreign device found in
 * it (or in a named group that could be it) keeps the deletes per device.
 */
export const DELETE_LINK_GROUP = 0x6f766e68;
