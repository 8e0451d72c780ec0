/**
 * What a schema cannot see in the rendered overlays: every process has its Deployment, Service,
 * autoscaler, disruption budget and ingress policy, runs unprivileged on a read-only root file
 * system, probes the kit's health routes, drains before it is killed, reads secrets only by
 * reference, accepts traffic only from its callers, and the production infrastructure comes from
 * the operators (every contract topic a KafkaTopic, a three-member MongoDB replica set, ECK).
 */
import { parseAllDocuments } from 'yaml';
import type { AppInfo } from './platform.js';
import {
  NAME_LABEL,
  PRESTOP_SLEEP_SECONDS,
  PROMETHEUS_POD_LABEL,
  SHUTDOWN_GRACE_MS,
  TOPIC_PARTITIONS,
  callersOf,
  configMapName,
  imageOf,
  secretsOf,
} from './k8s.js';

// Rendered objects are read loosely: the schema validation has already checked their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

/** The objects of a multi-document YAML stream (`kustomize build` output); empty documents dropped. */
export function parseObjects(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((document) => {
      if (document.errors.length) throw new Error(`invalid YAML: ${document.errors[0]!.message}`);
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null && typeof object === 'object');
}

export interface ManifestExpectations {
  apps: AppInfo[];
  /** Contract topics and their .dlq: each must be a KafkaTopic. */
  topics: string[];
  namespace: string;
  /** Members the MongoDBCommunity replica set must have. */
  mongoMembers: number;
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata?.name === name);
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || !Object.keys(selector).length) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** ConfigMaps are generated with a content-hash suffix: `order-config-5f6b…`. */
function configMapFor(objects: K8sObject[], name: string): K8sObject | undefined {
  return objects.find((object) => object.kind === 'ConfigMap' && (object.metadata.name === name || new RegExp(`^${name}-[a-z0-9]{10}$`).test(object.metadata.name)));
}

