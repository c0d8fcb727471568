import { endpointKey, parseEndpoint, type Endpoint } from '../config/address.js';

/**
 * The one rule that turns a set of addresses into participant ids, used by
 * the coordinator, every participant and every raft peer: they must all
 * agree on it without talking, from nothing but the addresses.
 *
 * A participant's id is the 1-based rank of its address sorted by
 * endpointKey (numeric IPv4, then port; `localhost` counts as 127.0.0.1).
 * Not file position: each raft peer lists itself first, so positions
 * differ between files while ranks are the same in all of them.
 */

/** One ranked address. Invariant: ids are 1..n in the order of the returned array. */
export interface RankedAddress<A> {
  readonly id: number;
  /** As given: a string stays the same string, an Endpoint the same object. */
  readonly address: A;
}

/** The sort key of an address given as `IP:PORT` text or as an Endpoint. */
export function addressKey(address: string | Endpoint): string {
  return endpointKey(typeof address === 'string' ? parseEndpoint(address) : address);
}

/**
 * Addresses with their ids, in id order. Addresses with equal keys (the
 * same socket written twice) keep their input order; callers that need
 * distinct addresses check that where the addresses enter (the config
 * parser, makeLayout).
 */
export function rankAddresses<A extends string | Endpoint>(addresses: readonly A[]): Array<RankedAddress<A>> {
  return addresses
    .map((address) => ({ address, key: addressKey(address) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r, k) => ({ id: k + 1, address: r.address }));
}
