import fc from 'fast-check';

/**
 * Byte-level mutations of a valid input, as a fuzzer applies them: flip,
 * insert, delete, duplicate a range, overwrite with a token that parsers
 * treat specially (lengths at the edges, line ends, type bytes).
 */
export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly xor: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly n: number }
  | { readonly op: 'duplicate'; readonly at: number; readonly n: number }
  | { readonly op: 'token'; readonly at: number; readonly token: string; readonly replace: number };

export function mutationArb(tokens: readonly string[]): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: 1 << 16 });
  return fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at, xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ op: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ op: fc.constant('delete' as const), at, n: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ op: fc.constant('duplicate' as const), at, n: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ op: fc.constant('token' as const), at, token: fc.constantFrom(...tokens), replace: fc.nat({ max: 4 }) }),
  );
}

/** Applies the mutations in order; positions wrap around the current length. */
export function applyMutations(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(input);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.op) {
      case 'flip':
        if (b.length > 0) b[at % b.length] = (b[at % b.length]! ^ m.xor) & 0xff;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at + m.n), b.subarray(at, at + m.n), b.subarray(at + m.n)]);
        break;
      case 'token':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.token, 'latin1'), b.subarray(at + m.replace)]);
        break;
    }
  }
  return b;
}

/** Valid bytes, then zero to a few mutations of them. */
export function mutated(valid: fc.Arbitrary<Buffer>, tokens: readonly string[]): fc.Arbitrary<Buffer> {
  return fc.tuple(valid, fc.array(mutationArb(tokens), { minLength: 1, maxLength: 4 })).map(([v, ms]) => applyMutations(v, ms));
}
