import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { encodeFrame, FRAME_HEADER_BYTES, FrameDecoder } from '../../src/net/frame-codec.js';
import { NET_ERROR_CODES, NetError } from '../../src/net/net-error.js';
import { AUTH_NONCE_BYTES, AUTH_PROOF_BYTES } from '../../src/net/peer-auth.js';
import { parseWireFrame, WIRE_VERSION, type WireFrame } from '../../src/net/wire.js';
import { chunkings, EVERY_SPLIT_BYTES_MAX, show, violation, type FuzzTarget } from './fuzz-target.js';
import { mutated } from './mutate.js';
import { describe } from './resp-target.js';

/** Small, so that short inputs reach the limit. */
export const FUZZ_FRAME_BYTES_MAX = 512;

export interface FrameInput {
  readonly bytes: Buffer;
  /** Set for well-formed streams: the frames they must decode to. */
  readonly expected: readonly WireFrame[] | undefined;
  readonly cuts: readonly number[];
}

interface FrameOutcome {
  readonly frames: WireFrame[];
  readonly error: NetError | undefined;
  readonly leftoverBytes: number;
}

/**
 * Decodes as FramedSocket does (decoder, then the wire-shape check of each
 * body), stopping at the first error; checks the memory bound after each chunk.
 */
export function runFrames(chunks: readonly Buffer[], frameBytesMax = FUZZ_FRAME_BYTES_MAX): FrameOutcome {
  const decoder = new FrameDecoder(frameBytesMax);
  const frames: WireFrame[] = [];
  let fed = 0;
  for (const chunk of chunks) {
    fed += chunk.length;
    try {
      for (const body of decoder.push(chunk)) {
        frames.push(parseWireFrame(body));
        // A frame is a header and at least one body byte.
        if (frames.length * (FRAME_HEADER_BYTES + 1) > fed) violation(`${frames.length} frames from ${fed} bytes`);
      }
    } catch (err) {
      if (!(err instanceof NetError)) violation(`the frame decoder threw ${describe(err)}, not a NetError`);
      if (!(NET_ERROR_CODES as readonly string[]).includes(err.code)) violation(`unknown error code ${err.code}`);
      if (err.code !== 'BAD_FRAME' && err.code !== 'FRAME_TOO_LARGE') violation(`decoding failed with ${err.code}`);
      if (err.reason.length === 0 || err.reason.length > 400) violation(`unclear error reason (${err.reason.length} chars): ${err.reason.slice(0, 400)}`);
      return { frames, error: err, leftoverBytes: 0 };
    }
    // One partial frame at most: its header, or its body so far.
    if (decoder.pendingBytes > FRAME_HEADER_BYTES + frameBytesMax) violation(`the decoder holds ${decoder.pendingBytes} bytes, bound ${FRAME_HEADER_BYTES + frameBytesMax}`);
  }
  return { frames, error: undefined, leftoverBytes: decoder.pendingBytes };
}

const bytesArb = (n: number): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));
const id = fc.nat({ max: 1000 });
const text = fc.string({ maxLength: 24 });
const body = fc.oneof(fc.constant(null), fc.integer(), text, fc.array(text, { maxLength: 3 }), fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)));

/** Every frame shape, as a peer would send it. */
export const wireFrameArb: fc.Arbitrary<WireFrame> = fc.oneof(
  fc.record({ t: fc.constant('hello' as const), version: fc.constant(WIRE_VERSION), cluster: text, from: id, role: fc.constantFrom('peer' as const, 'coordinator' as const) }),
  fc.record({ t: fc.constant('hello' as const), version: fc.constant(WIRE_VERSION), cluster: text, from: id, role: fc.constant('peer' as const), nonce: bytesArb(AUTH_NONCE_BYTES) }),
  fc.record({ t: fc.constant('helloAck' as const), from: id }),
  fc.record({ t: fc.constant('helloAck' as const), from: id, proof: bytesArb(AUTH_PROOF_BYTES) }),
  fc.record({ t: fc.constant('helloReject' as const), reason: text }),
  fc.record({ t: fc.constant('challenge' as const), from: id, nonce: bytesArb(AUTH_NONCE_BYTES) }),
  fc.record({ t: fc.constant('proof' as const), proof: bytesArb(AUTH_PROOF_BYTES) }),
  fc.record({ t: fc.constant('raft' as const), msg: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), body, { maxKeys: 4 }) }),
  fc.record({ t: fc.constant('raft' as const), msg: fc.record({ type: fc.constant('app'), term: fc.nat() }), g: fc.integer({ min: 2, max: 0xffff_ffff }) }),
  fc.record({ t: fc.constant('req' as const), id: fc.integer({ min: 1, max: 1 << 30 }), body }),
  fc.record({ t: fc.constant('res' as const), id: fc.integer({ min: 1, max: 1 << 30 }), body }),
  fc.record({ t: fc.constant('resErr' as const), id: fc.integer({ min: 1, max: 1 << 30 }), code: text, reason: text }),
) as fc.Arbitrary<WireFrame>;

