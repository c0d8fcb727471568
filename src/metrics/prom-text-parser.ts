/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for
 * tests and the experiment sampler: it refuses what Prometheus would refuse and what the format says
 * must not happen, so a passing scrape means a scraper can read it.
 * (parse-prometheus-text-format, tried first, drops histogram samples
 * whose `le` label is not last, which prom-client writes first.)
 */

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_count` for a histogram `x`). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  readonly help: string;
  readonly type: PromType;
  readonly samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class PromParseError extends Error {
  constructor(line: number, why: string) {
    super(`line ${line}: ${why}`);
  }
}

function parseValue(text: string, line: number): number {
  if (/^[+]?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new PromParseError(line, `not a number: ${JSON.stringify(text)}`);
  return Number(text);
}

/** `{a="x",b="y\"z"}` from `at` (just after the name): the labels and where they end. */
function parseLabels(s: string, at: number, line: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  if (s[at] !== '{') return { labels, end: at };
  let i = at + 1;
  for (;;) {
    if (s[i] === '}') return { labels, end: i + 1 };
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new PromParseError(line, 'label without =');
    const key = s.slice(i, eq);
    if (!LABEL_NAME.test(key)) throw new PromParseError(line, `bad label name ${JSON.stringify(key)}`);
    if (key in labels) throw new PromParseError(line, `label ${key} twice`);
    if (s[eq + 1] !== '"') throw new PromParseError(line, `label ${key}: value not quoted`);
    let v = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const e = s[++j];
        if (e === 'n') v += '\n';
        else if (e === '\\' || e === '"') v += e;
        else throw new PromParseError(line, `bad escape \\${e ?? ''}`);
      } else v += s[j];
    }
    if (j >= s.length) throw new PromParseError(line, 'unterminated label value');
    labels[key] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new PromParseError(line, 'expected , or } after a label');
  }
}

function familyOf(name: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const exact = families.get(name);
  if (exact !== undefined) return exact;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m === null ? undefined : families.get(m[1]!);
  return base !== undefined && (base.type === 'histogram' || (base.type === 'summary' && m![2] !== 'bucket')) ? base : undefined;
}

/** Parses a whole exposition; every sample must belong to a family with HELP and TYPE; histograms must be consistent. */
export function parsePromText(text: string): PromFamily[] {
  const families = new Map<string, PromFamily>();
  const helps = new Map<string, string>();
  const rows = text.split('\n');
  if (rows[rows.length - 1] !== '') throw new PromParseError(rows.length, 'the exposition must end with a newline');
  rows.forEach((row, k) => {
    const line = k + 1;
    if (row === '') return;
    if (row.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(row);
      if (m === null) return; // a plain comment
      const [, what, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new PromParseError(line, `bad metric name ${name}`);
      if (what === 'HELP') {
        if (helps.has(name)) throw new PromParseError(line, `HELP of ${name} twice`);
        helps.set(name, rest);
        return;
      }
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new PromParseError(line, `bad type ${rest}`);
      if (families.has(name)) throw new PromParseError(line, `TYPE of ${name} twice`);
      families.set(name, { name, help: helps.get(name) ?? '', type: rest as PromType, samples: [] });
      return;
    }
    const nameEnd = row.search(/[{ ]/);
    if (nameEnd <= 0) throw new PromParseError(line, `malformed sample ${JSON.stringify(row)}`);
    const name = row.slice(0, nameEnd);
    if (!NAME.test(name)) throw new PromParseError(line, `bad metric name ${name}`);
    const { labels, end } = parseLabels(row, nameEnd, line);
    const rest = row.slice(end).split(' ');
    if (rest[0] !== '' || rest.length < 2 || rest.length > 3) throw new PromParseError(line, `malformed sample ${JSON.stringify(row)}`);
    const fam = familyOf(name, families);
    if (fam === undefined) throw new PromParseError(line, `sample ${name} before (or without) its TYPE line`);
    if (!helps.has(fam.name)) throw new PromParseError(line, `family ${fam.name} has no HELP`);
    fam.samples.push({ name, labels, value: parseValue(rest[1]!, line) });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return [...families.values()];
}

/** Buckets cumulative, ending in +Inf that equals _count, per label set. */
function checkHistogram(f: PromFamily): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
      entry.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    } else if (s.name === `${f.name}_count`) entry.count = s.value;
  }
  for (const [key, e] of series) {
    for (let k = 1; k < e.buckets.length; k++) {
      if (!(e.buckets[k]![0] > e.buckets[k - 1]![0]) || e.buckets[k]![1] < e.buckets[k - 1]![1]) throw new Error(`${f.name}${key}: buckets not cumulative in le order`);
    }
    const inf = e.buckets[e.buckets.length - 1];
    if (inf === undefined || inf[0] !== Infinity || inf[1] !== e.count) throw new Error(`${f.name}${key}: +Inf bucket must exist and equal _count`);
  }
}
