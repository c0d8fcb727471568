import type { GroupSample, NodeSample } from './samples.js';

/** Each member's samples in time order, with the look-ups the measurements need. */
export class SampleIndex {
  private readonly byNode = new Map<string, NodeSample[]>();

  constructor(samples: readonly NodeSample[]) {
    for (const s of samples) {
      const list = this.byNode.get(s.node) ?? [];
      list.push(s);
      this.byNode.set(s.node, list);
    }
    for (const list of this.byNode.values()) list.sort((a, b) => a.tMs - b.tMs);
  }

  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  of(node: string): readonly NodeSample[] {
    return this.byNode.get(node) ?? [];
  }

  /** The last answered sample of a member taken before t. */
  lastUpBefore(node: string, t: number): NodeSample | undefined {
    const list = this.of(node);
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.tMs < t && list[i]!.up) return list[i];
    return undefined;
  }

  /** The first sample of a member at or after t that satisfies pred. */
  firstFrom(node: string, t: number, pred: (s: NodeSample) => boolean): NodeSample | undefined {
    for (const s of this.of(node)) if (s.tMs >= t && pred(s)) return s;
    return undefined;
  }

  /** The member's id, from any sample that carried it. */
  idOf(node: string): number | undefined {
    return this.of(node).find((s) => s.nodeId !== undefined)?.nodeId;
  }

  nameOfId(id: number): string | undefined {
    return this.nodes().find((n) => this.idOf(n) === id && id !== 0);
  }
}

export function groupIn(s: NodeSample | undefined, group: number): GroupSample | undefined {
  return s?.groups.find((g) => g.group === group);
}
