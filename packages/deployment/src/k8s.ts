/**
 * The Kubernetes manifests of infra/k8s that depend on the platform's catalogue (the nine
 * processes of platform.ts, the contract topics of packages/contracts, the pinned Elasticsearch
 * version of infra/src/versions.ts), rendered here so that adding a service or a topic is one
 * entry, not a sixth hand-kept copy (`pnpm --filter @foodxchange/deployment render:k8s`; a test
 * compares the committed files with this rendering). The overlays and the operator resources
 * that do not depend on the catalogue are written by hand beside them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { listApps, parseStringConstant, repoRoot, type AppInfo } from './platform.js';

/* ---------------------------------------------------------------- the platform as Kubernetes sees it */

/** The label every selector of the platform uses. */
export const NAME_LABEL = 'app.kubernetes.io/name';
export const PART_OF = { 'app.kubernetes.io/part-of': 'foodxchange' } as const;
/** Pods carrying this label may scrape every process's /metrics (on its HTTP port). */
export const PROMETHEUS_POD_LABEL = { [NAME_LABEL]: 'prometheus' } as const;
/** Namespace of the ingress controller whose pods may reach the gateway (overlays may patch it). */
export const INGRESS_NAMESPACE = 'ingress-nginx';

/** Names the operators give the infrastructure (operators/*.yaml). */
export const KAFKA_CLUSTER = 'foodxchange';
export const KAFKA_BOOTSTRAP = `${KAFKA_CLUSTER}-kafka-bootstrap:9092`;
export const MONGO_REPLICA_SET = 'foodxchange-mongo';
export const ELASTICSEARCH_CLUSTER = 'foodxchange';

/** Partitions of every contract topic (one aggregate's events stay in order, aggregates spread). */
export const TOPIC_PARTITIONS = 6;
export const TOPIC_REPLICAS = 3;

/** Seconds a pod keeps serving after it was taken out of its Service, before SIGTERM. */
export const PRESTOP_SLEEP_SECONDS = 5;
/** service-kit's drain of HTTP and consumers after SIGTERM (SHUTDOWN_GRACE_MS). */
export const SHUTDOWN_GRACE_MS = 15_000;
/** preStop + drain + a margin: the kubelet's SIGKILL never cuts a drain short. */
export const TERMINATION_GRACE_SECONDS = 30;

/** The node user of the official Node images (USER node in every Dockerfile). */
export const NODE_UID = 1000;

export const IMAGE_REPOSITORY = 'foodxchange';

/** The image an app's Dockerfile builds (compose tags the same name). */
export function imageOf(app: Pick<AppInfo, 'name'>): string {
  return `${IMAGE_REPOSITORY}/${app.name}`;
}

/**
 * The MongoDB database of a service: its name, except the admin service, whose default name
 * `admin` is MongoDB's own administration database (users and roles live there) on a real server.
 */
export function databaseOf(app: Pick<AppInfo, 'name'>): string {
  return app.name === 'admin' ? 'platform-admin' : app.name;
}

/** Secrets the platform reads, by name: their values are created outside the manifests. */
export interface SecretUse {
  /** Environment variable the value goes into. */
  variable: string;
  secret: string;
  key: string;
}

export const REDIS_SECRET = 'foodxchange-redis';
export const ELASTICSEARCH_SECRET = 'foodxchange-elasticsearch';
export const AUTH_SECRET = 'auth-secrets';

/** The Secret the MongoDB operator writes a service user's connection string into. */
export function mongoConnectionSecret(app: Pick<AppInfo, 'name'>): string {
  return `${app.name}-mongo`;
}

/** The Secret an operator team creates with a service user's password (read by the MongoDB operator). */
export function mongoPasswordSecret(app: Pick<AppInfo, 'name'>): string {
  return `${app.name}-mongo-password`;
}

export function secretsOf(app: AppInfo): SecretUse[] {
  const uses: SecretUse[] = [];
  if (app.kind === 'service') uses.push({ variable: 'MONGO_URL', secret: mongoConnectionSecret(app), key: 'connectionString.standard' });
  if (app.kind === 'gateway' || app.uses.redis) uses.push({ variable: 'REDIS_URL', secret: REDIS_SECRET, key: 'url' });
  if (app.uses.elasticsearch) uses.push({ variable: 'ELASTICSEARCH_URL', secret: ELASTICSEARCH_SECRET, key: 'url' });
  if (app.name === 'auth') {
    for (const variable of ['ADMIN_PASSWORD', 'KEY_ENCRYPTION_KEY', 'MFA_ENCRYPTION_KEYS']) uses.push({ variable, secret: AUTH_SECRET, key: variable });
  }
  return uses;
}

