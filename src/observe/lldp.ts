// What a switch announces over LLDP, from lldpd's own rendering of it (`lldpcli -f json0 show
// neighbors details`, json0 being lldpcli's stable JSON shape) to VDSM's Host.getLldp shape:
// per NIC {enabled, tlvs: [{type, name, properties[, oui, subtype]}]} with the names and property
// keys of VDSM's lldptool parser (lib/vdsm/network/lldpad/lldptool.py). Pure.
//
// The text is untrusted: the switch on the other end of the cable chooses every string in it.
// The parser checks the shape it reads (a field of the wrong type is an error naming its path),
// reads only own properties (a key named "constructor" or "__proto__" is data, never Object's),
// keeps only the NICs it is told about, cuts every string at LLDP_STRING_MAX and every list at a
// bound, and never interprets a value. Escaping for a terminal is the display's (printableText).
import { LLDP_STRING_MAX, LLDP_TLVS_MAX, type Lldp, type LldpInfo, type LldpTlv } from '../api/status.js';

/** IEEE 802.1 and 802.3 organizationally unique identifiers (VDSM's OUI class). */
export const OUI_IEEE8021 = 0x0080c2;
export const OUI_IEEE8023 = 0x00120f;

/** Neighbor entries read per NIC, VLAN names kept per NIC, interface entries read in all. */
export const LLDP_NEIGHBORS_MAX = 4;
export const LLDP_VLANS_MAX = 32;
export const LLDP_INTERFACES_MAX = 4096;

/** lldpd's ID subtypes (lldpctl's names) as lldptool prints them, which is what VDSM reports. */
const ID_SUBTYPES: ReadonlyMap<string, string> = new Map([
  ['mac', 'MAC'],
  ['ifname', 'Ifname'],
  ['ifalias', 'Ifalias'],
  ['local', 'Local'],
  ['ip', 'IP'],
]);

