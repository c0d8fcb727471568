import test from 'ava';
import { toSample } from '../../src/experiment/metrics-sampler.js';
import { parsePromText } from '../../src/metrics/prom-text-parser.js';

test('a sample counts the open transactions of every group, not only the first one listed', (t) => {
  const text = [
    '# HELP kvstore_txn_open Prepared transaction records',
    '# TYPE kvstore_txn_open gauge',
    'kvstore_txn_open{group="1"} 0',
    'kvstore_txn_open{group="2"} 3',
    'kvstore_txn_open{group="3"} 1',
    '',
  ].join('\n');
  t.is(toSample('participant1', 5, parsePromText(text)).txnOpen, 4);
  t.is(toSample('participant1', 5, parsePromText('')).txnOpen, 0);
});
