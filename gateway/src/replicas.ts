import type CircuitBreaker from 'opossum';

/** One instance of a service, behind a breaker of its own. */
export interface Replica {
  /** `http://127.0.0.1:3006` */
  url: string;
  /** `127.0.0.1:3006`: names the replica in metrics and logs. */
  address: string;
  breaker: CircuitBreaker;
}

/** Whether a replica's breaker would admit a call now: closed, or half-open with its trial call not yet out. */
export function admits(replica: Replica): boolean {
  return replica.breaker.closed || replica.breaker.pendingClose;
}

/**
 * Round-robin over a service's replicas that skips those whose breaker would refuse the call, so
 * a dead or failing replica stops getting calls while the others share them. A replica whose
 * breaker is half-open gets its one trial call when its turn comes (and is skipped while that
 * trial is out): that is how a replica that came back starts sharing the work again. With no
 * breaker admitting, the next replica in turn is returned and its breaker refuses the call: the
 * service is unavailable.
 */
export class ReplicaBalancer<R extends Replica = Replica> {
  private cursor = 0;

  constructor(readonly replicas: readonly R[]) {
    if (replicas.length === 0) throw new Error('a service needs at least one replica');
  }

  pick(): R {
    const count = this.replicas.length;
    if (count === 1) return this.replicas[0]!;
    const start = this.cursor;
    this.cursor = (start + 1) % count;
    for (let step = 0; step < count; step += 1) {
      const replica = this.replicas[(start + step) % count]!;
      if (admits(replica)) return replica;
    }
    return this.replicas[start]!;
  }

  /** Another replica to try after `failed`, if one's breaker would admit the call (for a failover). */
  alternativeTo(failed: R): R | undefined {
    const count = this.replicas.length;
    const at = this.replicas.indexOf(failed);
    for (let step = 1; step < count; step += 1) {
      const replica = this.replicas[(at + step) % count]!;
      if (admits(replica)) return replica;
    }
    return undefined;
  }
}

/** `127.0.0.1:3006` from `http://127.0.0.1:3006`. */
export function addressOf(url: string): string {
  return new URL(url).host;
}
