/**
 * TEST-ONLY BROKEN BUILD — never shipped, never reachable from src/ or bin/.
 *
 * The shipped `kvstore2pcsystem` or `kvstoreraftsystem` program (its own
 * CLI module, unchanged) with one 2PC failpoint of src/txn/txn-failpoints.ts
 * switched on before it starts: a named protocol bug, planted so the fault
 * harness can show its checker catches it in real processes. The shipped
 * binaries have no way to turn a failpoint on.
 *
 * Usage (built by tsc, as bin/ is): node dist/test/fault/failpoint-system.js <2pc|raft> <failpoint> --config_path FILE
 */
import { txnFailpoints } from '../../src/txn/txn-failpoints.js';
import type { TxnFailpoint } from '../../src/txn/txn-failpoints.js';

const [shape, name] = process.argv.splice(2, 2);
if ((shape !== '2pc' && shape !== 'raft') || name === undefined || !(name in txnFailpoints)) {
  process.stderr.write(`failpoint-system: usage: failpoint-system <2pc|raft> <${Object.keys(txnFailpoints).join('|')}> --config_path FILE\n`);
  process.exit(2);
}
txnFailpoints[name as TxnFailpoint] = true;
process.stderr.write(`${JSON.stringify({ level: 40, msg: 'TEST-ONLY build: 2PC failpoint on', failpoint: name })}\n`);
// The CLI modules run their program when loaded; the failpoint module they import is this one.
if (shape === '2pc') await import('../../src/cli/2pc-system.js');
else await import('../../src/cli/raft-system.js');
