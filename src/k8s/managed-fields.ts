// What the API server adds to an object for each writer: a metadata.managedFields entry whose
// fieldsV1 names every field the writer set (server-side field management, structured-merge-
// diff). It is stored with the object, so it counts against the object's size like the fields
// themselves: for a status of thousands of devices it is a third of the object. Estimated here
// from the written value, erring large: "." (the writer owns the node itself) on every nested
// object; lists atomic unless named as list maps (key field) or sets, objects granular unless
// named atomic, as the CRD declares them.

export interface FieldsShape {
  /** Lists whose items are objects keyed by this field (x-kubernetes-list-type: map), by field name. */
  listMaps?: Readonly<Record<string, string>>;
  /** Lists of scalars kept as sets (x-kubernetes-list-type: set), by field name. */
  sets?: readonly string[];
  /** Objects owned as one value (x-kubernetes-map-type: atomic), by field name. */
  atomic?: readonly string[];
}

export type FieldSet = { [key: string]: FieldSet };

/** The fieldsV1 of a value written as field `name`'s content. */
export function fieldSet(value: unknown, shape: FieldsShape = {}, name = ''): FieldSet {
  if (Array.isArray(value)) {
    const key = shape.listMaps?.[name];
    if (key !== undefined) {
      return Object.fromEntries(
        value.map((item) => [
          `k:${JSON.stringify({ [key]: (item as Record<string, unknown>)[key] })}`,
          { '.': {}, ...fieldSet(item, shape) },
        ]),
      );
    }
    if (shape.sets?.includes(name)) return Object.fromEntries(value.map((item) => [`v:${JSON.stringify(item)}`, {}]));
    return {};
  }
  if (typeof value !== 'object' || value === null) return {};
  const out: FieldSet = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (shape.atomic?.includes(k)) {
      out[`f:${k}`] = {};
      continue;
    }
    const sub = fieldSet(v, shape, k);
    out[`f:${k}`] = typeof v === 'object' && v !== null && !Array.isArray(v) ? { '.': {}, ...sub } : sub;
  }
  return out;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Update' | 'Apply';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldSet;
  subresource?: string;
}

/** The entry a writer of `fields` (the top-level fields of the object or of a subresource) gets. */
export function managedFieldsEntry(
  o: { manager: string; operation?: 'Update' | 'Apply'; apiVersion: string; subresource?: string; time?: string },
  fields: Record<string, unknown>,
  shape: FieldsShape = {},
): ManagedFieldsEntry {
  return {
    manager: o.manager,
    operation: o.operation ?? 'Update',
    apiVersion: o.apiVersion,
    time: o.time ?? '2026-01-01T00:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: fieldSet(fields, shape),
    ...(o.subresource ? { subresource: o.subresource } : {}),
  };
}
