// Lookups by a key that comes from a policy or an object (a label key, a network name, a field
// manager's entry): only the object's own properties count. A plain `obj[key]` with key
// "constructor" or "__proto__" reads Object.prototype, which made one policy crash the
// controller (issue 23). Every such lookup in the fleet core goes through here or through a Map.

/** `obj[key]` when `obj` is an object that has `key` as its own property; else undefined. */
export function own<V = unknown>(obj: Readonly<Record<string, V>> | null | undefined, key: string): V | undefined;
export function own(obj: unknown, key: string): unknown;
export function own(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null && Object.hasOwn(obj, key)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}

/** Whether `obj` is an object with `key` as its own property. */
export function hasOwnKey(obj: unknown, key: string): boolean {
  return typeof obj === 'object' && obj !== null && Object.hasOwn(obj, key);
}

/** The own enumerable entries of a value that should be a map (none when it is not an object, or is an array). */
export function ownEntries(obj: unknown): [string, unknown][] {
  return typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? Object.entries(obj) : [];
}

/** A string-valued map (labels, annotations) as a Map: nothing else, nothing inherited. */
export function stringMap(obj: unknown): Map<string, string> {
  return new Map(ownEntries(obj).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
