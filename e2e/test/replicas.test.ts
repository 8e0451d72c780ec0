/**
 * Two replicas of the order service and of the compliance service, as `npm start -- --replicas 2`
 * runs them: each pair shares one database and one consumer group (Kafka spreads the topics'
 * partitions over the two), and the gateway balances the HTTP calls between them. While sourcing
 * sagas run, one replica of each is SIGKILLed — its group rebalances onto the survivor — and later
 * started again — the group rebalances back over both. Afterwards every award has exactly one
 * order, each order went through its states once and in order (one verdict, never two), nothing
 * waits for its verdict and nothing was dead-lettered. Own ports (offset 12,000), databases,
 * groups, search alias and topic prefix.
 */
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portOf, REPLICA_PORT_STEP, stopProcesses, type RunningProcess } from '../../scripts/platform.js';
import {
  Api,
  cleanUp,
  countDeadLetters,
  killProcess,
  restartProcess,
  runSaga,
  setUpMarket,
  startReplica,
  startSagaPlatform,
  waitUntil,
  type Market,
  type SagaPlatform,
  type SagaResult,
} from '../../scripts/saga-driver.js';
import { infra, settledAudit } from './support.js';

const PORT_OFFSET = 12_000;
/** At least this many sagas, and more until the faults (kill, rebalance, restart, rebalance) are through. */
const MIN_SAGAS = 6;
const REPLICATED = ['order', 'compliance'] as const;

/** Replica 1 on the service's port of this run, replica 2 one step up (startReplica's index 1). */
const replicaUrls = (name: string) =>
  [0, 1].map((step) => `http://127.0.0.1:${portOf(name, PORT_OFFSET) + REPLICA_PORT_STEP * step}`).join(',');