/**
 * Who calls whom over HTTP, from the code: the gateway proxies to every service (and aggregates
 * their /health/ready and /openapi.json), and every process verifies access tokens against auth's
 * JWKS (service-kit's JWKS_URL). No service calls another service otherwise (checked by a test
 * that reads services/src).
 */
export function callersOf(app: AppInfo, apps: AppInfo[]): string[] {
  if (app.kind === 'gateway') return [];
  const callers = new Set<string>(['gateway']);
  if (app.name === 'auth') for (const other of apps) if (other.name !== 'auth') callers.add(other.name);
  return [...callers];
}

/* ---------------------------------------------------------------- topics */

/** The contract topics (`TOPICS` in packages/contracts/src/topics.ts), read as text: no import of the package. */
export function parseTopics(source: string): string[] {
  const block = /export const TOPICS\s*=\s*\{([\s\S]*?)\}\s*as const/.exec(source);
  if (!block) throw new Error('packages/contracts/src/topics.ts: no `export const TOPICS = { … } as const`');
  return [...block[1]!.matchAll(/:\s*'([^']+)'/g)].map((match) => match[1]!);
}

export function contractTopics(root = repoRoot): string[] {
  return parseTopics(readFileSync(join(root, 'packages/contracts/src/topics.ts'), 'utf8'));
}

/** Every topic the brokers need: the contract topics and their dead-letter topics. */
export function allTopics(root = repoRoot): string[] {
  return contractTopics(root).flatMap((topic) => [topic, `${topic}.dlq`]);
}

/* ---------------------------------------------------------------- objects */

type Obj = Record<string, unknown>;

function selectorOf(app: Pick<AppInfo, 'name'>): Record<string, string> {
  return { [NAME_LABEL]: app.name };
}

function labelsOf(app: AppInfo): Record<string, string> {
  return { ...selectorOf(app), 'app.kubernetes.io/component': app.kind, ...PART_OF };
}

function resourcesOf(app: AppInfo): Obj {
  // Measured locally an idle service holds 90–130 MB resident; the gateway carries every request.
  return app.kind === 'gateway'
    ? { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '1', memory: '512Mi' } }
    : { requests: { cpu: '50m', memory: '160Mi' }, limits: { cpu: '1', memory: '512Mi' } };
}

export function configMapName(app: Pick<AppInfo, 'name'>): string {
  return `${app.name}-config`;
}

export const PLATFORM_CONFIG = 'foodxchange-platform';

/** Settings every process shares (base kustomization's configMapGenerator). */
export function platformConfig(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '0.0.0.0',
    LOG_LEVEL: 'info',
    KAFKA_BROKERS: KAFKA_BOOTSTRAP,
    KAFKA_TOPIC_PARTITIONS: String(TOPIC_PARTITIONS),
    JWKS_URL: 'http://auth:3001/api/v1/auth/.well-known/jwks.json',
    SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
  };
}

/** One app's own settings: its port, its database, the gateway's upstreams. */
export function appConfig(app: AppInfo, apps: AppInfo[]): Record<string, string> {
  const config: Record<string, string> = { PORT: String(app.port) };
  if (app.kind === 'service') config.MONGO_DB = databaseOf(app);
  if (app.name === 'auth') config.ADMIN_EMAIL = 'admin@foodxchange.example';
  if (app.kind === 'gateway') {
    for (const upstream of apps.filter((candidate) => candidate.kind === 'service')) {
      config[`${upstream.name.toUpperCase()}_SERVICE_URL`] = `http://${upstream.name}:${upstream.port}`;
    }
  }
  return config;
}

function httpProbe(path: string, periodSeconds: number, failureThreshold: number): Obj {
  return { httpGet: { path, port: 'http' }, periodSeconds, timeoutSeconds: 3, failureThreshold };
}

