import { request } from 'node:http';
import { parsePromText } from './prom-text.js';
import type { PromFamily } from './prom-text.js';

export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly allow: string | undefined;
  readonly body: string;
}

/** One HTTP request to a node's metrics port on loopback. */
export function httpGet(port: number, path: string, method = 'GET', timeoutMs = 3_000): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), allow: res.headers.allow, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from :${port}${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Scrapes /metrics and parses it strictly (test/helpers/prom-text.ts). */
export async function scrape(port: number): Promise<PromFamily[]> {
  const r = await httpGet(port, '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  if (!r.contentType.startsWith('text/plain; version=0.0.4')) throw new Error(`/metrics content type ${r.contentType}`);
  return parsePromText(r.body);
}

/** The value of the sample named `name` (e.g. `x_count` of a histogram) whose labels include `labels`; undefined when none. */
export function sample(families: readonly PromFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families) {
    const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    if (s !== undefined) return s.value;
  }
  return undefined;
}

export function family(families: readonly PromFamily[], name: string): PromFamily | undefined {
  return families.find((x) => x.name === name);
}
