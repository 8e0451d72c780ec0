import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Schema, type Connection } from 'mongoose';
import { connectMongo, READ_BATCH_SIZE, SOCKET_TIMEOUT_MS } from '../src/plugins/mongo.js';
import { uniqueSuffix } from '../src/testing.js';

const url = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/?directConnection=true';
let connection: Connection;

beforeAll(async () => {
  connection = await connectMongo({ url, dbName: `test_kit_mongo_${uniqueSuffix()}` });
});
afterAll(async () => {
  await connection.dropDatabase();
  await connection.close();
});

describe("the kit's Mongo connection", () => {
  it('reads in one batch unless a query says otherwise, so no cursor stays open on the server between batches', async () => {
    const Item = connection.model('Item', new Schema({ _id: String, n: Number }, { versionKey: false }));
    await Item.insertMany(Array.from({ length: 300 }, (_, n) => ({ _id: `item-${String(n).padStart(3, '0')}`, n })));
    const query = Item.find().sort({ _id: 1 }).lean();
    const all = await query;
    expect(all).toHaveLength(300);
    expect(query.getOptions().batchSize).toBe(READ_BATCH_SIZE);

    const chosen = Item.find().batchSize(7).lean();
    expect(await chosen).toHaveLength(300);
    expect(chosen.getOptions().batchSize).toBe(7);

    // Many such reads at once (more than FerretDB's default pool of 50 would hold as open cursors).
    const results = await Promise.all(Array.from({ length: 60 }, () => Item.find({ n: { $gte: 0 } }).lean()));
    expect(results.every((docs) => docs.length === 300)).toBe(true);
  });

  it('gives a stalled request up after a bounded time instead of waiting forever', () => {
    expect(connection.getClient().options.socketTimeoutMS).toBe(SOCKET_TIMEOUT_MS);
  });
});
