// The OvirtNodeNetwork CustomResourceDefinition, generated from the zod schemas so the API
// server, `kubectl explain` and the agent agree. zod's JSON Schema output is turned into a
// structural OpenAPI v3 schema: no `additionalProperties: false` (forbidden next to properties),
// no propertyNames, no defaults (the stored spec stays as written; the admission policy also
// relies on an agent-created spec staying empty), and no JS safe-integer bounds.
import { z } from 'zod';
import { stringify } from 'yaml';
import { CRD_NAME, GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './constants.js';
import { SpecSchema } from './spec.js';
import { StatusSchema } from './status.js';

type Json = Record<string, unknown>;

const DROP_KEYS = new Set(['$schema', 'propertyNames', 'default', 'id']);
const SAFE_INT = Number.MAX_SAFE_INTEGER;

/** Recursively rewrites zod's JSON Schema into the subset a structural CRD schema accepts. */
export function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (DROP_KEYS.has(k)) continue;
    if (k === 'additionalProperties' && v === false) continue;
    if ((k === 'minimum' && v === -SAFE_INT) || (k === 'maximum' && v === SAFE_INT)) continue;
    // zod adds a regex for date-time; the format says it and the API server checks the format.
    if (k === 'pattern' && (node as Json).format === 'date-time') continue;
    out[k] = k === 'x-kubernetes-validations' || k === 'enum' || k === 'required' || k === 'x-kubernetes-list-map-keys' ? v : toStructural(v);
  }
  return out;
}

export function jsonSchemaOf(schema: z.ZodType): Json {
  return toStructural(z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'throw' })) as Json;
}

export const PRINTER_COLUMNS = [
  { name: 'Available', type: 'string', jsonPath: '.status.conditions[?(@.type=="Available")].status', description: 'Whether the spec is applied.' },
  { name: 'Progressing', type: 'string', jsonPath: '.status.conditions[?(@.type=="Progressing")].status', description: 'Whether an apply is under way.' },
  { name: 'Degraded', type: 'string', jsonPath: '.status.conditions[?(@.type=="Degraded")].status', description: 'Whether the last apply failed.' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Available")].reason', description: 'Why the node is (not) available.' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age of the object.' },
];

export function buildCrd(): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD_NAME },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: SINGULAR, shortNames: SHORT_NAMES },
      scope: 'Cluster',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: PRINTER_COLUMNS,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'Host networking of one node (the object is named after the node), in VDSM setupNetworks vocabulary: spec says which networks and bonds the node must have; status shows what it has and how the last apply went.',
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
                kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
                metadata: { type: 'object' },
                spec: jsonSchemaOf(SpecSchema),
                status: jsonSchemaOf(StatusSchema),
              },
            },
          },
        },
      ],
    },
  };
}

export const CRD_HEADER = '# Generated from src/api by `npm run gen:crd`; do not edit.\n';

export function crdYaml(): string {
  return CRD_HEADER + stringify(buildCrd(), { lineWidth: 0, version: '1.1' });
}
