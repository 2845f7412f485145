// The one name rule for every name that becomes (or names) a kernel device: network names (a
// bridged network's bridge), bond names, and the NICs a spec names (a network's nic and bonding,
// a bond's nics; a policy's alike). Stated once here; the zod schemas (src/api/spec.ts), the
// CRD's CEL rules generated from them, validation (src/plan/validate.ts) and the tests all
// derive from these constants, so the API server, the CLI and the agent refuse the same names.
//
// The rule: 1 to 15 ASCII letters, digits, "_" and "-", starting with a letter or a digit; not
// one of a few names the kernel or iproute2 give a meaning; not "if" followed by a number. Bonds
// are "bond" followed by letters, digits or "_" on top of that (VDSM's bond rule).
//
// Why so strict. The kernel's own rule (net/core/dev.c dev_valid_name) only refuses "", ".",
// "..", names of 16 bytes or more, and '/', ':' and whitespace: it takes ESC, BEL, DEL, quotes,
// backslashes, '#' and any byte above 0x7f. VDSM refuses less still for bridges (":", ".",
// space and tab, a leading "-"). Each extra character class had a concrete cost here:
//   - control characters: `ip -json` prints device names raw, so one made every host read fail
//     (JSON.parse: "Bad control character in string literal"), and in a terminal they are
//     escape sequences;
//   - '"', "'", '\\', '#', whitespace: `ip -batch` lines have no escapes, '#' starts a comment
//     anywhere, a leading quote opens a quoted word, a trailing '\\' joins the next line
//     (src/apply/ops.ts batchLine); a shell splits and expands them;
//   - '/', '.', "..": sysfs and procfs paths are built from device names;
//   - '%': the kernel takes a name with one as a template ("br%d" makes br0, br1...), so the
//     device made is not named as asked;
//   - '.': VDSM's VLAN separator — a NIC or bridge named "eth0.10" would take the name of VLAN
//     10 on eth0 (src/model/device-names.ts), and the handler's NIC rule never counts the devices that
//     carry a '.' by convention (VLANs, IPoIB children) as NICs;
//   - non-ASCII: the kernel limit is 15 bytes, not characters, iproute2 and sysfs pass bytes
//     that are not always UTF-8, and look-alike characters make two names read the same;
//   - a leading '-' reads as an option to most tools; a leading '_' is kept out with it so the
//     first character is always alphanumeric.
// Names refused although made of allowed characters:
//   - "all" and "default" (the kernel refuses them: /proc/sys/net/ipv{4,6}/conf/{all,default}),
//     "lo" (the loopback device), "bonding_masters" (the bonding driver's control file in
//     /sys/class/net: a device of that name breaks loading the bonding driver);
//   - "if" + a number ("if2", "if-3x"): when no device has such a name, iproute2 reads it as the
//     device with that ifindex (lib/ll_map.c ll_name_to_index falls back to sscanf "if%u"), so
//     `ip link del dev if2` in an undo after the bridge "if2" was never made deletes device 2.
import { IFNAME_MAX } from './constants.js';

/** The longest device name: IFNAMSIZ - 1 bytes (ASCII only, so also characters). */
export const DEVICE_NAME_MAX = IFNAME_MAX;

/** Regex source of the characters of a device name, first one apart (RE2 and JavaScript alike). */
export const DEVICE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]*$';
/** Names iproute2 may read as an interface index (ll_idx_a2n: sscanf "if%u", which takes a sign). */
export const IF_INDEX_PATTERN = '^if-?[0-9]';
/** Names the kernel, sysfs or procfs already give a meaning to. */
export const RESERVED_DEVICE_NAMES: readonly string[] = ['all', 'bonding_masters', 'default', 'lo'];
/** VDSM's bond rule (netswitch/validator.py), on top of the device rule. */
export const BOND_NAME_PATTERN = '^bond[A-Za-z0-9_]+$';

const DEVICE_NAME_RE = new RegExp(DEVICE_NAME_PATTERN);
const NAME_CHAR_RE = /^[A-Za-z0-9_-]$/;
const IF_INDEX_RE = new RegExp(IF_INDEX_PATTERN);
const BOND_NAME_RE = new RegExp(BOND_NAME_PATTERN);
const RESERVED = new Set(RESERVED_DEVICE_NAMES);

/** The rule in one sentence, for messages and descriptions. */
export const DEVICE_NAME_RULE =
  `1 to ${DEVICE_NAME_MAX} ASCII letters, digits, "_" or "-", starting with a letter or a digit; not ` +
  `${RESERVED_DEVICE_NAMES.map((n) => `"${n}"`).join(', ')}, nor "if" followed by a number`;
