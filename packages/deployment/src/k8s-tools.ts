/**
 * Renders the overlays with kustomize and validates every object with kubeconform, offline, no
 * cluster: both tools are built from the Go module proxy (go-tools.ts), the schemas are written
 * into the cache once from what the Go module proxy serves as well —
 *   - the Kubernetes API: the OpenAPI document that k8s.io/kubernetes publishes in its module
 *     (api/openapi-spec/swagger.json), converted to one strict JSON Schema per kind (unknown
 *     fields are errors, as `kubectl apply --validate=strict` makes them);
 *   - the operators' resources: the CustomResourceDefinitions their Go modules ship (ECK, the
 *     MongoDB Community operator), their openAPIV3Schema made strict the same way, except where a
 *     CRD itself preserves unknown fields.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ensureGoTool, findGo, toolCacheRoot, type GoTool } from './go-tools.js';
import { parseObjects, type K8sObject } from './k8s-check.js';

const run = promisify(execFile);

export const KUSTOMIZE: GoTool = {
  name: 'kustomize',
  module: 'sigs.k8s.io/kustomize/kustomize/v5',
  version: 'v5.8.2',
  overrideVariable: 'KUSTOMIZE_BIN',
};

export const KUBECONFORM: GoTool = {
  name: 'kubeconform',
  module: 'github.com/yannh/kubeconform/cmd/kubeconform',
  version: 'v0.8.0',
  overrideVariable: 'KUBECONFORM_BIN',
};

/** The Kubernetes release whose published API schemas the manifests are validated against. */
export const KUBERNETES_VERSION = 'v1.37.2';

/** Go modules that ship the operators' CRDs, and where in the module. */
export interface CrdSource {
  operator: string;
  module: string;
  version: string;
  /** Files (relative to the module root) holding CustomResourceDefinitions. */
  files: string[];
}

export const CRD_SOURCES: CrdSource[] = [
  {
    operator: 'ECK',
    module: 'github.com/elastic/cloud-on-k8s/v3',
    version: 'v3.5.0',
    files: ['config/crds/v1/resources/elasticsearch.k8s.elastic.co_elasticsearches.yaml'],
  },
  {
    operator: 'MongoDB Community',
    module: 'github.com/mongodb/mongodb-kubernetes-operator',
    // The last release of the community operator's own module (it continues in mongodb/mongodb-kubernetes).
    version: 'v0.13.0',
    files: ['config/crd/bases/mongodbcommunity.mongodb.com_mongodbcommunity.yaml'],
  },
];

/**
 * Strimzi generates its CRDs into its release files only (no registry package ships them: its
 * Maven `api` jar holds the Java model, not the YAML), so its resources are checked for the shape
 * every Kubernetes object has — apiVersion, kind, metadata.name, a spec object — and the rest by
 * the rules of k8s-check.ts (partitions, cluster label, every contract topic).
 */
export const SHAPE_ONLY_KINDS: { group: string; version: string; kind: string }[] = [
  { group: 'kafka.strimzi.io', version: 'v1beta2', kind: 'Kafka' },
  { group: 'kafka.strimzi.io', version: 'v1beta2', kind: 'KafkaNodePool' },
  { group: 'kafka.strimzi.io', version: 'v1beta2', kind: 'KafkaTopic' },
];

export function writeShapeSchema({ group, version, kind }: { group: string; version: string; kind: string }, dir: string): string {
  mkdirSync(join(dir, group), { recursive: true });
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { type: 'string', enum: [`${group}/${version}`] },
      kind: { type: 'string', enum: [kind] },
      metadata: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$', maxLength: 253 },
          namespace: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          annotations: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      spec: { type: 'object' },
    },
  };
  writeFileSync(join(dir, group, `${kind.toLowerCase()}_${version}.json`), JSON.stringify(schema));
  return `${group}/${version} ${kind} (shape only)`;
}

/* ---------------------------------------------------------------- Go modules */

