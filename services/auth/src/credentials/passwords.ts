import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export interface HashParameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's argon2id recommendation: m = 19 MiB, t = 2, p = 1. */
export const OWASP_ARGON2: HashParameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** The common-password list zxcvbn ships (~49,000 entries, lower-cased for comparison). */
const COMMON_PASSWORDS = new Set((dictionary['passwords-common'] as string[]).map((password) => password.toLowerCase()));

/**
 * What is wrong with a new password, as field messages (empty = acceptable). Length is also in the
 * request schema; checked here too so the rule stands on its own for other callers (admin bootstrap).
 */
export function passwordProblems(password: string, email: string): string[] {
  const problems: string[] = [];
  if ([...password].length < PASSWORD_MIN_LENGTH) problems.push(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if ([...password].length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  const lowered = password.toLowerCase();
  // The part before the @ (and before any +tag): the first thing an attacker who knows the address tries.
  const localPart = email.split('@')[0]!.split('+')[0]!.toLowerCase();
  if (localPart.length >= 3 && lowered.includes(localPart)) problems.push('must not contain your e-mail address');
  if (COMMON_PASSWORDS.has(lowered)) problems.push('is one of the most common passwords');
  return problems;
}

export class PasswordHasher {
  /** A hash of nothing anyone knows: unknown e-mails are verified against it so they cost the same time. */
  private dummy: Promise<string> | undefined;

  constructor(private readonly parameters: HashParameters = OWASP_ARGON2) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.parameters });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /** Spends a real verification on a password whose account does not exist; always false. */
  async verifyNothing(password: string): Promise<false> {
    this.dummy ??= this.hash(`no-such-account-${Math.random()}`);
    await this.verify(await this.dummy, password);
    return false;
  }
}
