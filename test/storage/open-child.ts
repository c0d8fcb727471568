/**
 * `node open-child.js <dataDir> [hold]`: opens the store through openOrExit as
 * a node would and prints "opened"; then closes, or with `hold` keeps the
 * store open (and its lock held) until killed. Used by open-or-exit.test.ts.
 */
import { openOrExit } from '../../storage/open-or-exit.js';

const [dataDir, mode] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: open-child <dataDir> [hold]');
const store = await openOrExit(dataDir, { initialConf: { voters: [1], learners: [] } });
await store.persist({ entries: [], hardState: { term: 1, vote: 1, commit: 0 } });
console.log('opened');
if (mode === 'hold') setInterval(() => undefined, 1000);
else await store.close();
