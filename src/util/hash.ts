// Stable short hashes for derived kernel names and ids. Whatever is derived from a hash (a VLAN
// device name, a routing table id) must be the same on every run and every node, so the hash is
// fixed here once.

/** FNV-1a, 32 bit, over the string's UTF-16 code units (not its UTF-8 bytes): unsigned. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