const validArb = fc.array(wireFrameArb, { maxLength: 4 }).map((frames) => ({ bytes: Buffer.concat(frames.map((f) => encodeFrame(f, FUZZ_FRAME_BYTES_MAX))), expected: frames }));

/** Lengths at the edges, msgpack type bytes that take lengths (str32, bin32, array32, map32, ext) and map keys. */
const FRAME_TOKENS = [
  '\x00\x00\x00\x00', '\x00\x00\x00\x01', '\x00\x00\x02\x00', '\x00\x00\x02\x01', '\xff\xff\xff\xff', '\x7f\xff\xff\xff',
  '\xdb\xff\xff\xff\xff', '\xc6\xff\xff\xff\xff', '\xdd\xff\xff\xff\xff', '\xdf\xff\xff\xff\xff', '\xc9\xff\xff\xff\xff\x01', '\xd4\xff\x00', '\xd7\xff',
  '\xc7\x08\x72', '\xd6\x69', '\xa1t', '\xa4raft', '\xa5hello', '\xa5nonce', '\xa5proof', '\xc0', '\xc1', '\x81', '\x8f', '\x9f',
];

const cutsArb = fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 6 });

export const frameArb: fc.Arbitrary<FrameInput> = fc.oneof(
  fc.record({ v: validArb, cuts: cutsArb }).map(({ v, cuts }) => ({ bytes: v.bytes, expected: v.expected, cuts })),
  fc.record({ bytes: mutated(validArb.map((v) => v.bytes), FRAME_TOKENS), cuts: cutsArb }).map((r) => ({ ...r, expected: undefined })),
  fc.record({ bytes: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), cuts: cutsArb }).map((r) => ({ ...r, expected: undefined })),
);

function sameOutcome(a: FrameOutcome, b: FrameOutcome): boolean {
  return isDeepStrictEqual(a.frames, b.frames) && a.error?.message === b.error?.message && a.leftoverBytes === b.leftoverBytes;
}

function summary(o: FrameOutcome): string {
  return `${o.frames.length} frames, ${o.error === undefined ? `no error, ${o.leftoverBytes} bytes left` : o.error.message}`;
}

/**
 * The peer frame decoder and wire-shape check: only BAD_FRAME or
 * FRAME_TOO_LARGE, memory bounded by one frame, same frames however the
 * stream is cut, valid streams decode to what was sent.
 */
export const frameTarget: FuzzTarget<FrameInput> = {
  name: 'frame',
  about: 'peer frame decoder + wire shapes (src/net/frame-codec.ts, wire.ts), whole and split at every byte',
  arbitrary: frameArb,
  check(input) {
    const whole = runFrames([input.bytes]);
    if (input.expected !== undefined) {
      if (whole.error !== undefined) violation(`a valid stream failed: ${whole.error.message}; input ${show(input.bytes)}`);
      if (!isDeepStrictEqual(whole.frames, input.expected)) violation(`a valid stream decoded to other frames; input ${show(input.bytes)}`);
    }
    for (const chunks of chunkings(input.bytes, input.cuts, EVERY_SPLIT_BYTES_MAX)) {
      const split = runFrames(chunks);
      if (!sameOutcome(whole, split)) violation(`split into ${chunks.map((c) => c.length).join('+')}: ${summary(split)}; whole: ${summary(whole)}; input ${show(input.bytes)}`);
    }
  },
};
