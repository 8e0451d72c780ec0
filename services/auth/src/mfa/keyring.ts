import type { MfaKey } from '../config.js';
import { open, seal, type Sealed } from '../keys/crypto.js';

/** A TOTP secret at rest: AES-256-GCM ciphertext plus the id of the key that sealed it. */
export interface SealedSecret extends Sealed {
  keyId: string;
}

/**
 * The MFA key ring: seals with the first (current) key, opens with whichever key a secret names,
 * so a new key can be put first while secrets sealed under the old ones stay readable until they
 * are re-sealed (on use, or by the housekeeping job).
 */
export class SecretKeyring {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly MfaKey[]) {
    if (keys.length === 0) throw new Error('the MFA key ring needs a key');
    this.byId = new Map(keys.map((key) => [key.id, key.key]));
  }

  get currentId(): string {
    return this.keys[0]!.id;
  }

  /** `aad` binds the ciphertext to its record (the user id): a sealed secret can't be moved to another account. */
  seal(plaintext: string, aad: string): SealedSecret {
    return { keyId: this.currentId, ...seal(this.keys[0]!.key, plaintext, aad) };
  }

  open(sealed: SealedSecret, aad: string): string {
    const key = this.byId.get(sealed.keyId);
    if (!key) throw new Error(`MFA secret sealed with key ${sealed.keyId}, which MFA_ENCRYPTION_KEYS no longer lists`);
    return open(key, sealed, aad);
  }

  has(keyId: string): boolean {
    return this.byId.has(keyId);
  }

  isCurrent(sealed: SealedSecret): boolean {
    return sealed.keyId === this.currentId;
  }
}
