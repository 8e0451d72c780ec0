import { createPublicKey, generateKeyPair, randomUUID, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';
import { createSigner } from 'fast-jwt';
import { isDuplicateKeyError } from '@foodxchange/service-kit';
import { open, seal } from './crypto.js';
import type { SigningKeyDoc, SigningKeyModel } from './model.js';

const generateRsaKeyPair = promisify(generateKeyPair);

/** A public key as the JWKS serves it. */
export interface PublicJwk {
  kty: string;
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

interface LoadedKey {
  kid: string;
  generation: number;
  createdAt: Date;
  publicKeyPem: string;
  jwk: PublicJwk;
  /** When its successor was created (undefined for the newest key). */
  supersededAt?: Date;
}

export interface SignedToken {
  token: string;
  kid: string;
}

export interface SigningKeysOptions {
  issuer: string;
  audience: string;
  accessTokenTtlMs: number;
  /** Clock difference between replicas and verifiers that a retiring key is kept longer for. */
  skewMs?: number;
  /** How often a replica re-reads the keys (another replica may have rotated). */
  reloadMs?: number;
  /**
   * A new key is published this long before anything is signed with it, so every replica's JWKS
   * (re-read every `reloadMs`) has it before a verifier meets a token it signed. Longer than reloadMs.
   */
  activationDelayMs?: number;
}

/**
 * The RSA keys access tokens are signed with, persisted in the auth database with the private
 * key encrypted: generated on the first start, never regenerated on a restart, rotated by
 * inserting the next generation. A key stays in the JWKS after its successor exists for as long
 * as a token it signed can still be valid (access-token lifetime plus skew).
 */
export class SigningKeys {
  private model: SigningKeyModel | undefined;
  private keys: LoadedKey[] = [];
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private signer: { kid: string; sign: (payload: Record<string, unknown>) => string } | undefined;

  constructor(
    private readonly encryptionKey: Buffer,
    private readonly options: SigningKeysOptions,
  ) {}

  attach(model: SigningKeyModel): void {
    this.model = model;
  }

  private get store(): SigningKeyModel {
    if (!this.model) throw new Error('signing keys are not attached to their collection yet');
    return this.model;
  }

  /** Makes sure a key exists (the first start creates it) and loads them. */
  async ensure(): Promise<void> {
    if ((await this.store.countDocuments()) === 0) await this.insertGeneration(1);
    await this.reload();
    if (this.keys.length === 0) throw new Error('no signing key could be created');
  }

  /** Adds the next key; tokens are signed with it from now on. Returns its kid. */
  async rotate(): Promise<string> {
    await this.reload();
    const newest = this.keys.at(-1);
    await this.insertGeneration((newest?.generation ?? 0) + 1);
    await this.reload();
    return this.keys.at(-1)!.kid;
  }

  /** Rotates when the newest key is older than `maxAgeMs` (0 = never). Returns whether it did. */
  async rotateIfOlderThan(maxAgeMs: number, now = Date.now()): Promise<boolean> {
    if (maxAgeMs <= 0) return false;
    await this.reload();
    const newest = this.keys.at(-1);
    if (newest && now - newest.createdAt.getTime() < maxAgeMs) return false;
    await this.rotate();
    return true;
  }

  /**
   * Signs claims with the newest active key (kid in the header, iss/aud/exp set here). The token
   * lives the access-token lifetime unless `expiresInMs` asks for less (API-key tokens).
   */
  async sign(payload: Record<string, unknown>, { expiresInMs }: { expiresInMs?: number } = {}): Promise<SignedToken> {
    await this.reloadIfStale();
    const newest = this.signingKey(Date.now());
    if (!newest) throw new Error('no signing key loaded');
    if (this.signer?.kid !== newest.kid) {
      const doc = await this.store.findById(newest.kid).lean<SigningKeyDoc>();
      if (!doc) throw new Error(`signing key ${newest.kid} vanished`);
      const privateKeyPem = open(this.encryptionKey, doc.privateKey, doc._id);
      this.signer = {
        kid: newest.kid,
        sign: createSigner({
          algorithm: 'RS256',
          key: privateKeyPem,
          kid: newest.kid,
          iss: this.options.issuer,
          aud: this.options.audience,
        }) as (payload: Record<string, unknown>) => string,
      };
    }
    // exp is set here rather than by the signer's expiresIn, which would override a shorter one.
    const lifetimeMs = Math.min(expiresInMs ?? this.options.accessTokenTtlMs, this.options.accessTokenTtlMs);
    const iat = Math.floor(Date.now() / 1000);
    return { token: this.signer.sign({ ...payload, iat, exp: iat + Math.floor(lifetimeMs / 1000) }), kid: this.signer.kid };
  }

  /** The keys a verifier may meet in a live token: the JWKS. */
  async published(now = Date.now()): Promise<PublicJwk[]> {
    await this.reloadIfStale();
    return this.live(now).map((key) => key.jwk);
  }

  /** Public key of a live `kid` (the auth service verifies its own tokens with it). */
  async publicKeyPem(kid: string, now = Date.now()): Promise<string | undefined> {
    let key = this.live(now).find((candidate) => candidate.kid === kid);
    // A kid this replica does not know yet: another replica may just have rotated.
    if (!key && now - this.loadedAt > 1000) {
      await this.reload();
      key = this.live(now).find((candidate) => candidate.kid === kid);
    }
    return key?.publicKeyPem;
  }

  /** The kid new tokens are signed with. */
  currentKid(now = Date.now()): string | undefined {
    return this.signingKey(now)?.kid;
  }

  private get activationDelayMs(): number {
    return this.options.activationDelayMs ?? (this.options.reloadMs ?? 30_000) + 30_000;
  }

  /** The first key signs at once; a rotated-in key once it has been published for the activation delay. */
  private signingKey(now: number): LoadedKey | undefined {
    const active = this.keys.filter((key, index) => index === 0 || key.createdAt.getTime() + this.activationDelayMs <= now);
    return active.at(-1);
  }

  private live(now: number): LoadedKey[] {
    // A superseded key still signs until its successor activates, and its tokens live on after that.
    const keepFor = this.activationDelayMs + this.options.accessTokenTtlMs + (this.options.skewMs ?? 60_000);
    return this.keys.filter((key) => !key.supersededAt || key.supersededAt.getTime() + keepFor > now);
  }

  private async insertGeneration(generation: number): Promise<void> {
    const { publicKey, privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
    const kid = randomUUID();
    const doc: SigningKeyDoc = {
      _id: kid,
      generation,
      algorithm: 'RS256',
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKey: seal(this.encryptionKey, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), kid),
      createdAt: new Date(),
    };
    try {
      await this.store.create(doc);
    } catch (error) {
      // Another replica made this generation first: its key is the one.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  private async reloadIfStale(): Promise<void> {
    if (Date.now() - this.loadedAt > (this.options.reloadMs ?? 30_000)) await this.reload();
  }

  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const docs = await this.store.find().select({ privateKey: 0 }).sort({ generation: 1 }).lean<Omit<SigningKeyDoc, 'privateKey'>[]>();
    const keys = docs.map((doc, index): LoadedKey => {
      const jwk = createPublicKey(doc.publicKeyPem).export({ format: 'jwk' }) as JsonWebKey;
      const next = docs[index + 1];
      return {
        kid: doc._id,
        generation: doc.generation,
        createdAt: doc.createdAt,
        publicKeyPem: doc.publicKeyPem,
        jwk: { kty: String(jwk.kty), n: String(jwk.n), e: String(jwk.e), kid: doc._id, alg: 'RS256', use: 'sig' },
        ...(next ? { supersededAt: next.createdAt } : {}),
      };
    });
    // The newest private key must open with this KEY_ENCRYPTION_KEY: a wrong key stops the start, not the first login.
    const newest = keys.at(-1);
    if (newest && this.signer?.kid !== newest.kid) {
      const doc = await this.store.findById(newest.kid).lean<SigningKeyDoc>();
      if (doc) {
        try {
          open(this.encryptionKey, doc.privateKey, doc._id);
        } catch {
          throw new Error(`signing key ${doc._id} cannot be decrypted: KEY_ENCRYPTION_KEY is not the key it was stored with`);
        }
      }
    }
    this.keys = keys;
    this.loadedAt = Date.now();
  }
}
