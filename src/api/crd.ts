// The CustomResourceDefinitions (OvirtNodeNetwork, OvirtNetworkPolicy), generated from the zod
// schemas so the API server, `kubectl explain`, the agent and the controller agree. zod's JSON
// Schema output is turned into a structural OpenAPI v3 schema: no `additionalProperties: false`
// (forbidden next to properties), no propertyNames, no defaults (the stored spec stays as
// written; the admission policy also relies on an agent-created spec staying empty), and no JS
// safe-integer bounds.
import { z } from 'zod';
import { stringify } from 'yaml';
import {
  CRD_NAME,
  GROUP,
  KIND,
  PLURAL,
  POLICY_CRD_NAME,
  POLICY_KIND,
  POLICY_PLURAL,
  POLICY_SHORT_NAMES,
  POLICY_SINGULAR,
  SHORT_NAMES,
  SINGULAR,
  VERSION,
} from './constants.js';
import { POLICY_OBJECT_RULES, PolicySpecSchema, PolicyStatusSchema } from './policy.js';
import { SpecSchema } from './spec.js';
import { StatusSchema } from './status.js';

type Json = Record<string, unknown>;

const DROP_KEYS = new Set(['$schema', 'propertyNames', 'default', 'id']);
const SAFE_INT = Number.MAX_SAFE_INTEGER;

/** Recursively rewrites zod's JSON Schema into the subset a structural CRD schema accepts. */
export function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== 'object') return node;
  // An int or a string (zod's union): the API server's own marker stands for both branches.
  if ((node as Json)['x-kubernetes-int-or-string'] === true) {
    const { description } = node as Json;
    return { 'x-kubernetes-int-or-string': true, ...(description ? { description } : {}) };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (DROP_KEYS.has(k)) continue;
    if (k === 'additionalProperties' && v === false) continue;
    if ((k === 'minimum' && v === -SAFE_INT) || (k === 'maximum' && v === SAFE_INT)) continue;
    // zod adds a regex for date-time; the format says it and the API server checks the format.
    if (k === 'pattern' && (node as Json).format === 'date-time') continue;
    // (`required` is kept as is only as the keyword, a list of names: a property may be named so.)
    const verbatim = ['x-kubernetes-validations', 'enum', 'x-kubernetes-list-map-keys'].includes(k);
    out[k] = verbatim || (k === 'required' && Array.isArray(v)) ? v : toStructural(v);
  }
  return out;
}

export function jsonSchemaOf(schema: z.ZodType): Json {
  return toStructural(z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'throw' })) as Json;
}

export const PRINTER_COLUMNS = [
  {
    name: 'Available',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Available")].status',
    description: 'Whether the spec is applied.',
  },
  {
    name: 'Progressing',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Progressing")].status',
    description: 'Whether an apply is under way.',
  },
  {
    name: 'Degraded',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Degraded")].status',
    description: 'Whether the last apply failed.',
  },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Available")].reason',
    description: 'Why the node is (not) available.',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age of the object.' },
];

interface CrdDescription {
  name: string;
  names: { kind: string; plural: string; singular: string; shortNames: readonly string[] };
  printerColumns: readonly Json[];
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  rules?: readonly Json[];
}

/** A cluster-scoped CRD of this group with a status subresource, its schema from zod. */
function crdOf(d: CrdDescription): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: d.name },
    spec: {
      group: GROUP,
      names: {
        kind: d.names.kind,
        listKind: `${d.names.kind}List`,
        plural: d.names.plural,
        singular: d.names.singular,
        shortNames: d.names.shortNames,
      },
      scope: 'Cluster',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: d.printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: d.description,
              properties: {
                apiVersion: {
                  type: 'string',
                  description: 'APIVersion defines the versioned schema of this representation of an object.',
                },
                kind: {
                  type: 'string',
                  description: 'Kind is a string value representing the REST resource this object represents.',
                },
                metadata: { type: 'object' },
                spec: jsonSchemaOf(d.spec),
                status: jsonSchemaOf(d.status),
              },
              ...(d.rules ? { 'x-kubernetes-validations': d.rules } : {}),
            },
          },
        },
      ],
    },
  };
}

export function buildCrd(): Json {
  return crdOf({
    name: CRD_NAME,
    names: { kind: KIND, plural: PLURAL, singular: SINGULAR, shortNames: SHORT_NAMES },
    printerColumns: PRINTER_COLUMNS,
    description:
      'Host networking of one node (the object is named after the node), in VDSM setupNetworks vocabulary: ' +
      'spec says which networks and bonds the node must have; status shows what it has and how the last apply ' +
      'went.',
    spec: SpecSchema,
    status: StatusSchema,
  });
}

const condition = (type: string, field: 'status' | 'reason') => `.status.conditions[?(@.type=="${type}")].${field}`;

export const POLICY_PRINTER_COLUMNS = [
  { name: 'Matched', type: 'integer', jsonPath: '.status.matchedNodes', description: 'Nodes the selector matches.' },
  {
    name: 'Updated',
    type: 'integer',
    jsonPath: '.status.updatedNodes',
    description: 'Nodes whose spec carries this generation.',
  },
  {
    name: 'Available',
    type: 'integer',
    jsonPath: '.status.availableNodes',
    description: 'Updated nodes that report Available.',
  },
  {
    name: 'OutOfSync',
    type: 'integer',
    jsonPath: '.status.outOfSyncNodes',
    description: 'Nodes whose kernelConfig differs from the policy.',
    priority: 1,
  },
  {
    name: 'Progressing',
    type: 'string',
    jsonPath: condition('Progressing', 'status'),
    description: 'Whether the rollout goes on.',
  },
  {
    name: 'Degraded',
    type: 'string',
    jsonPath: condition('Degraded', 'status'),
    description: 'Whether a node failed or refused the policy.',
  },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: condition('Degraded', 'reason'),
    description: 'Why (RolloutAborted, Conflict, ...).',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age of the object.' },
];

export function buildPolicyCrd(): Json {
  return crdOf({
    name: POLICY_CRD_NAME,
    names: { kind: POLICY_KIND, plural: POLICY_PLURAL, singular: POLICY_SINGULAR, shortNames: POLICY_SHORT_NAMES },
    printerColumns: POLICY_PRINTER_COLUMNS,
    description:
      'Networks and bonds for many nodes: the controller writes them into the OvirtNodeNetwork spec of every ' +
      'node the selector matches (server-side apply, field manager ovirt-network-policy/<name>), at most ' +
      'maxUnavailable nodes at a time, and removes them when the policy is deleted or a node stops matching.',
    spec: PolicySpecSchema,
    status: PolicyStatusSchema,
    rules: POLICY_OBJECT_RULES,
  });
}

export const CRD_HEADER = '# Generated from src/api by `npm run gen:crd`; do not edit.\n';

export function crdYaml(crd: Json = buildCrd()): string {
  return CRD_HEADER + stringify(crd, { lineWidth: 0, version: '1.1' });
}

export function policyCrdYaml(): string {
  return crdYaml(buildPolicyCrd());
}