function checkDeployment(app: AppInfo, objects: K8sObject[], errors: string[]): void {
  const where = `Deployment/${app.name}`;
  const deployment = find(objects, 'Deployment', app.name);
  if (!deployment) {
    errors.push(`${where} is missing`);
    return;
  }
  const pod = deployment.spec?.template?.spec ?? {};
  const podLabels = deployment.spec?.template?.metadata?.labels;
  if (!matches(deployment.spec?.selector?.matchLabels, podLabels)) errors.push(`${where}: selector does not match its pod labels`);
  if (pod.securityContext?.runAsNonRoot !== true) errors.push(`${where}: pod securityContext.runAsNonRoot must be true`);
  if (typeof pod.securityContext?.runAsUser === 'number' && pod.securityContext.runAsUser === 0) errors.push(`${where}: runs as root (runAsUser 0)`);
  const grace = pod.terminationGracePeriodSeconds;
  const drain = PRESTOP_SLEEP_SECONDS + SHUTDOWN_GRACE_MS / 1000;
  if (typeof grace !== 'number' || grace <= drain) errors.push(`${where}: terminationGracePeriodSeconds must exceed preStop + drain (${drain} s), found ${grace ?? 'none'}`);

  const containers: K8sObject[] = pod.containers ?? [];
  const container = containers.find((candidate) => candidate.name === app.name);
  if (!container) {
    errors.push(`${where}: no container named ${app.name}`);
    return;
  }
  const image = String(container.image ?? '');
  const repository = image.replace(/@sha256:[a-f0-9]+$/, '').replace(/:[^:/]+$/, '');
  if (!repository.endsWith(imageOf(app))) errors.push(`${where}: image must be ${imageOf(app)} (the image its Dockerfile builds), found ${image}`);

  const ports: K8sObject[] = container.ports ?? [];
  const http = ports.find((port) => port.name === 'http');
  if (!http || http.containerPort !== app.port) errors.push(`${where}: container port http must be ${app.port}, found ${http?.containerPort ?? 'none'}`);

  const security = container.securityContext ?? {};
  if (security.readOnlyRootFilesystem !== true) errors.push(`${where}: readOnlyRootFilesystem must be true`);
  if (security.allowPrivilegeEscalation !== false) errors.push(`${where}: allowPrivilegeEscalation must be false`);
  if (!(security.capabilities?.drop ?? []).includes('ALL')) errors.push(`${where}: capabilities must drop ALL`);
  const tmp = (container.volumeMounts ?? []).find((mount: K8sObject) => mount.mountPath === '/tmp');
  const tmpVolume = tmp && (pod.volumes ?? []).find((volume: K8sObject) => volume.name === tmp.name);
  if (!tmpVolume?.emptyDir) errors.push(`${where}: /tmp must be an emptyDir (the root file system is read-only)`);

  for (const kind of ['requests', 'limits']) {
    for (const resource of ['cpu', 'memory']) {
      if (kind === 'limits' && resource === 'cpu') continue;
      if (!container.resources?.[kind]?.[resource]) errors.push(`${where}: resources.${kind}.${resource} missing`);
    }
  }
  if (!container.resources?.limits?.memory) errors.push(`${where}: a memory limit is required`);

  const probe = (name: string, path: string) => {
    const get = container[name]?.httpGet;
    if (!get || get.path !== path) errors.push(`${where}: ${name} must GET ${path}, found ${get?.path ?? 'none'}`);
    else if (get.port !== 'http' && get.port !== app.port) errors.push(`${where}: ${name} must probe the http port, found ${get.port}`);
  };
  probe('livenessProbe', '/health/live');
  probe('readinessProbe', '/health/ready');
  if (!container.lifecycle?.preStop) errors.push(`${where}: a preStop hook must hold the pod until it left its Service`);

  // Configuration from ConfigMaps, secrets by reference only.
  const configRefs = (container.envFrom ?? []).map((source: K8sObject) => source.configMapRef?.name).filter(Boolean);
  const ownConfig = configRefs.map((name: string) => objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === name)).find(
    (config: K8sObject | undefined) => config && configMapFor([config], configMapName(app)),
  );
  for (const name of configRefs) {
    if (!objects.some((object) => object.kind === 'ConfigMap' && object.metadata.name === name)) errors.push(`${where}: envFrom ConfigMap ${name} is not rendered`);
  }
  if (!ownConfig) errors.push(`${where}: envFrom must include its ConfigMap ${configMapName(app)}`);
  else if (ownConfig.data?.PORT !== String(app.port)) errors.push(`${where}: ConfigMap ${ownConfig.metadata.name} PORT must be ${app.port}, found ${ownConfig.data?.PORT ?? 'none'}`);
  const env: K8sObject[] = container.env ?? [];
  for (const variable of env) {
    if (variable.value !== undefined && /PASSWORD|SECRET|_KEY|KEYS|TOKEN|MONGO_URL|REDIS_URL|ELASTICSEARCH_URL/.test(variable.name)) {
      errors.push(`${where}: ${variable.name} is a literal value; reference a Secret`);
    }
  }
  for (const use of secretsOf(app)) {
    const ref = env.find((variable) => variable.name === use.variable)?.valueFrom?.secretKeyRef;
    if (!ref || ref.name !== use.secret || ref.key !== use.key) errors.push(`${where}: ${use.variable} must come from Secret ${use.secret} key ${use.key}`);
  }
}