export class LldpParseError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`lldpcli output: ${path}: ${reason}`);
    this.name = 'LldpParseError';
  }
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property, or undefined: an inherited name (constructor, toString, __proto__) is never read. */
function own(o: Record<string, Json>, key: string): Json {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function cut(s: string): string {
  if (s.length <= LLDP_STRING_MAX) return s;
  // Cut by code points so a surrogate pair is never split into a lone half; only the kept
  // prefix is walked, whatever the length of the rest.
  let end = 0;
  for (let n = 0; n < LLDP_STRING_MAX && end < s.length; n++) end += s.codePointAt(end)! > 0xffff ? 2 : 1;
  return s.slice(0, end);
}

/** json0 renders every child as a list of objects: the list at key, or [] when absent. */
function list(o: Record<string, Json>, key: string, path: string, max: number): Record<string, Json>[] {
  const v = own(o, key);
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new LldpParseError(`${path}.${key}`, 'not a list');
  const out: Record<string, Json>[] = [];
  for (let i = 0; i < Math.min(v.length, max); i++) {
    const e: Json = v[i];
    if (!isObject(e)) throw new LldpParseError(`${path}.${key}[${i}]`, 'not an object');
    out.push(e);
  }
  return out;
}

/** A string attribute, or undefined when absent. */
function text(o: Record<string, Json>, key: string, path: string): string | undefined {
  const v = own(o, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new LldpParseError(`${path}.${key}`, 'not a string');
  return cut(v);
}

/** A boolean attribute (json0 turns lldpcli's yes/on into true), or undefined when absent. */
function bool(o: Record<string, Json>, key: string, path: string): boolean | undefined {
  const v = own(o, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new LldpParseError(`${path}.${key}`, 'not a boolean');
  return v;
}

/** The value of the first element of a data tag (`"name": [{"value": "..."}]`). */
function datum(o: Record<string, Json>, key: string, path: string): string | undefined {
  const [first] = list(o, key, path, 1);
  return first ? text(first, 'value', `${path}.${key}[0]`) : undefined;
}

function tlv(type: number, name: string, properties: Record<string, string>): LldpTlv {
  return { type, name, properties };
}

function orgTlv(oui: number, subtype: number, name: string, properties: Record<string, string>): LldpTlv {
  return { type: 127, name, properties, oui, subtype };
}

/** An ID ("id": [{"type": "mac", "value": "..."}]) as VDSM's subtype/value pair. */
function idProperties(o: Record<string, Json>, path: string, label: string): Record<string, string> | undefined {
  const [id] = list(o, 'id', path, 1);
  if (!id) return undefined;
  const p = `${path}.id[0]`;
  const value = text(id, 'value', p) ?? '';
  const sub = text(id, 'type', p) ?? '';
  return { [`${label} subtype`]: ID_SUBTYPES.get(sub) ?? 'Unknown', [label]: value };
}

function chassisTlvs(chassis: Record<string, Json>, path: string): { first: LldpTlv[]; rest: LldpTlv[] } {
  const first: LldpTlv[] = [];
  const rest: LldpTlv[] = [];
  const id = idProperties(chassis, path, 'chassis ID');
  if (id) first.push(tlv(1, 'Chassis ID', id));
  const name = datum(chassis, 'name', path);
  if (name !== undefined) rest.push(tlv(5, 'System Name', { 'system name': name }));
  const descr = datum(chassis, 'descr', path);
  if (descr !== undefined) rest.push(tlv(6, 'System Description', { 'system description': descr }));
  const caps = list(chassis, 'capability', path, 16).map((c, i) => ({
    type: text(c, 'type', `${path}.capability[${i}]`) ?? '',
    enabled: bool(c, 'enabled', `${path}.capability[${i}]`) === true,
  }));
  if (caps.length) {
    rest.push(
      tlv(7, 'System Capabilities', {
        'system capabilities': cut(caps.map((c) => c.type).join(', ')),
        'enabled capabilities': cut(
          caps
            .filter((c) => c.enabled)
            .map((c) => c.type)
            .join(', '),
        ),
      }),
    );
  }
  const ips = list(chassis, 'mgmt-ip', path, 4);
  const ifaces = list(chassis, 'mgmt-iface', path, 4);
  ips.forEach((ip, i) => {
    const address = text(ip, 'value', `${path}.mgmt-ip[${i}]`) ?? '';
    const iface = ifaces[i] ? text(ifaces[i], 'value', `${path}.mgmt-iface[${i}]`) : undefined;
    rest.push(
      tlv(8, 'Management Address', {
        'management address subtype': address.includes(':') ? 'IPv6' : 'IPv4',
        'management address': address,
        ...(iface !== undefined ? { 'interface numbering subtype': 'Ifindex', 'interface numbering': iface } : {}),
      }),
    );
  });
  return { first, rest };
}

/** One neighbor entry of one interface as VDSM's TLV list (lldptool's order: chassis, port, TTL, ...). */
export function neighborTlvs(n: Record<string, Json>, path: string): LldpTlv[] {
  const [chassis] = list(n, 'chassis', path, 1);
  const [port] = list(n, 'port', path, 1);
  const c = chassis ? chassisTlvs(chassis, `${path}.chassis[0]`) : { first: [], rest: [] };
  const out: LldpTlv[] = [...c.first];
  const pp = `${path}.port[0]`;
  const org: LldpTlv[] = [];
  if (port) {
    const id = idProperties(port, pp, 'port ID');
    if (id) out.push(tlv(2, 'Port ID', id));
    const ttl = datum(port, 'ttl', pp);
    if (ttl !== undefined) out.push(tlv(3, 'Time to Live', { 'time to live': ttl }));
    const descr = datum(port, 'descr', pp);
    if (descr !== undefined) out.push(tlv(4, 'Port Description', { 'port description': descr }));
    const agg = datum(port, 'aggregation', pp);
    if (agg !== undefined) {
      // lldpd shows the TLV only for a port that is aggregated (its aggregation ID is not 0).
      org.push(
        orgTlv(OUI_IEEE8021, 7, 'Link Aggregation', {
          'Aggregation capable': 'True',
          'Currently aggregated': 'True',
          'Aggregated Port ID': agg,
        }),
      );
    }
    const mfs = datum(port, 'mfs', pp);
    if (mfs !== undefined) org.push(orgTlv(OUI_IEEE8023, 4, 'MTU', { mtu: mfs }));
  }
  out.push(...c.rest);
  out.push(...org);
  const vlans = list(n, 'vlan', path, LLDP_VLANS_MAX);
  vlans.forEach((v, i) => {
    const vp = `${path}.vlan[${i}]`;
    const vid = text(v, 'vlan-id', vp) ?? '';
    if (bool(v, 'pvid', vp) === true) out.push(orgTlv(OUI_IEEE8021, 1, 'Port VLAN ID', { 'Port VLAN ID': vid }));
    const name = text(v, 'value', vp);
    if (name !== undefined) out.push(orgTlv(OUI_IEEE8021, 3, 'VLAN Name', { 'VLAN ID': vid, 'VLAN Name': name }));
  });
  return out.slice(0, LLDP_TLVS_MAX);
}

/**
 * status.lldp from lldpcli's json0 output: every NIC of `nics` gets an entry; `enabled` says
 * whether the LLDP daemon listens on it, `tlvs` what its first neighbor announces. Interface
 * entries of other names are ignored (lldpd listens only where it was told, but its output is
 * not trusted to say so).
 */
export function parseLldpNeighbors(jsonText: string, nics: readonly string[], enabled: ReadonlySet<string>): Lldp {
  let doc: Json;
  try {
    doc = JSON.parse(jsonText);
  } catch (e) {
    throw new LldpParseError('(document)', `not JSON (${(e as Error).message})`);
  }
  if (!isObject(doc)) throw new LldpParseError('(document)', 'not an object');
  const wanted = new Set(nics);
  const heard = new Map<string, LldpTlv[]>();
  const counts = new Map<string, number>();
  for (const [li, l] of list(doc, 'lldp', '', 1).entries()) {
    for (const [i, entry] of list(l, 'interface', `lldp[${li}]`, LLDP_INTERFACES_MAX).entries()) {
      const path = `lldp[${li}].interface[${i}]`;
      const name = text(entry, 'name', path);
      if (name === undefined) throw new LldpParseError(`${path}.name`, 'missing');
      if (!wanted.has(name) || !enabled.has(name)) continue;
      const seen = (counts.get(name) ?? 0) + 1;
      counts.set(name, seen);
      if (seen > LLDP_NEIGHBORS_MAX) continue;
      // The first neighbor is reported, as VDSM reports lldptool's one; the rest are checked.
      const tlvs = neighborTlvs(entry, path);
      if (!heard.has(name)) heard.set(name, tlvs);
    }
  }
  return lldpFor(nics, enabled, heard);
}

/** The status entries of `nics` from what was heard (nothing heard on a NIC: tlvs []). */
export function lldpFor(
  nics: readonly string[],
  enabled: ReadonlySet<string>,
  heard: ReadonlyMap<string, LldpTlv[]>,
): Lldp {
  return Object.fromEntries(
    [...new Set(nics)]
      .sort()
      .map((nic): [string, LldpInfo] => [
        nic,
        { enabled: enabled.has(nic), tlvs: enabled.has(nic) ? (heard.get(nic) ?? []) : [] },
      ]),
  );
}

/** A TLV's property by VDSM's name and key, as tree and alerts read a NIC's entry. */
export function lldpProperty(info: LldpInfo | undefined, name: string, key: string): string | undefined {
  const t = info?.tlvs.find((x) => x.name === name);
  return t && Object.hasOwn(t.properties, key) ? t.properties[key] : undefined;
}

/** The switch and its port as one line's parts: system name (else chassis ID) and port description (else port ID). */
export function lldpNeighbor(info: LldpInfo | undefined): { switch: string; port: string } | undefined {
  if (!info?.tlvs.length) return undefined;
  const sw = lldpProperty(info, 'System Name', 'system name') ?? lldpProperty(info, 'Chassis ID', 'chassis ID');
  const port = lldpProperty(info, 'Port Description', 'port description') ?? lldpProperty(info, 'Port ID', 'port ID');
  if (sw === undefined && port === undefined) return undefined;
  return { switch: sw ?? '', port: port ?? '' };
}
