import { parentPort } from 'node:worker_threads';
import { assert } from '../../raft/assert.js';
import { runBatch, targetNamed } from './targets.js';

/** One fuzz job: runs the batches the campaign sends, one at a time, and reports each. */
export interface BatchTask {
  readonly target: string;
  readonly seed: number;
  readonly runs: number;
}

const port = parentPort;
assert(port !== null, 'fuzz campaign-worker: must run as a worker thread');
port.on('message', (task: BatchTask) => {
  const started = performance.now();
  const result = runBatch(targetNamed(task.target), task.seed, task.runs);
  port.postMessage({ task, result, ms: performance.now() - started });
});
