/**
 * A write that collides with a unique index is the client's conflict (409) and never worth a
 * retry — whichever way the server reports it. FerretDB 1.x reports an insert as 11000 but an
 * update as code 1 with PostgreSQL's SQLSTATE 23505; both must read the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Schema } from 'mongoose';
import type { FastifyInstance } from 'fastify';
import { buildService, isDuplicateKeyError, isRetryable, serviceKit, type ServiceApp } from '../src/index.js';
import { dropDatabase, isolatedEnv, publicByDefault } from '../src/testing.js';

const UserSchema = new Schema({ _id: String, email: { type: String, unique: true } }, { versionKey: false });

const service = { name: 'kit-dup', version: '0.0.1', description: 'duplicate key test', defaultPort: 0 };
const app: ServiceApp = async (fastify, { config }) => {
  await fastify.register(serviceKit, { service, config });
  publicByDefault(fastify);
  const users = fastify.mongo.model('User', UserSchema);
  fastify.post('/users/:id/email/:email', async (request) => {
    const { id, email } = request.params as { id: string; email: string };
    await users.updateOne({ _id: id }, { $set: { email } });
    return { ok: true };
  });
  fastify.post('/users/:id/:email', async (request) => {
    const { id, email } = request.params as { id: string; email: string };
    await users.create({ _id: id, email });
    return { ok: true };
  });
};

let server: FastifyInstance;
beforeAll(async () => {
  server = await buildService(service, app, isolatedEnv('kitdup'));
  for (const [id, email] of [['a', 'a@x.test'], ['b', 'b@x.test']]) {
    expect((await server.inject({ method: 'POST', url: `/users/${id}/${email}` })).statusCode).toBe(200);
  }
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

describe('a write that collides with a unique index', () => {
  it('is a 409 envelope, for an insert and for an update alike', async () => {
    const insert = await server.inject({ method: 'POST', url: '/users/c/a@x.test' });
    expect(insert.statusCode).toBe(409);
    expect(insert.json().error.code).toBe('CONFLICT');
    const update = await server.inject({ method: 'POST', url: '/users/b/email/a@x.test' });
    expect(update.statusCode).toBe(409);
    expect(update.json()).toMatchObject({ success: false, error: { code: 'CONFLICT' } });
  });

  it('is recognised and not retried, as the server really reports it', async () => {
    const users = server.mongo.model('User');
    const failure = await users.updateOne({ _id: 'b' }, { $set: { email: 'a@x.test' } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeDefined();
    expect(isDuplicateKeyError(failure)).toBe(true);
    expect(isRetryable(failure)).toBe(false);
    expect(isDuplicateKeyError(new Error('connection reset'))).toBe(false);
    expect(isDuplicateKeyError({ code: 1, message: 'some other internal error' })).toBe(false);
  });
});