export function deploymentOf(app: AppInfo): Obj {
  const env: Obj[] = secretsOf(app).map(({ variable, secret, key }) => ({
    name: variable,
    valueFrom: { secretKeyRef: { name: secret, key } },
  }));
  // Each gateway pod names itself in x-gateway-instance.
  if (app.kind === 'gateway') env.push({ name: 'GATEWAY_INSTANCE', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app.name, labels: labelsOf(app) },
    spec: {
      // No replicas: the HorizontalPodAutoscaler owns the count (a re-apply never resets it).
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorOf(app) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: labelsOf(app),
          // The annotation convention Prometheus' kubernetes_sd relabelling (and most charts) use.
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(app.port), 'prometheus.io/path': '/metrics' },
        },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NODE_UID,
            runAsGroup: NODE_UID,
            fsGroup: NODE_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorOf(app) } },
          ],
          containers: [
            {
              name: app.name,
              image: `${imageOf(app)}:${app.pkg?.version ?? '0.1.0'}`,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: app.port, protocol: 'TCP' }],
              envFrom: [{ configMapRef: { name: PLATFORM_CONFIG } }, { configMapRef: { name: configMapName(app) } }],
              ...(env.length ? { env } : {}),
              resources: resourcesOf(app),
              // Start-up (connections, topic set-up) may take a while on a cold cluster; once up,
              // liveness only restarts a wedged process and readiness (which includes the consumers'
              // group assignment) takes a pod out of its Service.
              startupProbe: httpProbe('/health/live', 2, 60),
              livenessProbe: httpProbe('/health/live', 10, 3),
              readinessProbe: httpProbe('/health/ready', 5, 2),
              lifecycle: {
                // Endpoints are removed asynchronously: keep serving until the Service and the
                // ingress controller stopped sending, then SIGTERM starts service-kit's drain.
                preStop: { exec: { command: ['sleep', String(PRESTOP_SLEEP_SECONDS)] } },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              // The only writable place: node's and the tooling's temporary files.
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
}

export function serviceOf(app: AppInfo): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: app.name, labels: labelsOf(app) },
    spec: { type: 'ClusterIP', selector: selectorOf(app), ports: [{ name: 'http', port: app.port, targetPort: 'http', protocol: 'TCP' }] },
  };
}

export function autoscalerOf(app: AppInfo): Obj {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: app.name, labels: labelsOf(app) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app.name },
      // Two at least: one pod may be drained or rescheduled while the other serves.
      minReplicas: 2,
      maxReplicas: app.kind === 'gateway' ? 10 : 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      behavior: {
        // Every scale-down rebalances the consumer groups: do it slowly, one pod at a time.
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
      },
    },
  };
}

export function disruptionBudgetOf(app: AppInfo): Obj {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: app.name, labels: labelsOf(app) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf(app) } },
  };
}

export const INGRESS_HOST = 'api.foodxchange.example';

export function ingressOf(app: AppInfo): Obj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: app.name,
      labels: labelsOf(app),
      annotations: {
        // Uploads (catalog imports) up to the gateway's UPLOAD_BODY_LIMIT_BYTES; SSE streams stay open.
        'nginx.ingress.kubernetes.io/proxy-body-size': '20m',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      },
    },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: INGRESS_HOST,
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: app.name, port: { name: 'http' } } } }] },
        },
      ],
    },
  };
}

