import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../../raft/assert.js';
import { runStride } from './campaign-stride.js';
import type { StrideSpec } from './campaign-stride.js';

/** One campaign job: runs its stride of seeds and reports progress, totals or the failure. */
const port = parentPort;
assert(port !== null, 'campaign-worker: must run as a worker thread');
const result = await runStride(workerData as StrideSpec, (seeds) => port.postMessage({ type: 'progress', seeds }));
port.postMessage({ type: 'done', result });
