import test from 'ava';
import fc from 'fast-check';
import { decodeBody, encodeFrame, FRAME_HEADER_BYTES, FrameDecoder } from '../../src/net/frame-codec.js';
import { isNetError } from '../../src/net/net-error.js';

const MAX = 1024 * 1024;

function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): unknown[] {
  const out: unknown[] = [];
  for (const c of chunks) for (const body of decoder.push(c)) out.push(body);
  return out;
}

test('a frame split at every byte decodes once, after its last byte', (t) => {
  const bodies = [{ t: 'raft', msg: { type: 'app', data: Buffer.from('hello world') } }, { n: 2 ** 40 + 3, s: 'x' }];
  const bytes = Buffer.concat(bodies.map((b) => encodeFrame(b, MAX)));
  const decoder = new FrameDecoder(MAX);
  const out: unknown[] = [];
  const firstFrameBytes = encodeFrame(bodies[0], MAX).length;
  for (let i = 0; i < bytes.length; i++) {
    for (const body of decoder.push(bytes.subarray(i, i + 1))) out.push(body);
    // Nothing is yielded before a frame's final byte arrives.
    t.is(out.length, i + 1 < firstFrameBytes ? 0 : i + 1 < bytes.length ? 1 : 2);
  }
  t.deepEqual(out, bodies);
  t.is(decoder.pendingBytes, 0);
});

test('many frames in one chunk all decode, in order', (t) => {
  const bodies = Array.from({ length: 500 }, (_, i) => ({ i, pad: 'p'.repeat(i % 7) }));
  const decoder = new FrameDecoder(MAX);
  t.deepEqual(decodeAll(decoder, [Buffer.concat(bodies.map((b) => encodeFrame(b, MAX)))]), bodies);
});

test('binary fields round-trip as Uint8Array and do not alias the receive buffer', (t) => {
  const frame = encodeFrame({ data: new Uint8Array([1, 2, 3]), buf: Buffer.from('abc') }, MAX);
  const decoder = new FrameDecoder(MAX);
  const [body] = decodeAll(decoder, [frame]) as [{ data: Uint8Array; buf: Uint8Array }];
  t.true(body.data instanceof Uint8Array);
  t.deepEqual([...body.data], [1, 2, 3]);
  t.is(Buffer.from(body.buf).toString(), 'abc');
  frame.fill(0); // scribbling on the received bytes must not change decoded values
  t.deepEqual([...body.data], [1, 2, 3]);
});

test('an oversize length is refused from its header alone (FRAME_TOO_LARGE), and the decoder stays dead', (t) => {
  const decoder = new FrameDecoder(1000);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(1001, 0);
  const err = t.throws(() => decodeAll(decoder, [header]));
  t.true(isNetError(err, 'FRAME_TOO_LARGE'), String(err));
  t.throws(() => decodeAll(decoder, [Buffer.from([1])]), { message: /after it failed/ });
});

test('a frame of exactly frameBytesMax is accepted', (t) => {
  const body = 'x'.repeat(100);
  const frame = encodeFrame(body, MAX);
  const size = frame.length - FRAME_HEADER_BYTES;
  t.deepEqual(decodeAll(new FrameDecoder(size), [frame]), [body]);
  t.throws(() => decodeAll(new FrameDecoder(size - 1), [frame]), { message: /FRAME_TOO_LARGE/ });
});

test('the encoder refuses a body larger than frameBytesMax', (t) => {
  const err = t.throws(() => encodeFrame({ data: Buffer.alloc(2000) }, 1000));
  t.true(isNetError(err, 'FRAME_TOO_LARGE'));
});

test('an undecodable body, trailing bytes, or an empty body is BAD_FRAME', (t) => {
  const frameOf = (body: Buffer): Buffer => {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(body.length, 0);
    return Buffer.concat([h, body]);
  };
  for (const body of [Buffer.from([0xd9, 0x05, 0x41]), Buffer.from([0x01, 0x02]), Buffer.from([0x92, 0x01]), Buffer.alloc(0)]) {
    const err = t.throws(() => decodeAll(new FrameDecoder(MAX), [frameOf(body)]));
    t.true(isNetError(err, 'BAD_FRAME'), `${body.toString('hex')}: ${String(err)}`);
  }
  t.throws(() => decodeBody(Buffer.from([0xd9, 0x05, 0x41])), { message: /BAD_FRAME/ });
});

test('property: any values, cut into any chunks, decode to the same values', (t) => {
  const value = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true }).filter((x) => !Object.is(x, -0)), // msgpack has no -0 integer
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string(), { maxKeys: 4 }),
  );
  fc.assert(
    fc.property(fc.array(value, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), (values, cuts) => {
      const bytes = Buffer.concat(values.map((v) => encodeFrame(v, MAX)));
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let at = 0;
      for (const p of [...points, bytes.length]) {
        chunks.push(bytes.subarray(at, p));
        at = p;
      }
      const out = decodeAll(new FrameDecoder(MAX), chunks);
      t.deepEqual(out, values);
    }),
    { numRuns: 200 },
  );
});
