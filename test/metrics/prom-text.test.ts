import test from 'ava';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parsePromText } from '../helpers/prom-text.js';

test('the strict parser reads families, labels with escapes, and histograms whatever the label order', (t) => {
  const fams = parsePromText(
    [
      '# HELP a_total Things.',
      '# TYPE a_total counter',
      'a_total{peer="2",why="say \\"hi\\"\\\\n"} 3',
      '# HELP h Times.',
      '# TYPE h histogram',
      'h_bucket{le="0.1",command="set"} 1',
      'h_bucket{le="+Inf",command="set"} 2',
      'h_sum{command="set"} 0.3',
      'h_count{command="set"} 2',
      '# HELP g Level.',
      '# TYPE g gauge',
      'g Nan',
      '',
    ].join('\n'),
  );
  t.deepEqual(fams.map((f) => [f.name, f.type, f.samples.length]), [['a_total', 'counter', 1], ['h', 'histogram', 4], ['g', 'gauge', 1]]);
  t.deepEqual(fams[0]!.samples[0]!.labels, { peer: '2', why: 'say "hi"\\n' });
  t.deepEqual(fams[1]!.samples[3], { name: 'h_count', labels: { command: 'set' }, value: 2 });
  t.true(Number.isNaN(fams[2]!.samples[0]!.value));
});

test('the strict parser refuses what a scraper would: no TYPE, no HELP, bad names, bad values, broken histograms, no final newline', (t) => {
  const bad = [
    'x 1\n',
    '# TYPE x gauge\nx 1\n',
    '# HELP x h\n# TYPE x gauge\nx one\n',
    '# HELP x h\n# TYPE x gauge\nx{a=b} 1\n',
    '# HELP x h\n# TYPE x gauge\nx{1a="b"} 1\n',
    '# HELP x h\n# TYPE x gauge\nx 1',
    '# HELP x h\n# TYPE x gauge\n# TYPE x gauge\nx 1\n',
    '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n',
    '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\n',
  ];
  for (const text of bad) t.throws(() => parsePromText(text), undefined, JSON.stringify(text));
});

test('prom-client 15 output parses: counters, labelled gauges, histograms', async (t) => {
  const r = new Registry();
  new Counter({ name: 'c_total', help: 'c', labelNames: ['k'], registers: [r] }).inc({ k: 'a"b' }, 2);
  new Gauge({ name: 'g', help: 'g', registers: [r] }).set(5);
  const h = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['command'], buckets: [0.1, 1], registers: [r] });
  h.labels('set').observe(0.05);
  h.labels('get').observe(3);
  const fams = parsePromText(await r.metrics());
  t.deepEqual(fams.map((f) => f.name), ['c_total', 'g', 'h_seconds']);
  t.is(fams[2]!.samples.find((s) => s.name === 'h_seconds_count' && s.labels.command === 'get')?.value, 1);
});
