import { assert } from '../../raft/assert.js';
import { NetError } from './net-error.js';
import type { ResErrFrame, ResFrame } from './wire.js';

interface PendingCall {
  readonly resolve: (body: unknown) => void;
  readonly reject: (err: NetError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Requests sent on one link and not yet answered. Every call ends exactly
 * once: with its reply, its timeout, or failAll (connection lost, closed).
 * Invariant: calls.size <= callsMax; each entry owns a live timer.
 */
export class PendingCalls {
  private readonly calls = new Map<number, PendingCall>();
  /** Ids are never reused within a link's lifetime (2^53 is out of reach). */
  private nextId = 1;

  constructor(private readonly callsMax: number) {
    assert(Number.isInteger(callsMax) && callsMax >= 1, 'callsMax >= 1');
  }

  get size(): number {
    return this.calls.size;
  }

  /** Registers a call; throws NetError OVERLOADED when callsMax are already pending. */
  start(timeoutMs: number, what: string): { id: number; promise: Promise<unknown> } {
    assert(Number.isFinite(timeoutMs) && timeoutMs > 0, () => `request timeout must be positive, got ${timeoutMs}`);
    if (this.calls.size >= this.callsMax) {
      throw new NetError('OVERLOADED', `${this.calls.size} requests already pending to ${what} (callsMax ${this.callsMax})`);
    }
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new NetError('TIMEOUT', `no reply from ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.calls.set(id, { resolve, reject, timer });
    });
    return { id, promise };
  }

  /** Settles the call a reply names; false when no such call is pending (late or bogus reply). */
  settle(frame: ResFrame | ResErrFrame): boolean {
    const call = this.calls.get(frame.id);
    if (call === undefined) return false;
    this.calls.delete(frame.id);
    clearTimeout(call.timer);
    if (frame.t === 'res') call.resolve(frame.body);
    else call.reject(new NetError('REMOTE_ERROR', `${frame.code}: ${frame.reason}`, frame.code));
    return true;
  }

  /** Fails one call (e.g. its request frame could not be queued). */
  fail(id: number, err: NetError): void {
    const call = this.calls.get(id);
    if (call === undefined) return;
    this.calls.delete(id);
    clearTimeout(call.timer);
    call.reject(err);
  }

  failAll(err: NetError): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) {
      clearTimeout(call.timer);
      call.reject(err);
    }
  }
}
