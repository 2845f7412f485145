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

// ---- the OvirtNetworkPolicy API (the fleet layer) ----
export const POLICY_KIND = 'OvirtNetworkPolicy';
export const POLICY_PLURAL = 'ovirtnetworkpolicies';
export const POLICY_SINGULAR = 'ovirtnetworkpolicy';
export const POLICY_SHORT_NAMES: readonly string[] = ['onp'];
export const POLICY_CRD_NAME = `${POLICY_PLURAL}.${GROUP}`;
/** A policy's name is a label/annotation name part (the annotation on each node's object). */
export const POLICY_NAME_MAX = 63;
/** The controller: its CLI verb's program name, event source and lease name. */
export const CONTROLLER_NAME = 'ovirt-network-policy-controller';
/** The controller's /metrics, /healthz and /readyz (the agent's are on 9187). */
export const CONTROLLER_METRICS_PORT = 9188;
/** Server-side apply field manager of one policy: `<prefix><policy name>`. */
export const POLICY_MANAGER_PREFIX = 'ovirt-network-policy/';
/**
 * On each node's object, one annotation per policy, `<prefix><policy name>`: the policy
 * generation that last changed the node's spec, or REMOVED_MARK while a removal rolls out.
 */
export const POLICY_ANNOTATION_PREFIX = 'network-policy.ovirt.org/';
export const REMOVED_MARK = 'removed';
/** Holds a deleted policy until its networks and bonds are gone from every node. */
export const POLICY_FINALIZER = 'ovirt.org/network-policy-cleanup';
/**
 * The Node taint of a required policy (spec.required) on a node lacking its networks: value the
 * policy's name, effect NoSchedule. The controller owns this key on every Node and no other field.
 */
export const NETWORK_UNAVAILABLE_TAINT = 'ovirt.org/network-unavailable';
/** status.failedNodes lists at most this many nodes (the counts cover all of them). */
export const FAILED_NODES_MAX = 20;

/** spec.rollout.canary.gateTimeoutSeconds when absent: a gate without its input this long fails. */
export const GATE_TIMEOUT_DEFAULT = 300;
/** The unknown gates status.canary.unknownGates tracks at once. */
export const GATE_WAITS_MAX = 100;
