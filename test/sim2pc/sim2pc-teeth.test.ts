import test from 'ava';
import { txnFailpoints, type TxnFailpoint } from '../../src/txn/txn-failpoints.js';
import { runSim2pc } from './sim2pc.js';

/**
 * Teeth: each planted protocol bug (a failpoint) must be caught by the
 * simulator's checkers within 1,500 seeds. The seeds it took are
 * logged (the closing note of the 2PC issue quotes them).
 */
const SEEDS_MAX = 1_500;

const planted: readonly [TxnFailpoint, string][] = [
  ['secondariesBeforeDecision', 'secondaries apply before the primary decides'],
  ['resolverCommitsWithoutPrimary', 'a timed-out lock is resolved as COMMIT without asking the primary'],
  ['readsIgnoreLocks', 'reads ignore write locks'],
  ['forgetIgnoresHold', 'FORGET drops a decision while a copy of the primary\'s PREPARE may still apply'],
  ['primaryCommitsLateCopy', 'a copy of the primary\'s PREPARE past its notAfter commits'],
  ['resolveIgnoresIndex', 'a stale RESOLVE applies a later copy of the PREPARE'],
  ['laterDecisionWins', 'a later decision overwrites the first'],
];

for (const [fp, what] of planted) {
  test.serial(`2pc sim catches a planted bug: ${what}`, async (t) => {
    txnFailpoints[fp] = true;
    try {
      for (let s = 1; s <= SEEDS_MAX; s++) {
        const r = await runSim2pc(s);
        if (r.error !== undefined) {
          t.log(`caught at seed ${s}: ${String((r.error as Error).message ?? r.error).slice(0, 240)}`);
          t.pass();
          return;
        }
      }
      t.fail(`${fp} survived ${SEEDS_MAX} seeds`);
    } finally {
      txnFailpoints[fp] = false;
    }
  });
}
