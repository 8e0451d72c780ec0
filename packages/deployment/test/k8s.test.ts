import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  K8S_DIR,
  allTopics,
  checkManifests,
  kustomizeBuild,
  listApps,
  parseTopics,
  prepareK8sTools,
  readText,
  renderK8s,
  repoRoot,
  type K8sObject,
  type K8sTools,
} from '../src/index.js';

const apps = listApps();
const topics = allTopics();
const expectations = (overlay: string) => ({ apps, topics, namespace: 'foodxchange', mongoMembers: 3, overlay });

let tools: K8sTools;
const rendered = new Map<string, K8sObject[]>();

beforeAll(async () => {
  // kustomize and kubeconform are built from the Go module proxy once per machine (a minute or
  // two on 2 cores), then reused from the cache; the schemas likewise.
  tools = await prepareK8sTools();
  for (const overlay of ['local', 'production']) rendered.set(overlay, await kustomizeBuild(tools, join(repoRoot, K8S_DIR, 'overlays', overlay)));
}, 20 * 60_000);

/** kustomize and kubeconform run in a second or two; a loaded CI machine gets ample room. */
const TOOL_TIMEOUT_MS = 120_000;

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** A copy of infra/k8s to break one file at a time. */
function k8sCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fx-k8s-'));
  copies.push(dir);
  cpSync(join(repoRoot, K8S_DIR), dir, { recursive: true });
  return dir;
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  expect(after, `${file} was not changed`).not.toBe(before);
  writeFileSync(path, after);
}

describe('infra/k8s rendered from the catalogue', () => {
  it('commits exactly what packages/deployment renders (pnpm --filter @foodxchange/deployment render:k8s)', () => {
    for (const { path, content } of renderK8s()) expect(readText(path), path).toBe(content);
  });

  it('reads every contract topic from packages/contracts', () => {
    const source = readText('packages/contracts/src/topics.ts')!;
    expect(parseTopics(source)).toContain('order.created');
    expect(topics).toHaveLength(parseTopics(source).length * 2);
    expect(topics).toContain('rfq.awarded.dlq');
  });
});

describe.each(['local', 'production'])('overlay %s', (overlay) => {
  it('renders with kustomize into every object the platform needs', () => {
    const objects = rendered.get(overlay)!;
    const kinds = new Set(objects.map((object) => object.kind));
    for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'Ingress', 'ConfigMap', 'Kafka', 'KafkaNodePool', 'KafkaTopic', 'MongoDBCommunity', 'Elasticsearch']) {
      expect(kinds, kind).toContain(kind);
    }
    expect(objects.filter((object) => object.kind === 'Deployment')).toHaveLength(apps.length);
  });

  it("validates every object against the Kubernetes API's schemas and the operators' CRD schemas", async () => {
    const objects = rendered.get(overlay)!;
    const report = await tools.validate(objects);
    expect(report.errors).toEqual([]);
    // Nothing passed unchecked: every object had a schema.
    expect(report.validated).toBe(objects.length);
  }, TOOL_TIMEOUT_MS);

  it('keeps the rules a schema cannot see (security, probes, drain, secrets by reference, network policies, operators)', () => {
    expect(checkManifests(rendered.get(overlay)!, expectations(overlay))).toEqual([]);
  });
});

