import { DEFAULT_TXN_DRIVER_OPTIONS, TxnDriver } from '../txn/txn-driver.js';
import type { TxnGroupClient } from '../txn/txn-client.js';
import { REAL_TXN_ENV } from '../txn/txn-env.js';
import type { KvService } from './kv-service.js';
import { RoutedKv, type KeyRouter, type RoutedKvOptions } from './routed-kv.js';
import { TxnFrontDoorStats } from './txn-front-door-stats.js';

export interface TxnFrontDoor {
  readonly kv: KvService;
  readonly driver: TxnDriver;
  readonly stats: TxnFrontDoorStats;
}

/**
 * A front door's KV service over its groups (the coordinator's, a Raft
 * peer's): keys routed by slot, commands over several groups run by its own
 * 2PC driver, every multi-key command counted for INFO and /metrics.
 * `idPrefix` must be new per process, so transaction ids never repeat.
 */
export function txnFrontDoor(
  client: TxnGroupClient,
  idPrefix: string,
  router: KeyRouter,
  groups: ReadonlyMap<number, KvService>,
  opts: Omit<RoutedKvOptions, 'txn' | 'onPath' | 'onCrossEnd'>,
): TxnFrontDoor {
  const stats = new TxnFrontDoorStats();
  const driver = new TxnDriver(client, REAL_TXN_ENV, idPrefix, { ...DEFAULT_TXN_DRIVER_OPTIONS, onStep: stats.onStep });
  stats.spread = () => driver.spreadBatches;
  const kv = new RoutedKv(router, groups, { ...opts, txn: driver, onPath: stats.onPath, onCrossEnd: stats.onCrossEnd });
  return { kv, driver, stats };
}
