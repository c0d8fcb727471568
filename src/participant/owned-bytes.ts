/**
 * Bytes that own their memory exactly: `data` itself when it is the whole of
 * its ArrayBuffer, else a copy into a buffer of its own (never the shared
 * Buffer pool). A log entry lives until compaction, so its data must not pin
 * what it was cut from: msgpackr hands out views of its reusable encode
 * buffer (megabytes once a snapshot chunk was packed) and Buffer.concat of
 * under 4 KB a slice of an 8 KB pool; measured, a leader's 6 MB of entries
 * pinned 35 MB that way.
 */
export function ownedBytes(data: Uint8Array): Uint8Array {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data;
  const own = Buffer.allocUnsafeSlow(data.byteLength);
  own.set(data);
  return own;
}
