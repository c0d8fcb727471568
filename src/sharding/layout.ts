// TEMPORARY stand-in until the sharding branch lands.
import { rankAddresses } from './rank-tmp.js';
export interface Layout { readonly groups: number; readonly replicas: number; readonly participants: readonly string[] }
export function makeLayout(participants: readonly string[], o: { groups?: number; replicas?: number } = {}): Layout {
  const ranked = rankAddresses(participants);
  return { groups: o.groups ?? ranked.length, replicas: o.replicas ?? Math.min(3, ranked.length), participants: ranked };
}
export function groupReplicas(l: Layout, g: number): number[] {
  const p = l.participants.length; const first = (g - 1) % p;
  return Array.from({ length: l.replicas }, (_, k) => ((first + k) % p) + 1).sort((a, b) => a - b);
}
export function groupsOf(l: Layout, id: number): number[] { const out = []; for (let g = 1; g <= l.groups; g++) if (groupReplicas(l, g).includes(id)) out.push(g); return out; }
export function preferredLeader(l: Layout, g: number): number { return ((g - 1) % l.participants.length) + 1; }
export function slotRange(l: Layout, g: number): { first: number; last: number } { const per = 16384 / l.groups; return { first: Math.floor((g - 1) * per), last: Math.floor(g * per) - 1 }; }
export function groupOfSlot(l: Layout, slot: number): number { return Math.floor(slot / (16384 / l.groups)) + 1; }
export function layoutEquals(a: Layout, b: Layout): boolean { return JSON.stringify(encodeLayout(a)) === JSON.stringify(encodeLayout(b)); }
export function encodeLayout(l: Layout): unknown { return { groups: l.groups, replicas: l.replicas, participants: [...l.participants] }; }
export function decodeLayout(v: unknown): Layout | string { const o = v as Layout; if (typeof o?.groups !== 'number') return 'bad'; return { groups: o.groups, replicas: o.replicas, participants: [...o.participants] }; }
