import type { TxnEnv } from './txn-client.js';

/** The real clock, timers and jitter (the simulator injects its own). */
export const REAL_TXN_ENV: TxnEnv = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  random: () => Math.random(),
};