function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on' };
}

/** `go mod download` of one module version: the folder of its (read-only) files in the module cache. */
export async function goModuleDir(module: string, version: string): Promise<string> {
  try {
    // Outside any module (the cache folder), so the repository's own files play no part.
    const cwd = toolCacheRoot();
    mkdirSync(cwd, { recursive: true });
    const { stdout } = await run(findGo(), ['mod', 'download', '-json', `${module}@${version}`], { env: goEnv(), maxBuffer: 16 * 1024 * 1024, cwd });
    const dir = (JSON.parse(stdout) as { Dir?: string }).Dir;
    if (!dir || !existsSync(dir)) throw new Error(`no folder for ${module}@${version}`);
    return dir;
  } catch (error) {
    const detail = (error as { stdout?: string; stderr?: string }).stdout || (error as { stderr?: string }).stderr || (error as Error).message;
    throw new Error(`go mod download ${module}@${version} failed: ${detail.trim()}`);
  }
}

/* ---------------------------------------------------------------- schema conversion */

type Schema = Record<string, unknown>;

/**
 * OpenAPI's dialect to JSON Schema, strict: an object with declared properties admits no others
 * (unless the API preserves unknown fields there), int-or-string accepts both, refs point into
 * the shared definitions file.
 */
export function strictSchema(node: unknown, refBase: string): unknown {
  if (Array.isArray(node)) return node.map((item) => strictSchema(item, refBase));
  if (!node || typeof node !== 'object') return node;
  const schema = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string') out.$ref = value.replace(/^#\/definitions\//, `${refBase}#/definitions/`);
    else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, strictSchema(property, refBase)]));
    } else if (key === 'description' || key.startsWith('x-kubernetes-list') || key === 'x-kubernetes-patch-strategy' || key === 'x-kubernetes-patch-merge-key') {
      // Not validation keywords: dropped to keep the schemas small.
    } else out[key] = strictSchema(value, refBase);
  }
  if (schema.format === 'int-or-string' || schema['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    delete out.format;
    out.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (out.properties && out.additionalProperties === undefined && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  // A null in YAML (`key:` with nothing after it) is accepted by the API server for optional fields.
  if (typeof out.type === 'string' && !('oneOf' in out)) out.type = [out.type, 'null'];
  return out;
}

interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** kubeconform's file name for a kind: `deployment-apps-v1.json`, `service-v1.json` (core). */
function coreFileName({ group, version, kind }: Gvk): string {
  return `${[kind, group.split('.')[0], version].filter(Boolean).join('-').toLowerCase()}.json`;
}

/** The Kubernetes API as strict JSON Schemas, one file per kind plus the shared definitions. */
export function writeCoreSchemas(swagger: { definitions: Record<string, Schema> }, dir: string): number {
  mkdirSync(dir, { recursive: true });
  const definitions = Object.fromEntries(
    Object.entries(swagger.definitions).map(([name, schema]) => [
      name,
      // The API server takes a quantity as a string or a number (`cpu: 1`); the document says string.
      name.endsWith('.api.resource.Quantity') ? { oneOf: [{ type: 'string' }, { type: 'number' }] } : strictSchema(schema, '_definitions.json'),
    ]),
  );
  writeFileSync(join(dir, '_definitions.json'), JSON.stringify({ definitions }));
  let kinds = 0;
  for (const [name, schema] of Object.entries(swagger.definitions)) {
    const gvks = (schema['x-kubernetes-group-version-kind'] ?? []) as Gvk[];
    for (const gvk of gvks) {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      const body = strictSchema(schema, '_definitions.json') as Schema;
      const properties = { ...(body.properties as Schema) };
      // Pin apiVersion and kind, so an object is checked against the schema of what it says it is.
      properties.apiVersion = { type: 'string', enum: [apiVersion] };
      properties.kind = { type: 'string', enum: [gvk.kind] };
      writeFileSync(join(dir, coreFileName(gvk)), JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...body, properties, title: name }));
      kinds += 1;
    }
  }
  return kinds;
}