let platform: SagaPlatform | undefined;
let api: Api;
let market: Market;
const kafka = new Kafka({ clientId: 'e2e-replicas', brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();

/** Each member of a service's consumer group with the partitions it was assigned (topic → count). */
async function membersOf(name: string): Promise<{ clientHost: string; partitions: number }[]> {
  const groupId = platform!.envFor(name).KAFKA_GROUP_ID!;
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0]!;
  if (group.state !== 'Stable') return [{ clientHost: `group ${group.state}`, partitions: -1 }];
  return group.members.map((member) => {
    const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {};
    return { clientHost: member.clientHost, partitions: Object.values(assignment).reduce((sum, partitions) => sum + partitions.length, 0) };
  });
}

/** Waits for the group to be stable with `count` members, each holding some of the partitions. */
async function waitForMembers(name: string, count: number): Promise<{ partitions: number }[]> {
  let last: unknown;
  return waitUntil(
    `${count} member(s) of ${name}'s group, each assigned partitions`,
    async () => {
      const members = await membersOf(name);
      last = members;
      return members.length === count && members.every((member) => member.partitions > 0) ? members : undefined;
    },
    90_000,
    250,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last seen: ${JSON.stringify(last)}`);
  });
}

const replicaOf = (name: string, replica: 1 | 2): RunningProcess =>
  platform!.processes.find((p) => p.name === name && p.port === portOf(name, PORT_OFFSET) + REPLICA_PORT_STEP * (replica - 1) && p.child.exitCode === null && p.child.signalCode === null)!;

beforeAll(async () => {
  await admin.connect();
  platform = await startSagaPlatform({
    infra,
    portOffset: PORT_OFFSET,
    runName: 'e2ereplicas',
    // The gateway balances between both replicas of each replicated service.
    extraEnv: (name) => (name === 'gateway' ? Object.fromEntries(REPLICATED.map((service) => [`${service.toUpperCase()}_SERVICE_URL`, replicaUrls(service)])) : {}),
  });
  for (const name of REPLICATED) await startReplica(platform, name, 1);
  api = new Api(platform.gateway, 90_000);
  market = await setUpMarket(api, platform, { buyers: 2, suppliers: 2 });
});

afterAll(async () => {
  await admin.disconnect().catch(() => undefined);
  if (platform) {
    await stopProcesses(platform.processes);
    await cleanUp(platform);
  }
});

describe('two replicas of order and compliance', () => {
  it('share their consumer groups: both members hold partitions', async () => {
    for (const name of REPLICATED) {
      const members = await waitForMembers(name, 2);
      expect(members).toHaveLength(2);
    }
    // Read once (not through Api.call, which waits out 503s): notification and admin are not
    // part of this run, so the platform as a whole answers 503 here.
    const health = (await fetch(`${platform!.gateway}/health`).then((res) => res.json())) as { data: { services: Record<string, { replicas?: { status: string }[] }> } };
    for (const name of REPLICATED) expect(health.data.services[name]!.replicas!.map((r) => r.status)).toEqual(['up', 'up']);
  }, 200_000);

  it('sagas keep their guarantees while one replica of each is killed (rebalance onto the survivor) and started again (rebalance back)', async () => {
    let awards = 0;
    let faultsDone = false;
    const rebalanced: Record<string, number[]> = {};
    const faults = (async () => {
      await waitUntil('the second award', async () => awards >= 2, 120_000, 50);
      const partitionsBefore = Object.fromEntries(
        await Promise.all(REPLICATED.map(async (name) => [name, (await waitForMembers(name, 2)).reduce((sum, m) => sum + m.partitions, 0)] as const)),
      );
      // Order's second replica and compliance's first: either may be the one a saga needs.
      await killProcess(replicaOf('order', 2));
      await killProcess(replicaOf('compliance', 1));
      for (const name of REPLICATED) {
        // The survivor takes every partition over once the dead member's session runs out.
        const [survivor] = await waitForMembers(name, 1);
        expect(survivor!.partitions).toBe(partitionsBefore[name]);
        rebalanced[name] = [survivor!.partitions];
      }
      await waitUntil('two more awards with one replica each', async () => awards >= 4, 120_000, 50);
      await startReplica(platform!, 'order', 1);
      await restartProcess(platform!, 'compliance', { timeoutMs: 120_000 });
      for (const name of REPLICATED) {
        const members = await waitForMembers(name, 2);
        rebalanced[name]!.push(...members.map((m) => m.partitions));
      }
      faultsDone = true;
    })();
    // Each buyer runs sagas one after another, the two buyers at the same time, until the faults
    // are through and two more sagas started after them (so sagas run before, during and after
    // both rebalances), and at least MIN_SAGAS in all.
    let next = 0;
    let startedAfterFaults = 0;
    const results: SagaResult[] = [];
    const sagas = Promise.all(
      market.buyers.map(async (buyer) => {
        while (!faultsDone || startedAfterFaults < 2 || next < MIN_SAGAS) {
          if (faultsDone) startedAfterFaults += 1;
          const index = next++;
          results.push(await runSaga(api, market, buyer, index, { timeoutMs: 120_000, onAwarded: () => (awards += 1) }));
        }
      }),
    );
    await Promise.all([sagas, faults]);
    expect(results.filter((r) => r.error).map((r) => r.error)).toEqual([]);
    // Both ways: one member held everything, then two shared it.
    for (const name of REPLICATED) expect(rebalanced[name]).toHaveLength(3);

    const sagaCount = results.length;
    const settled = await settledAudit(api, market);
    expect(settled).toMatchObject({ rfqs: sagaCount, awards: sagaCount, orders: sagaCount, duplicates: 0, pending: 0 });

    // Each order's events were handled once and in order: created pending, then one verdict.
    for (const result of results) {
      const detail = await findOrder(result.orderId!);
      const history = detail.body.data.statusHistory as { to: string; at: string }[];
      expect(history.map((entry) => entry.to)).toEqual(['pending_compliance', result.outcome]);
      const times = history.map((entry) => Date.parse(entry.at));
      expect([...times].sort((x, y) => x - y)).toEqual(times);
    }
    expect((await countDeadLetters(platform!)).perTopic).toEqual({});
  }, 600_000);
});

/** The order as whichever buyer of the run owns it sees it. */
async function findOrder(orderId: string) {
  for (const buyer of market.buyers) {
    const res = await api.call(`/api/v1/orders/${orderId}`, { account: buyer });
    if (res.status === 200) return res;
  }
  throw new Error(`no buyer of the run sees order ${orderId}`);
}