function checkNetworkPolicies(app: AppInfo, apps: AppInfo[], objects: K8sObject[], errors: string[]): void {
  const where = `NetworkPolicy/${app.name}-ingress`;
  const pods = find(objects, 'Deployment', app.name)?.spec?.template?.metadata?.labels;
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy' && matches(object.spec?.podSelector?.matchLabels, pods));
  const policy = policies.find((candidate) => candidate.metadata.name === `${app.name}-ingress`);
  if (!policy) {
    errors.push(`${where} is missing`);
    return;
  }
  const allowedPods = new Set<string>();
  let fromNamespaces = 0;
  let scrape = false;
  for (const other of policies) {
    for (const rule of other.spec?.ingress ?? []) {
      const ports: K8sObject[] = rule.ports ?? [];
      if (!ports.length || ports.some((port) => port.port !== app.port && port.port !== 'http')) {
        errors.push(`${where}: every rule must be limited to port ${app.port}`);
      }
      if (!rule.from?.length) errors.push(`NetworkPolicy/${other.metadata.name}: a rule without from admits everyone`);
      for (const peer of rule.from ?? []) {
        const name = peer.podSelector?.matchLabels?.[NAME_LABEL];
        if (name === PROMETHEUS_POD_LABEL[NAME_LABEL]) scrape = true;
        else if (name && !peer.namespaceSelector) allowedPods.add(name);
        else if (peer.namespaceSelector && !peer.podSelector) fromNamespaces += 1;
        else errors.push(`${where}: peer ${JSON.stringify(peer)} is broader than one process`);
      }
    }
  }
  const expected = callersOf(app, apps).sort();
  const found = [...allowedPods].sort();
  if (expected.join(',') !== found.join(',')) errors.push(`${where}: accepts ${found.join(', ') || 'nobody'}, but its callers are ${expected.join(', ') || 'none'}`);
  if (app.kind === 'gateway' && fromNamespaces !== 1) errors.push(`${where}: the gateway accepts the ingress controller's namespace only`);
  if (app.kind === 'service' && fromNamespaces) errors.push(`${where}: a service must not accept a whole namespace`);
  if (!scrape) errors.push(`${where}: Prometheus (pods labelled ${NAME_LABEL}=prometheus) cannot scrape /metrics`);
}