/** Default deny, then one policy per process: who may call it, and the monitoring scrape. */
export function networkPoliciesOf(apps: AppInfo[]): Obj[] {
  const deny: Obj = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny-ingress', labels: { ...PART_OF } },
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  };
  const scrape = { namespaceSelector: {}, podSelector: { matchLabels: { ...PROMETHEUS_POD_LABEL } } };
  const perApp = apps.map((app): Obj => {
    const ports = [{ protocol: 'TCP', port: app.port }];
    const from =
      app.kind === 'gateway'
        ? [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': INGRESS_NAMESPACE } } }]
        : callersOf(app, apps).map((caller) => ({ podSelector: { matchLabels: { [NAME_LABEL]: caller } } }));
    return {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${app.name}-ingress`, labels: labelsOf(app) },
      spec: {
        podSelector: { matchLabels: selectorOf(app) },
        policyTypes: ['Ingress'],
        ingress: [
          { from, ports },
          // Prometheus reads /metrics on the same port.
          { from: [scrape], ports },
        ],
      },
    };
  });
  return [deny, ...perApp];
}

/* ---------------------------------------------------------------- operator resources (production infrastructure) */

export function kafkaTopicsOf(topics: string[]): Obj[] {
  return topics.map((topic) => ({
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaTopic',
    metadata: { name: topic, labels: { 'strimzi.io/cluster': KAFKA_CLUSTER, ...PART_OF } },
    spec: {
      topicName: topic,
      partitions: TOPIC_PARTITIONS,
      replicas: TOPIC_REPLICAS,
      config: {
        'min.insync.replicas': 2,
        // Dead letters are kept for inspection and replay from the admin service.
        'retention.ms': topic.endsWith('.dlq') ? 30 * 24 * 3_600_000 : 7 * 24 * 3_600_000,
      },
    },
  }));
}

/** The MongoDB Community operator's replica set with one SCRAM user per service, limited to its database. */
export function mongoReplicaSetOf(apps: AppInfo[]): Obj {
  return {
    apiVersion: 'mongodbcommunity.mongodb.com/v1',
    kind: 'MongoDBCommunity',
    metadata: { name: MONGO_REPLICA_SET, labels: { ...PART_OF } },
    spec: {
      members: 3,
      type: 'ReplicaSet',
      version: '7.0.14',
      security: { authentication: { modes: ['SCRAM'] } },
      users: apps
        .filter((app) => app.kind === 'service')
        .map((app) => ({
          name: app.name,
          db: 'admin',
          passwordSecretRef: { name: mongoPasswordSecret(app) },
          roles: [{ name: 'readWrite', db: databaseOf(app) }],
          scramCredentialsSecretName: `${app.name}-mongo-scram`,
          connectionStringSecretName: mongoConnectionSecret(app),
        })),
      statefulSet: {
        spec: {
          volumeClaimTemplates: [
            { metadata: { name: 'data-volume' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } } },
            { metadata: { name: 'logs-volume' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } },
          ],
        },
      },
    },
  };
}

export function elasticsearchOf(version: string): Obj {
  return {
    apiVersion: 'elasticsearch.k8s.elastic.co/v1',
    kind: 'Elasticsearch',
    metadata: { name: ELASTICSEARCH_CLUSTER, labels: { ...PART_OF } },
    spec: {
      version,
      nodeSets: [
        {
          name: 'default',
          count: 3,
          // No privileged init container for vm.max_map_count: the nodes use niofs instead of mmap.
          config: { 'node.store.allow_mmap': false },
          podTemplate: {
            spec: {
              containers: [
                {
                  name: 'elasticsearch',
                  resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '2Gi' } },
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'elasticsearch-data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
            },
          ],
        },
      ],
    },
  };
}

/**
 * Ingress to the infrastructure the apps use, under the apps' default deny: the replica set and
 * the Elasticsearch nodes talk among themselves, the services reach Mongo, catalog reaches
 * Elasticsearch, and the ECK operator (namespace elastic-system) manages its cluster over HTTP.
 * Strimzi writes the brokers' policies itself (networkPolicyPeers in operators/kafka.yaml).
 */
export function infrastructurePoliciesOf(apps: AppInfo[]): Obj[] {
  const services = apps.filter((app) => app.kind === 'service');
  const mongoPods = { app: `${MONGO_REPLICA_SET}-svc` };
  const esPods = { 'elasticsearch.k8s.elastic.co/cluster-name': ELASTICSEARCH_CLUSTER };
  const podsNamed = (names: string[]) => ({
    podSelector: { matchExpressions: [{ key: NAME_LABEL, operator: 'In', values: names }] },
  });
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'mongodb-ingress', labels: { ...PART_OF } },
      spec: {
        podSelector: { matchLabels: mongoPods },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: mongoPods } }, podsNamed(services.map((app) => app.name))], ports: [{ protocol: 'TCP', port: 27017 }] }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'elasticsearch-ingress', labels: { ...PART_OF } },
      spec: {
        podSelector: { matchLabels: esPods },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: esPods } }], ports: [{ protocol: 'TCP', port: 9200 }, { protocol: 'TCP', port: 9300 }] },
          {
            from: [
              podsNamed(services.filter((app) => app.uses.elasticsearch).map((app) => app.name)),
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'elastic-system' } } },
            ],
            ports: [{ protocol: 'TCP', port: 9200 }],
          },
        ],
      },
    },
  ];
}

/** The image tag `docker compose build` gives every image (FOODXCHANGE_TAG's default). */
export const LOCAL_IMAGE_TAG = 'local';

export function localOverlayOf(apps: AppInfo[]): Obj {
  const jsonPatch = (path: string, target: Obj) => ({ path, target });
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: 'foodxchange',
    resources: ['namespace.yaml', '../../base', '../../operators'],
    // Load them into the cluster first (kind load docker-image foodxchange/<name>:local, …).
    images: apps.map((app) => ({ name: imageOf(app), newTag: LOCAL_IMAGE_TAG })),
    patches: [
      jsonPatch('scale-down.yaml', { kind: 'HorizontalPodAutoscaler' }),
      jsonPatch('ingress-host.yaml', { kind: 'Ingress', name: 'gateway' }),
      jsonPatch('kafka-single-node.yaml', { kind: 'KafkaNodePool' }),
      jsonPatch('kafka-replication.yaml', { kind: 'Kafka' }),
      jsonPatch('topic-replication.yaml', { kind: 'KafkaTopic' }),
      jsonPatch('mongodb-small.yaml', { kind: 'MongoDBCommunity' }),
      jsonPatch('elasticsearch-single-node.yaml', { kind: 'Elasticsearch' }),
    ],
  };
}

/* ---------------------------------------------------------------- files */

export interface RenderedManifest {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

export const K8S_DIR = 'infra/k8s';

/**
 * YAML 1.1 quoting: Kubernetes' own reader and kubectl treat an unquoted `off`, `on`, `yes` or `no`
 * as a boolean, so strings like nginx's `proxy-buffering: off` must be written quoted.
 */
const YAML_OPTIONS = { lineWidth: 0, version: '1.1' } as const;

const HEADER = (what: string) =>
  `# ${what}\n# Rendered by packages/deployment/src/k8s.ts from the platform's catalogue: change the code, then run\n# \`pnpm --filter @foodxchange/deployment render:k8s\` (a test compares this file with the rendering).\n`;

function yamlDocuments(objects: Obj[]): string {
  return objects.map((object) => stringify(object, YAML_OPTIONS)).join('---\n');
}

export function renderK8s(root = repoRoot): RenderedManifest[] {
  const apps = listApps(root);
  const versions = readFileSync(join(root, 'infra/src/versions.ts'), 'utf8');
  const esVersion = parseStringConstant(versions, 'ELASTICSEARCH_VERSION');
  if (!esVersion) throw new Error('infra/src/versions.ts: no ELASTICSEARCH_VERSION');

  const appFiles = apps.map((app) => ({
    path: `${K8S_DIR}/base/apps/${app.name}.yaml`,
    content:
      HEADER(`${app.packageName}: Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget${app.kind === 'gateway' ? ', Ingress' : ''}.`) +
      yamlDocuments([
        deploymentOf(app),
        serviceOf(app),
        autoscalerOf(app),
        disruptionBudgetOf(app),
        ...(app.kind === 'gateway' ? [ingressOf(app)] : []),
      ]),
  }));

  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    labels: [{ pairs: { ...PART_OF }, includeSelectors: false }],
    resources: [...appFiles.map((file) => file.path.slice(`${K8S_DIR}/base/`.length)), 'network-policies.yaml'],
    // Generated ConfigMaps carry a content hash in their name: a changed setting rolls the pods.
    configMapGenerator: [
      { name: PLATFORM_CONFIG, literals: Object.entries(platformConfig()).map(([key, value]) => `${key}=${value}`) },
      ...apps.map((app) => ({ name: configMapName(app), literals: Object.entries(appConfig(app, apps)).map(([key, value]) => `${key}=${value}`) })),
    ],
  };

  return [
    ...appFiles,
    {
      path: `${K8S_DIR}/base/network-policies.yaml`,
      content: HEADER('Ingress rules: nothing reaches a pod unless a policy below lets it (DESIGN.md: who calls whom).') + yamlDocuments(networkPoliciesOf(apps)),
    },
    {
      path: `${K8S_DIR}/base/kustomization.yaml`,
      content: HEADER('The nine processes, one file each, and their settings.') + stringify(kustomization, YAML_OPTIONS),
    },
    {
      path: `${K8S_DIR}/overlays/local/kustomization.yaml`,
      content: HEADER('Local cluster (kind, minikube, k3d): the images `docker compose build` tags, one pod per process, single-node infrastructure.') + stringify(localOverlayOf(apps), YAML_OPTIONS),
    },
    {
      path: `${K8S_DIR}/operators/kafka-topics.yaml`,
      content:
        HEADER(`Strimzi KafkaTopics: every contract topic of packages/contracts and its .dlq, ${TOPIC_PARTITIONS} partitions, ${TOPIC_REPLICAS} replicas.`) +
        yamlDocuments(kafkaTopicsOf(allTopics(root))),
    },
    {
      path: `${K8S_DIR}/operators/mongodb.yaml`,
      content: HEADER('MongoDB 7 replica set through the MongoDB Community operator: one user per service, readWrite on its own database.') + yamlDocuments([mongoReplicaSetOf(apps)]),
    },
    {
      path: `${K8S_DIR}/operators/elasticsearch.yaml`,
      content: HEADER(`Elasticsearch ${esVersion} (infra/src/versions.ts) through ECK.`) + yamlDocuments([elasticsearchOf(esVersion)]),
    },
    {
      path: `${K8S_DIR}/operators/network-policies.yaml`,
      content: HEADER('Ingress to the infrastructure pods under the default deny.') + yamlDocuments(infrastructurePoliciesOf(apps)),
    },
  ];
}