export const BOND_NAME_RULE =
  `"bond" followed by letters, digits or "_", at most ${DEVICE_NAME_MAX} characters, ` + 'not "bonding_masters"';

/**
 * A string as a double-quoted JSON string in which everything but printable ASCII is a \u
 * escape: safe to print in a terminal, a log line or a Kubernetes message, whatever it holds
 * (JSON.stringify would leave DEL, C1 controls, bidi overrides and look-alikes raw).
 */
export function quoteName(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/**
 * A device name for a terminal: as it is when printable ASCII, else quoted with everything else
 * escaped (the kernel takes ESC and other control characters in names, which a terminal would
 * run as escape sequences).
 */
export function printableName(name: string): string {
  return /^[\x21-\x7e]+$/.test(name) && !/["\\]/.test(name) ? name : quoteName(name);
}

/**
 * Any other reported text (an address, a state, bond options) for a terminal: as it is when
 * printable ASCII, spaces included, else quoted and escaped as a name is.
 */
export function printableText(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : quoteName(text);
}

/** A character of a name for a message: itself when printable ASCII, else its code point. */
function describeChar(s: string, i: number): string {
  const cp = s.codePointAt(i)!;
  const ch = String.fromCodePoint(cp);
  return cp >= 0x21 && cp < 0x7f
    ? `"${ch}"`
    : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}${cp === 0x20 ? ' (space)' : ''}`;
}

/**
 * A name rule as data: the characters, the first character, the length limit and the names
 * refused although made of allowed characters. One checker (nameProblem) runs every rule, so a
 * device name and a feature name are refused in the same order with messages of one shape.
 */
interface NameRule {
  /** "device", "feature": the word in messages. */
  what: string;
  /** The rule in one sentence. */
  rule: string;
  /** Tests one character (a UTF-16 unit: anything outside ASCII fails). */
  char: RegExp;
  /** Tests the whole name once every character passed: its first character's class. */
  start: RegExp;
  /** What the first character must be, for the message. */
  startText: string;
  max: number;
  /** Why the limit, for the message. */
  maxWhy: string;
  /** Names of allowed characters refused all the same, with the reason. */
  refused?: (name: string) => string | undefined;
}

function nameProblem(r: NameRule, name: string): string | undefined {
  if (name.length === 0) return `a ${r.what} name must not be empty`;
  const q = quoteName(name);
  for (let i = 0; i < name.length; i++) {
    if (!r.char.test(name[i]!)) return `${q} has the character ${describeChar(name, i)}: a ${r.what} name is ${r.rule}`;
  }
  if (!r.start.test(name)) return `${q} must start with ${r.startText}`;
  if (name.length > r.max) return `${q} is longer than ${r.max} characters (${r.maxWhy})`;
  const why = r.refused?.(name);
  return why === undefined ? undefined : `${q} ${why}`;
}

const DEVICE_RULE: NameRule = {
  what: 'device',
  rule: DEVICE_NAME_RULE,
  char: NAME_CHAR_RE,
  start: DEVICE_NAME_RE,
  startText: 'a letter or a digit',
  max: DEVICE_NAME_MAX,
  maxWhy: "the kernel's limit for a device name",
  refused: (name) =>
    RESERVED.has(name)
      ? 'is reserved: the kernel, sysfs or procfs already give this name a meaning'
      : IF_INDEX_RE.test(name)
        ? 'starts with "if" and a number, which iproute2 reads as an interface index when no device has the name'
        : undefined,
};

/** Why a name cannot be a device name (network, NIC or bond), or undefined when it can. */
export function deviceNameProblem(name: string): string | undefined {
  return nameProblem(DEVICE_RULE, name);
}

export const isDeviceName = (name: string): boolean => deviceNameProblem(name) === undefined;

/** Why a name cannot be a bond's, or undefined. */
export function bondNameProblem(name: string): string | undefined {
  return (
    deviceNameProblem(name) ??
    (BOND_NAME_RE.test(name) ? undefined : `bond name ${quoteName(name)} must be ${BOND_NAME_RULE}`)
  );
}

export const isBondName = (name: string): boolean => bondNameProblem(name) === undefined;

/** The device rule as a CEL expression on the string `v` (a map key variable, or `self`). */
export function deviceNameCel(v: string): string {
  return (
    `${v}.size() <= ${DEVICE_NAME_MAX} && ${v}.matches('${DEVICE_NAME_PATTERN}') && ` +
    `!${v}.matches('${IF_INDEX_PATTERN}')` +
    ` && !(${v} in [${RESERVED_DEVICE_NAMES.map((n) => `'${n}'`).join(', ')}])`
  );
}

/** The bond rule as a CEL expression on `v`. */
export function bondNameCel(v: string): string {
  return `${deviceNameCel(v)} && ${v}.matches('${BOND_NAME_PATTERN}')`;
}

// ---- ethtool feature names (spec.nics.NIC.ethtoolOpts.features) ----
//
// A feature name reaches `ethtool -K DEV NAME on|off` as one argv word (never a shell) and keys
// the kernel's feature table (net/ethtool/common.c netdev_features_strings: lower-case ASCII
// letters, digits, "-" and "_", e.g. "tx-udp_tnl-segmentation"). The rule is exactly that
// alphabet, starting with a letter (so never an option such as "-K"), at most ETH_GSTRING_LEN - 1
// bytes; whether the NIC has the feature and may change it is the host's to say (validate.ts).

/** ETH_GSTRING_LEN - 1: the longest string the kernel's ethtool string sets hold. */
export const FEATURE_NAME_MAX = 31;
export const FEATURE_NAME_PATTERN = '^[a-z][a-z0-9_-]*$';
const FEATURE_NAME_RE = new RegExp(FEATURE_NAME_PATTERN);
const FEATURE_CHAR_RE = /^[a-z0-9_-]$/;
export const FEATURE_NAME_RULE =
  `1 to ${FEATURE_NAME_MAX} lower-case ASCII letters, digits, "_" or "-", starting with a letter ` +
  "(the kernel's feature names as `ethtool -k` lists them)";

const FEATURE_RULE: NameRule = {
  what: 'feature',
  rule: FEATURE_NAME_RULE,
  char: FEATURE_CHAR_RE,
  start: FEATURE_NAME_RE,
  startText: 'a letter',
  max: FEATURE_NAME_MAX,
  maxWhy: "the kernel's limit for a feature name",
};

/** Why a name cannot be an ethtool feature name, or undefined when it can. */
export function featureNameProblem(name: string): string | undefined {
  return nameProblem(FEATURE_RULE, name);
}

export const isFeatureName = (name: string): boolean => featureNameProblem(name) === undefined;

/** The feature-name rule as a CEL expression on `v`. */
export function featureNameCel(v: string): string {
  return `${v}.size() <= ${FEATURE_NAME_MAX} && ${v}.matches('${FEATURE_NAME_PATTERN}')`;
}

// ---- ethtool ring and coalescing parameters (spec.nics.NIC.ethtoolOpts.rings / .coalesce) ----
//
// A fixed vocabulary, ethtool's own -G and -C argument names as VDSM's ethtool_opts passes them
// ("--coalesce em1 rx-usecs 14"): the schemas take exactly these keys, model/ethtool-params.ts
// parses and sets exactly these, so no other word reaches an ethtool argv.

/** Ring names of `ethtool -G` and the labels `ethtool -g` prints them under. */
export const RING_LABELS = { rx: 'RX', 'rx-mini': 'RX Mini', 'rx-jumbo': 'RX Jumbo', tx: 'TX' } as const;
export type RingName = keyof typeof RING_LABELS;
export const RING_NAMES = Object.keys(RING_LABELS) as RingName[];

/** The numeric parameters of `ethtool -C`, in the order `ethtool -c` prints them. */
export const COALESCE_NUMBERS = [
  'stats-block-usecs',
  'sample-interval',
  'pkt-rate-low',
  'pkt-rate-high',
  'rx-usecs',
  'rx-frames',
  'rx-usecs-irq',
  'rx-frames-irq',
  'tx-usecs',
  'tx-frames',
  'tx-usecs-irq',
  'tx-frames-irq',
  'rx-usecs-low',
  'rx-frames-low',
  'tx-usecs-low',
  'tx-frames-low',
  'rx-usecs-high',
  'rx-frames-high',
  'tx-usecs-high',
  'tx-frames-high',
] as const;
/** The on/off parameters of `ethtool -C`. */
export const COALESCE_SWITCHES = ['adaptive-rx', 'adaptive-tx'] as const;
export type CoalesceName = (typeof COALESCE_NUMBERS)[number] | (typeof COALESCE_SWITCHES)[number];
export const COALESCE_NAMES: readonly CoalesceName[] = [...COALESCE_SWITCHES, ...COALESCE_NUMBERS];

/** The kernel's ring sizes and coalescing values are u32. */
export const U32_MAX = 0xffff_ffff;

/** The smallest ring size taken: a ring of 0 descriptors carries nothing. */
export const RING_MIN = 1;
