import test from 'ava';
import type { Message, SnapMsg } from '../../raft/messages.js';
import type { NodeId } from '../../raft/types.js';
import { checkRaftMessage } from '../../src/participant/raft-message-guard.js';
import { ChunkedSnapshotTransport, SnapshotAssembler, isSnapChunk } from '../../src/participant/snapshot-transfer.js';

/** A transport that holds what is sent; `write` reports frames written one at a time, as a socket would. */
class HeldTransport {
  readonly sent: Array<{ to: NodeId; msg: unknown; onSent: ((ok: boolean) => void) | undefined }> = [];
  send(to: NodeId, msg: Message, opts?: { onSent?: (ok: boolean) => void }): void {
    this.sent.push({ to, msg, onSent: opts?.onSent });
  }
}

const snapOf = (bytes: number): SnapMsg => ({
  type: 'snap',
  from: 1,
  to: 2,
  term: 3,
  snapshot: { meta: { index: 40, term: 2, conf: { voters: [1, 2, 3], learners: [] } }, data: Buffer.from(Array.from({ length: bytes }, (_, k) => (k * 7) & 255)) },
});

test('a snapshot travels as paced chunks and is rebuilt whole, then checked like any raft message', (t) => {
  const held = new HeldTransport();
  const out = new ChunkedSnapshotTransport(held, 1000);
  const results: boolean[] = [];
  const msg = snapOf(4_500);
  out.send(2, msg, { onSent: (ok) => results.push(ok) });
  const asm = new SnapshotAssembler();
  let rebuilt: unknown;
  for (let k = 0; k < 10 && rebuilt === undefined; k++) {
    t.is(held.sent.length, k + 1, 'the next chunk goes only once the previous one was written');
    const { msg: chunk, onSent } = held.sent[k]!;
    t.true(isSnapChunk(chunk));
    rebuilt = asm.push(1, chunk);
    onSent?.(true);
  }
  t.is(held.sent.length, 5, '4,500 bytes in chunks of 1,000');
  t.deepEqual(results, [true], 'reported once, after the last chunk');
  const checked = checkRaftMessage(rebuilt, 1, 2);
  t.not(typeof checked, 'string');
  t.deepEqual(checked, msg);
  // Other messages pass straight through.
  out.send(3, { type: 'timeoutNow', from: 1, to: 3, term: 3 });
  t.deepEqual(held.sent[5]!.msg, { type: 'timeoutNow', from: 1, to: 3, term: 3 });
});

test('a failed chunk write fails the snapshot at once; a gap or a foreign chunk drops the assembly', (t) => {
  const held = new HeldTransport();
  const out = new ChunkedSnapshotTransport(held, 1000);
  const results: boolean[] = [];
  out.send(2, snapOf(3_000), { onSent: (ok) => results.push(ok) });
  held.sent[0]!.onSent?.(false);
  t.deepEqual(results, [false]);
  t.is(held.sent.length, 1, 'nothing more is sent');

  const full = new HeldTransport();
  const sender = new ChunkedSnapshotTransport(full, 1000);
  sender.send(2, snapOf(3_000));
  for (let k = 0; k < 3; k++) full.sent[k]!.onSent?.(true);
  const chunks = full.sent.map((s) => s.msg);
  const asm = new SnapshotAssembler();
  t.is(asm.push(1, chunks[0]), undefined);
  t.regex(asm.push(1, chunks[2]) as string, /does not continue/, 'a gap');
  t.regex(asm.push(1, chunks[1]) as string, /does not continue/, 'the assembly was dropped');
  t.regex(asm.push(1, { type: 'snapChunk', index: 1, term: 1, offset: 0, total: 10, data: 'x' }) as string, /bad fields/);
  t.regex(new SnapshotAssembler(100).push(1, chunks[0]) as string, /exceeds 100/, 'a claimed size over the limit is refused before allocating');
  // Starting over works, and two senders do not mix.
  t.is(asm.push(1, chunks[0]), undefined);
  t.is(asm.push(4, chunks[0]), undefined);
  t.is(asm.push(1, chunks[1]), undefined);
  t.is(typeof asm.push(1, chunks[2]), 'object');
});

test('a snapshot kept on disk only is streamed from there, one chunk read ahead of the writes', async (t) => {
  const held = new HeldTransport();
  const onDisk = new Uint8Array(0);
  const stored = [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('h')];
  let reads = 0;
  const out = new ChunkedSnapshotTransport(held, 1000, {
    onDisk,
    snapshotBytes: (index) => (index === 40 ? 8 : undefined),
    readSnapshotChunks: async function* () {
      for (const c of stored) {
        reads++;
        yield c;
      }
    },
  });
  const msg = snapOf(0);
  const released: SnapMsg = { ...msg, snapshot: { ...msg.snapshot, data: onDisk } };
  const results: boolean[] = [];
  out.send(2, released, { onSent: (ok) => results.push(ok) });
  const asm = new SnapshotAssembler();
  let rebuilt: unknown;
  for (let k = 0; k < 3; k++) {
    while (held.sent.length <= k) await new Promise((r) => setImmediate(r));
    t.true(reads <= k + 2, 'reads stay at most one chunk ahead of writes');
    rebuilt = asm.push(1, held.sent[k]!.msg);
    held.sent[k]!.onSent?.(true);
  }
  while (results.length === 0) await new Promise((r) => setImmediate(r));
  t.deepEqual(results, [true]);
  const checked = checkRaftMessage(rebuilt, 1, 2) as SnapMsg;
  t.is(Buffer.from(checked.snapshot.data).toString(), 'abcdefgh');
  t.deepEqual(checked.snapshot.meta, msg.snapshot.meta);
  // A snapshot that is no longer the one on disk fails at once.
  const gone: SnapMsg = { ...released, snapshot: { ...released.snapshot, meta: { ...released.snapshot.meta, index: 41 } } };
  out.send(2, gone, { onSent: (ok) => results.push(ok) });
  while (results.length === 1) await new Promise((r) => setImmediate(r));
  t.deepEqual(results, [true, false]);
});
