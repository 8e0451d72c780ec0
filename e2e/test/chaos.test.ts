/**
 * The short version of `pnpm chaos:saga`: a handful of sourcing sagas through the gateway while
 * the Kafka broker is SIGKILLed and started again, and the order service is SIGKILLed mid-run and
 * started again. Afterwards every award has exactly one order, none waits for its verdict and no
 * event was dead-lettered. Own ports (offset 11,000), databases, groups, search alias and topic
 * prefix; the broker is started again whatever happens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopProcesses } from '../../scripts/platform.js';
import {
  Api,
  cleanUp,
  countDeadLetters,
  killBroker,
  killProcess,
  restartBroker,
  restartProcess,
  runSaga,
  setUpMarket,
  startSagaPlatform,
  waitUntil,
  type Market,
  type SagaAudit,
  type SagaPlatform,
  type SagaResult,
} from '../../scripts/saga-driver.js';
import { infra, settledAudit } from './support.js';

const PORT_OFFSET = 11_000;
const SAGAS = 5;

let platform: SagaPlatform | undefined;
let api: Api;
let market: Market;

beforeAll(async () => {
  platform = await startSagaPlatform({ infra, portOffset: PORT_OFFSET, runName: 'e2echaos' });
  api = new Api(platform.gateway, 90_000);
  market = await setUpMarket(api, platform, { buyers: 2, suppliers: 2 });
});

afterAll(async () => {
  // Leave the broker running for whatever runs next, even when the test failed half-way.
  await restartBroker();
  if (platform) {
    await stopProcesses(platform.processes);
    await cleanUp(platform);
  }
});

describe('the sourcing saga under faults', () => {
  it('a broker restart and a SIGKILLed order service lose no order and double none', async () => {
    let awards = 0;
    const faults = (async () => {
      await waitUntil('the first award', async () => awards >= 1, 90_000, 50);
      await killBroker();
      await restartBroker();
      await waitUntil('the third award', async () => awards >= 3, 90_000, 50);
      await killProcess(platform!.processes.find((p) => p.name === 'order')!);
      await restartProcess(platform!, 'order', { timeoutMs: 90_000 });
    })();
    // Each buyer runs its sagas one after another, the two buyers at the same time.
    let next = 0;
    const results: SagaResult[] = [];
    const sagas = Promise.all(
      market.buyers.map(async (buyer) => {
        for (let index = next++; index < SAGAS; index = next++) {
          results.push(await runSaga(api, market, buyer, index, { timeoutMs: 90_000, onAwarded: () => (awards += 1) }));
        }
      }),
    );
    // A fault that could not be injected (or recovered from) fails the test at once.
    await Promise.all([sagas, faults]);
    expect(results.filter((r) => r.error).map((r) => r.error)).toEqual([]);

    const settled = await settledAudit(api, market);
    expect(settled).toMatchObject<Partial<SagaAudit>>({ rfqs: SAGAS, awards: SAGAS, orders: SAGAS, duplicates: 0, pending: 0 });
    expect((await countDeadLetters(platform!)).perTopic).toEqual({});
  }, 240_000);
});