/** `<group>/<kind>_<version>.json` per served version of each CRD, from its openAPIV3Schema. */
export function writeCrdSchemas(crdYaml: string, dir: string): string[] {
  const written: string[] = [];
  for (const document of parseAllDocuments(crdYaml)) {
    const crd = document.toJS() as K8sObject | null;
    if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
    const group: string = crd.spec.group;
    const kind: string = crd.spec.names.kind;
    for (const version of crd.spec.versions ?? []) {
      const openApi = version.schema?.openAPIV3Schema;
      if (!openApi) continue;
      const body = strictSchema(openApi, '') as Schema;
      const properties = { ...(body.properties as Schema) };
      // CRD schemas seldom declare metadata: the standard object fields are all an object may carry.
      properties.apiVersion = { type: 'string', enum: [`${group}/${version.name}`] };
      properties.kind = { type: 'string', enum: [kind] };
      properties.metadata = properties.metadata ?? { type: 'object' };
      mkdirSync(join(dir, group), { recursive: true });
      const file = join(dir, group, `${kind.toLowerCase()}_${version.name}.json`);
      writeFileSync(file, JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...body, properties, required: [...new Set([...((body.required as string[]) ?? []), 'apiVersion', 'kind', 'metadata'])] }));
      written.push(`${group}/${version.name} ${kind}`);
    }
  }
  return written;
}

/** Writes the schemas once per version set; reused from the cache afterwards. */
export async function ensureSchemas(): Promise<{ dir: string; coreKinds: number; crds: string[] }> {
  const key = [KUBERNETES_VERSION, ...CRD_SOURCES.map((source) => `${source.module.split('/').at(-2)}-${source.version}`)].join('_').replace(/[^A-Za-z0-9._-]/g, '-');
  const dir = join(toolCacheRoot(), 'k8s-schemas', key);
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) return { dir, ...(JSON.parse(readFileSync(manifest, 'utf8')) as { coreKinds: number; crds: string[] }) };

  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const kubernetes = await goModuleDir('k8s.io/kubernetes', KUBERNETES_VERSION);
  const swagger = JSON.parse(readFileSync(join(kubernetes, 'api/openapi-spec/swagger.json'), 'utf8')) as { definitions: Record<string, Schema> };
  const coreKinds = writeCoreSchemas(swagger, join(partial, 'core'));
  const crds: string[] = [];
  for (const source of CRD_SOURCES) {
    const moduleDir = await goModuleDir(source.module, source.version);
    for (const file of source.files) crds.push(...writeCrdSchemas(readFileSync(join(moduleDir, file), 'utf8'), join(partial, 'crds')));
  }
  for (const shape of SHAPE_ONLY_KINDS) crds.push(writeShapeSchema(shape, join(partial, 'crds')));
  writeFileSync(join(partial, 'manifest.json'), JSON.stringify({ coreKinds, crds }));
  mkdirSync(join(dir, '..'), { recursive: true });
  // Renamed last: a half-written folder is never taken for the schemas.
  try {
    renameSync(partial, dir);
  } catch (error) {
    if (!existsSync(manifest)) throw error;
    rmSync(partial, { recursive: true, force: true });
  }
  return { dir, coreKinds, crds };
}

/* ---------------------------------------------------------------- kustomize and kubeconform */

export interface ValidationReport {
  /** `Kind/name: message` per invalid object. */
  errors: string[];
  /** Objects checked against a schema. */
  validated: number;
}

export interface K8sTools {
  kustomize: string;
  kubeconform: string;
  schemas: { dir: string; coreKinds: number; crds: string[] };
  validate(objects: K8sObject[]): Promise<ValidationReport>;
}