describe('the validation fails on broken manifests', () => {
  it('a field of the wrong type and an unknown field (a typo) in a Deployment', async () => {
    const dir = k8sCopy();
    edit(dir, 'base/apps/order.yaml', (text) =>
      text.replace('containerPort: 3006', 'containerPort: "3006"').replace('readinessProbe:', 'readinesProbe:'),
    );
    const report = await tools.validate(await kustomizeBuild(tools, join(dir, 'overlays', 'production')));
    const messages = report.errors.join('\n');
    expect(messages).toMatch(/Deployment\/order.*containerPort/);
    expect(messages).toMatch(/Deployment\/order.*readinesProbe/);
    expect(report.errors.every((error) => error.includes('Deployment/order')), messages).toBe(true);
  }, TOOL_TIMEOUT_MS);

  it('an invalid operator resource (CRD schema)', async () => {
    const dir = k8sCopy();
    edit(dir, 'operators/mongodb.yaml', (text) => text.replace('type: ReplicaSet', 'type: Cluster').replace('  members: 3\n', '  members: 3\n  memebers: 3\n'));
    edit(dir, 'operators/elasticsearch.yaml', (text) => text.replace('count: 3', 'count: three'));
    const report = await tools.validate(await kustomizeBuild(tools, join(dir, 'overlays', 'production')));
    const messages = report.errors.join('\n');
    expect(messages).toMatch(/MongoDBCommunity\/foodxchange-mongo.*type/);
    expect(messages).toMatch(/MongoDBCommunity\/foodxchange-mongo.*memebers/);
    expect(messages).toMatch(/Elasticsearch\/foodxchange.*count/);
  }, TOOL_TIMEOUT_MS);

  it('a Strimzi resource without its shape (no CRD schema is published in a registry: apiVersion, kind, name, spec)', async () => {
    const report = await tools.validate([
      { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'KafkaTopic', metadata: { name: 'Order_Created', namespace: 'foodxchange' } },
    ]);
    const messages = report.errors.join('\n');
    expect(messages).toMatch(/KafkaTopic\/Order_Created.*spec/);
    expect(messages).toMatch(/KafkaTopic\/Order_Created.*name/);
  }, TOOL_TIMEOUT_MS);

  it('a kustomization naming a file that does not exist', async () => {
    const dir = k8sCopy();
    edit(dir, 'operators/kustomization.yaml', (text) => text.replace('- kafka.yaml', '- kafka-cluster.yaml'));
    await expect(kustomizeBuild(tools, join(dir, 'overlays', 'production'))).rejects.toThrow(/kafka-cluster\.yaml/);
  }, TOOL_TIMEOUT_MS);

  it('rules beyond the schema: a writable root file system, a literal secret, a caller DESIGN.md does not name, a missing topic', () => {
    const objects = structuredClone(rendered.get('production')!);
    const deployment = (name: string) => objects.find((object) => object.kind === 'Deployment' && object.metadata.name === name)!;
    const container = (name: string) => deployment(name).spec.template.spec.containers[0];
    container('rfq').securityContext.readOnlyRootFilesystem = false;
    delete container('rfq').readinessProbe;
    container('auth').env.find((variable: K8sObject) => variable.name === 'ADMIN_PASSWORD').valueFrom = undefined;
    container('auth').env.find((variable: K8sObject) => variable.name === 'ADMIN_PASSWORD').value = 'change-me-please';
    deployment('order').spec.template.spec.terminationGracePeriodSeconds = 5;
    const orderPolicy = objects.find((object) => object.kind === 'NetworkPolicy' && object.metadata.name === 'order-ingress')!;
    orderPolicy.spec.ingress[0].from.push({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'catalog' } } });
    const withoutTopic = objects.filter((object) => !(object.kind === 'KafkaTopic' && object.spec.topicName === 'order.created.dlq'));
    const errors = checkManifests(withoutTopic, expectations('production'));
    expect(errors).toContainEqual('Deployment/rfq: readOnlyRootFilesystem must be true');
    expect(errors).toContainEqual('Deployment/rfq: readinessProbe must GET /health/ready, found none');
    expect(errors).toContainEqual('Deployment/auth: ADMIN_PASSWORD is a literal value; reference a Secret');
    expect(errors).toContainEqual(expect.stringMatching(/Deployment\/order: terminationGracePeriodSeconds must exceed/));
    expect(errors).toContainEqual('NetworkPolicy/order-ingress: accepts catalog, gateway, but its callers are gateway');
    expect(errors).toContainEqual('KafkaTopic order.created.dlq is missing');
  });

  it('rules beyond the schema: a rendered Secret, a hand-rolled StatefulSet, no default deny', () => {
    const objects = rendered.get('production')!.filter((object) => object.metadata.name !== 'default-deny-ingress');
    objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'auth-secrets', namespace: 'foodxchange' }, stringData: { ADMIN_PASSWORD: 'x' } });
    objects.push({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'kafka', namespace: 'foodxchange' }, spec: {} });
    const errors = checkManifests(objects, expectations('production'));
    expect(errors).toContainEqual('Secret/auth-secrets: secrets are referenced by name, never rendered');
    expect(errors).toContainEqual('StatefulSet/kafka: infrastructure comes from the operators');
    expect(errors).toContainEqual('NetworkPolicy: a default deny of ingress (podSelector {}) is missing');
  });
});

describe('who calls whom (the network policies follow the code)', () => {
  it('no service calls another service over HTTP except auth for its JWKS', () => {
    for (const app of apps.filter((candidate) => candidate.kind === 'service')) {
      const files = readdirSync(join(repoRoot, app.dir, 'src'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
      for (const file of files) {
        const source = readFileSync(join(repoRoot, app.dir, 'src', file), 'utf8');
        expect(source, `${app.dir}/src/${file}`).not.toMatch(/new ServiceClient\b|_SERVICE_URL\b/);
      }
    }
    // Every process verifies tokens against auth's JWKS (service-kit's JWKS_URL).
    expect(readText('packages/service-kit/src/config.ts')).toMatch(/JWKS_URL/);
  });
});