/** Returns one message per broken rule; empty when the rendered overlay keeps them all. */
export function checkManifests(objects: K8sObject[], { apps, topics, namespace, mongoMembers }: ManifestExpectations): string[] {
  const errors: string[] = [];
  for (const object of objects) {
    if (object.kind === 'Namespace') continue;
    if (object.metadata?.namespace !== namespace) errors.push(`${object.kind}/${object.metadata?.name}: namespace must be ${namespace}, found ${object.metadata?.namespace ?? 'none'}`);
  }
  // Values of secrets never live in the repository.
  for (const secret of objects.filter((object) => object.kind === 'Secret')) errors.push(`Secret/${secret.metadata.name}: secrets are referenced by name, never rendered`);
  // Infrastructure through the operators, not hand-rolled.
  for (const set of objects.filter((object) => object.kind === 'StatefulSet')) errors.push(`StatefulSet/${set.metadata.name}: infrastructure comes from the operators`);

  const deny = objects.find((object) => object.kind === 'NetworkPolicy' && object.spec?.podSelector && !Object.keys(object.spec.podSelector).length);
  if (!deny || !(deny.spec.policyTypes ?? []).includes('Ingress') || deny.spec.ingress?.length) errors.push('NetworkPolicy: a default deny of ingress (podSelector {}) is missing');

  for (const app of apps) {
    checkDeployment(app, objects, errors);
    const pods = find(objects, 'Deployment', app.name)?.spec?.template?.metadata?.labels;
    const service = find(objects, 'Service', app.name);
    if (!service) errors.push(`Service/${app.name} is missing`);
    else {
      if (!matches(service.spec?.selector, pods)) errors.push(`Service/${app.name}: selector does not match the Deployment's pods`);
      const port = (service.spec?.ports ?? []).find((candidate: K8sObject) => candidate.port === app.port);
      if (!port || (port.targetPort !== 'http' && port.targetPort !== app.port)) errors.push(`Service/${app.name}: must serve port ${app.port} from the pods' http port`);
    }
    const hpa = find(objects, 'HorizontalPodAutoscaler', app.name);
    if (!hpa) errors.push(`HorizontalPodAutoscaler/${app.name} is missing`);
    else {
      const target = hpa.spec?.scaleTargetRef ?? {};
      if (target.kind !== 'Deployment' || target.name !== app.name) errors.push(`HorizontalPodAutoscaler/${app.name}: must scale Deployment/${app.name}`);
      if (!(hpa.spec.minReplicas >= 1 && hpa.spec.maxReplicas >= hpa.spec.minReplicas)) errors.push(`HorizontalPodAutoscaler/${app.name}: replicas range is wrong`);
    }
    const pdb = find(objects, 'PodDisruptionBudget', app.name);
    if (!pdb) errors.push(`PodDisruptionBudget/${app.name} is missing`);
    else if (!matches(pdb.spec?.selector?.matchLabels, pods)) errors.push(`PodDisruptionBudget/${app.name}: selector does not match the Deployment's pods`);
    checkNetworkPolicies(app, apps, objects, errors);
  }

  const gateway = apps.find((app) => app.kind === 'gateway');
  const ingresses = objects.filter((object) => object.kind === 'Ingress');
  if (gateway) {
    const backends = ingresses.flatMap((ingress) => (ingress.spec?.rules ?? []).flatMap((rule: K8sObject) => rule.http?.paths ?? []));
    if (!backends.length) errors.push('Ingress: the gateway has no Ingress');
    for (const path of backends) {
      if (path.backend?.service?.name !== gateway.name) errors.push(`Ingress: every path goes to the gateway, found ${path.backend?.service?.name}`);
    }
  }

  // The production infrastructure through the operators.
  const kafka = objects.filter((object) => object.kind === 'Kafka');
  if (kafka.length !== 1) errors.push(`Kafka: exactly one Strimzi Kafka expected, found ${kafka.length}`);
  const cluster = kafka[0]?.metadata.name;
  const kafkaTopics = objects.filter((object) => object.kind === 'KafkaTopic');
  const topicNames = new Map(kafkaTopics.map((topic) => [topic.spec?.topicName ?? topic.metadata.name, topic]));
  for (const topic of topics) {
    const resource = topicNames.get(topic);
    if (!resource) errors.push(`KafkaTopic ${topic} is missing`);
    else {
      if (resource.spec?.partitions !== TOPIC_PARTITIONS) errors.push(`KafkaTopic ${topic}: ${TOPIC_PARTITIONS} partitions expected, found ${resource.spec?.partitions}`);
      if (resource.metadata.labels?.['strimzi.io/cluster'] !== cluster) errors.push(`KafkaTopic ${topic}: strimzi.io/cluster must name the Kafka ${cluster}`);
    }
  }
  for (const name of topicNames.keys()) if (!topics.includes(name)) errors.push(`KafkaTopic ${name} is not a contract topic`);
  const mongo = objects.filter((object) => object.kind === 'MongoDBCommunity');
  if (mongo.length !== 1) errors.push(`MongoDBCommunity: exactly one replica set expected, found ${mongo.length}`);
  else {
    if (mongo[0]!.spec?.members !== mongoMembers) errors.push(`MongoDBCommunity: ${mongoMembers} members expected, found ${mongo[0]!.spec?.members}`);
    const users = new Map<string, K8sObject>((mongo[0]!.spec?.users ?? []).map((user: K8sObject) => [user.connectionStringSecretName, user]));
    for (const app of apps.filter((candidate) => candidate.kind === 'service')) {
      const secret = secretsOf(app).find((use) => use.variable === 'MONGO_URL')!.secret;
      if (!users.has(secret)) errors.push(`MongoDBCommunity: no user writes the connection string Secret ${secret} that ${app.name} reads`);
    }
  }
  if (objects.filter((object) => object.kind === 'Elasticsearch').length !== 1) errors.push('Elasticsearch: exactly one ECK Elasticsearch expected');
  return errors;
}