/** Renders one overlay (`kustomize build <dir>`). Throws with kustomize's message when it fails. */
export async function kustomizeBuild(tools: Pick<K8sTools, 'kustomize'>, dir: string): Promise<K8sObject[]> {
  try {
    const { stdout } = await run(tools.kustomize, ['build', dir], { maxBuffer: 64 * 1024 * 1024 });
    return parseObjects(stdout);
  } catch (error) {
    throw new Error(`kustomize build ${dir} failed: ${((error as { stderr?: string }).stderr ?? (error as Error).message).trim()}`);
  }
}

interface KubeconformResource {
  filename: string;
  kind: string;
  name: string;
  version: string;
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty';
  msg?: string;
  validationErrors?: { path: string; msg: string }[];
}

/**
 * Every leaf violation of an invalid resource, `<path>: <message>`. kubeconform's structured
 * `validationErrors` stop at the first level ("/spec: validation failed"); its message lists them all.
 */
export function violationsOf(resource: Pick<KubeconformResource, 'msg' | 'validationErrors'>): string[] {
  const leaves = (resource.msg ?? '')
    .split(/\s+- at '/)
    .slice(1)
    .map((chunk) => {
      const end = chunk.indexOf("': ");
      return end === -1 ? chunk.trim() : `${chunk.slice(0, end) || '/'}: ${chunk.slice(end + 3).trim()}`;
    })
    .filter((violation) => !violation.endsWith(': validation failed'));
  if (leaves.length) return leaves;
  return (resource.validationErrors ?? [{ path: '/', msg: resource.msg ?? 'invalid' }]).map((detail) => `${detail.path || '/'}: ${detail.msg}`);
}

export async function kubeconformValidate(kubeconform: string, schemaDir: string, objects: K8sObject[]): Promise<ValidationReport> {
  const scratch = join(toolCacheRoot(), 'k8s-schemas', `.input-${process.pid}-${Date.now()}`);
  mkdirSync(scratch, { recursive: true });
  const input = join(scratch, 'objects.yaml');
  // JSON documents: exactly the data, with no YAML 1.1 reading of `off` or `yes` as booleans.
  writeFileSync(input, objects.map((object) => JSON.stringify(object)).join('\n---\n'));
  try {
    const args = [
      '-strict',
      '-output', 'json',
      '-verbose',
      '-schema-location', join(schemaDir, 'core', '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
      '-schema-location', join(schemaDir, 'crds', '{{ .Group }}', '{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'),
      input,
    ];
    // kubeconform exits 1 when a resource is invalid; its JSON report is on stdout either way.
    const stdout = await run(kubeconform, args, { maxBuffer: 64 * 1024 * 1024 }).then(
      (result) => result.stdout,
      (error: { stdout?: string; stderr?: string; message: string }) => {
        if (error.stdout) return error.stdout;
        throw new Error(`kubeconform failed: ${(error.stderr ?? error.message).trim()}`);
      },
    );
    const report = JSON.parse(stdout) as { resources?: KubeconformResource[] };
    const errors: string[] = [];
    let validated = 0;
    for (const resource of report.resources ?? []) {
      const where = `${resource.kind}/${resource.name}`;
      if (resource.status === 'statusValid') validated += 1;
      else if (resource.status === 'statusInvalid') {
        validated += 1;
        errors.push(...violationsOf(resource).map((violation) => `${where}: ${violation}`));
      } else if (resource.status !== 'statusEmpty') errors.push(`${where}: ${resource.msg ?? resource.status}`);
    }
    return { errors, validated };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Builds (once) and returns kustomize, kubeconform and the schemas. */
export async function prepareK8sTools(): Promise<K8sTools> {
  const [kustomize, kubeconform, schemas] = await Promise.all([ensureGoTool(KUSTOMIZE), ensureGoTool(KUBECONFORM), ensureSchemas()]);
  return { kustomize, kubeconform, schemas, validate: (objects) => kubeconformValidate(kubeconform, schemas.dir, objects) };
}

/** Kinds whose schemas were written, for the README's and the report's sake. */
export function listSchemaFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.json'));
}
