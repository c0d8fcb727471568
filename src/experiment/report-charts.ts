import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { IndexPoint, LoadBucket, RoleSegment } from './report-series.js';

/**
 * The report's charts as vega-lite specs, rendered here to SVG text by
 * vega's headless View (renderer 'none'): declarative specs, layered fault
 * bands, no browser and no canvas needed, and the SVG is inlined in the
 * HTML so the report opens with no network.
 */

/** A fault drawn as a shaded band, in seconds. */
export interface Band {
  readonly label: string;
  readonly from: number;
  readonly to: number;
}

const WIDTH = 760;
const HEIGHT = 200;
/** Jepsen's nemesis band colour. */
const BAND_COLOR = '#cccccc';
const ROLE_COLORS = { leader: '#2ca02c', follower: '#1f77b4', candidate: '#ff7f0e', precandidate: '#ffbb78', learner: '#9467bd', down: '#d62728', none: '#bbbbbb', unknown: '#bbbbbb' } as const;

function timeAxis(endS: number): Record<string, unknown> {
  return { field: 't', type: 'quantitative', title: 'seconds since start', scale: { domain: [0, endS], nice: false } };
}

function bandLayers(bands: readonly Band[], endS: number): unknown[] {
  if (bands.length === 0) return [];
  return [
    { data: { values: bands }, mark: { type: 'rect', color: BAND_COLOR, opacity: 0.6 }, encoding: { x: { field: 'from', type: 'quantitative', scale: { domain: [0, endS], nice: false } }, x2: { field: 'to' } } },
    { data: { values: bands }, mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, fontSize: 10, color: '#555' }, encoding: { x: { field: 'from', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } } },
  ];
}

export function throughputSpec(buckets: readonly LoadBucket[], bands: readonly Band[], endS: number): TopLevelSpec {
  const values = buckets.flatMap((b) => [{ t: b.t, series: 'acknowledged', v: b.okPerS }, { t: b.t, series: 'failed', v: b.failedPerS }]);
  return {
    width: WIDTH, height: HEIGHT, title: 'Throughput seen by the clients',
    layer: [
      ...bandLayers(bands, endS),
      { data: { values }, mark: { type: 'line', interpolate: 'step-after' }, encoding: { x: timeAxis(endS), y: { field: 'v', type: 'quantitative', title: 'requests / s' }, color: { field: 'series', type: 'nominal', title: null, scale: { range: ['#1f77b4', '#d62728'] } } } },
    ],
  } as TopLevelSpec;
}

export function latencySpec(buckets: readonly LoadBucket[], bands: readonly Band[], endS: number): TopLevelSpec {
  const values = buckets.flatMap((b) => [
    ...(b.p50Ms !== undefined ? [{ t: b.t, q: 'p50', ms: Math.max(0.01, b.p50Ms) }] : []),
    ...(b.p99Ms !== undefined ? [{ t: b.t, q: 'p99', ms: Math.max(0.01, b.p99Ms) }] : []),
  ]);
  return {
    width: WIDTH, height: HEIGHT, title: 'Latency of acknowledged requests (log scale)',
    layer: [
      ...bandLayers(bands, endS),
      { data: { values }, mark: { type: 'line', point: { size: 8 } }, encoding: { x: timeAxis(endS), y: { field: 'ms', type: 'quantitative', title: 'ms', scale: { type: 'log' } }, color: { field: 'q', type: 'nominal', title: null, scale: { range: ['#81BFFC', '#FF1E90'] } } } },
    ],
  } as TopLevelSpec;
}

export function indexSpec(points: readonly IndexPoint[], group: number, bands: readonly Band[], endS: number): TopLevelSpec {
  return {
    width: WIDTH, height: HEIGHT, title: `Group ${group}: commit and applied index per member (a line climbing back is a member catching up)`,
    layer: [
      ...bandLayers(bands, endS),
      {
        data: { values: points.filter((p) => p.group === group) },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: timeAxis(endS),
          y: { field: 'value', type: 'quantitative', title: 'log index' },
          color: { field: 'node', type: 'nominal', title: 'member' },
          strokeDash: { field: 'index', type: 'nominal', title: 'index', scale: { domain: ['commit', 'applied'], range: [[1, 0], [4, 3]] } },
          detail: { field: 'index' },
        },
      },
    ],
  } as TopLevelSpec;
}

export function roleSpec(segments: readonly RoleSegment[], group: number, bands: readonly Band[], endS: number): TopLevelSpec {
  const states = Object.keys(ROLE_COLORS);
  return {
    width: WIDTH, height: 24 * new Set(segments.map((s) => s.node)).size + 10, title: `Group ${group}: role of each member (down: no answer to a scrape)`,
    layer: [
      ...bandLayers(bands, endS),
      {
        data: { values: segments.filter((s) => s.group === group) },
        mark: { type: 'rect', height: 16 },
        encoding: {
          x: { field: 'from', type: 'quantitative', title: 'seconds since start', scale: { domain: [0, endS], nice: false } },
          x2: { field: 'to' },
          y: { field: 'node', type: 'nominal', title: null },
          color: { field: 'state', type: 'nominal', title: 'role', scale: { domain: states, range: states.map((s) => ROLE_COLORS[s as keyof typeof ROLE_COLORS]) } },
          tooltip: [{ field: 'node' }, { field: 'state' }, { field: 'from' }, { field: 'to' }],
        },
      },
    ],
  } as TopLevelSpec;
}

/** A vega-lite spec as SVG text, rendered without a browser. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
