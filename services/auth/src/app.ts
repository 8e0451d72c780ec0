import { defaultPortOf } from '@foodxchange/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import { authConfig, keyEncryptionKey, mfaEncryptionKeys, type AuthConfig } from './config.js';
import { apiKeyModels } from './apikeys/model.js';
import apiKeyRoutes from './apikeys/routes.js';
import credentialRoutes from './credentials/routes.js';
import { credentialModel } from './credentials/model.js';
import { PasswordHasher } from './credentials/passwords.js';
import { ensureBootstrapAdmin } from './credentials/service.js';
import type { AuthDeps, RequestOrigin } from './deps.js';
import keyRoutes from './keys/routes.js';
import { signingKeyModel } from './keys/model.js';
import { SigningKeys } from './keys/service.js';
import { LoginThrottle } from './login/throttle.js';
import { SecretKeyring } from './mfa/keyring.js';
import { mfaModels } from './mfa/model.js';
import mfaRoutes from './mfa/routes.js';
import { assertMfaKeysCover, mfaHousekeeping } from './mfa/service.js';
import { authenticatedHook } from './sessions/guard.js';
import { sessionModels } from './sessions/model.js';
import sessionRoutes from './sessions/routes.js';
import { removeExpiredSessions } from './sessions/service.js';
import { publishes, subscriptions } from './subscriptions.js';

export const service: ServiceDefinition<typeof authConfig> = {
  name: 'auth',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('auth'),
  extraConfig: authConfig,
};

declare module 'fastify' {
  interface FastifyInstance {
    /** The auth service's models, keys and settings (the event handlers reach them here). */
    auth: AuthDeps;
  }
}

/** How often a replica checks whether the signing key is due for rotation, and cleans expired tokens. */
const HOUSEKEEPING_MS = 3600_000;

const app: ServiceApp = async (fastify, options) => {
  const config = options.config as AuthConfig;
  // Before connecting anywhere: a production start without a real key encryption key stops here.
  const keys = new SigningKeys(keyEncryptionKey(config), {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTokenTtlMs: config.ACCESS_TOKEN_TTL_S * 1000,
    activationDelayMs: config.SIGNING_KEY_ACTIVATION_DELAY_S * 1000,
  });
  const mfaKeys = new SecretKeyring(mfaEncryptionKeys(config));
  await fastify.register(serviceKit, {
    service,
    config,
    redis: true,
    kafka: { publishes, subscriptions },
    // Auth verifies its own tokens with the keys it holds: no HTTP call to its own JWKS.
    access: { resolveKey: (kid) => keys.publicKeyPem(kid) },
  });

  keys.attach(signingKeyModel(fastify.mongo));
  const deps: AuthDeps = {
    config,
    credentials: credentialModel(fastify.mongo),
    sessions: sessionModels(fastify.mongo),
    keys,
    mfa: mfaModels(fastify.mongo),
    mfaKeys,
    apiKeys: { ...apiKeyModels(fastify.mongo), lastUseWritten: new Map() },
    hasher: new PasswordHasher({
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    }),
    redis: fastify.redis,
    published: () => fastify.events.published(),
  };
  fastify.decorate('auth', deps);
  fastify.events.registerOutbox(deps.credentials);
  fastify.events.registerOutbox(deps.sessions.families);

  const throttle = new LoginThrottle(fastify.redis, {
    maxFailures: config.LOGIN_MAX_FAILURES,
    windowMs: config.LOGIN_FAILURE_WINDOW_S * 1000,
    lockBaseMs: config.LOGIN_LOCK_BASE_MS,
    lockMaxMs: config.LOGIN_LOCK_MAX_MS,
    ipMaxFailures: config.LOGIN_IP_MAX_FAILURES,
    namespace: config.LOGIN_THROTTLE_NAMESPACE,
  });

  let housekeeping: NodeJS.Timeout | undefined;
  // After the kit's onReady index build (registered earlier): the unique indexes exist first.
  fastify.addHook('onReady', async () => {
    await keys.ensure();
    await assertMfaKeysCover(deps);
    // The dummy hash unknown e-mails are checked against exists before the first login: no slower first answer.
    await deps.hasher.verifyNothing('warm-up');
    if (await keys.rotateIfOlderThan(config.SIGNING_KEY_MAX_AGE_S * 1000)) fastify.log.info({ kid: keys.currentKid() }, 'signing key rotated');
    const admin = await ensureBootstrapAdmin(deps, { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD }, fastify.events.context());
    if (admin === 'created') fastify.log.info({ email: config.ADMIN_EMAIL }, 'created the first super admin');
    housekeeping = setInterval(() => {
      void keys
        .rotateIfOlderThan(config.SIGNING_KEY_MAX_AGE_S * 1000)
        .then(() => removeExpiredSessions(deps))
        .then(() => mfaHousekeeping(deps))
        .catch((error) => fastify.log.warn({ err: error }, 'auth housekeeping failed; will retry'));
    }, HOUSEKEEPING_MS);
    housekeeping.unref();
  });
  fastify.addHook('onClose', async () => clearInterval(housekeeping));

  const originOf = (request: FastifyRequest): RequestOrigin => ({
    ip: request.ip,
    ...(typeof request.headers['user-agent'] === 'string' ? { userAgent: request.headers['user-agent'] } : {}),
    context: fastify.events.context(request),
  });

  await fastify.register(
    async (routes: FastifyInstance) => {
      routes.addHook('onRequest', authenticatedHook(deps));
      // Parses Cookie and writes Set-Cookie for the browser's cookie token transport (sessions/transport.ts);
      // unsigned: the refresh token is itself an unguessable secret checked against its stored hash.
      await routes.register(cookie);
      await routes.register(credentialRoutes, { deps, throttle, originOf });
      await routes.register(sessionRoutes, { deps });
      await routes.register(mfaRoutes, { deps, throttle, originOf });
      await routes.register(apiKeyRoutes, { deps });
      await routes.register(keyRoutes, { keys });
    },
    { prefix: '/api/v1/auth' },
  );
};

export default app;
