/**
 * A memcached text-protocol request as the parser hands it out (memcached's
 * doc/protocol.txt). Keys and values are bytes; numbers are checked by the
 * parser, so a handler never sees a malformed one.
 */
import type { McStoreMode } from '../kv/mc-change.js';

export type McRequest =
  | {
      readonly t: 'store';
      readonly mode: McStoreMode;
      readonly key: Buffer;
      /** 0..2^32-1. */
      readonly flags: number;
      /** memcached's exptime, as sent (see mc-exptime.ts). */
      readonly exptime: number;
      readonly data: Buffer;
      /** mode 'cas': the cas unique, decimal; else ''. */
      readonly cas: string;
      readonly noreply: boolean;
    }
  | { readonly t: 'get'; readonly withCas: boolean; readonly keys: readonly Buffer[] }
  | { readonly t: 'gat'; readonly withCas: boolean; readonly exptime: number; readonly keys: readonly Buffer[] }
  | { readonly t: 'delete'; readonly key: Buffer; readonly noreply: boolean }
  /** `delta`: decimal text of an unsigned 64-bit integer. */
  | { readonly t: 'arith'; readonly decr: boolean; readonly key: Buffer; readonly delta: string; readonly noreply: boolean }
  | { readonly t: 'touch'; readonly key: Buffer; readonly exptime: number; readonly noreply: boolean }
  | { readonly t: 'flush_all'; readonly delay: number; readonly noreply: boolean }
  | { readonly t: 'version' }
  | { readonly t: 'verbosity'; readonly noreply: boolean }
  | { readonly t: 'stats'; readonly args: readonly string[] }
  | { readonly t: 'quit' }
  /**
   * A request the parser refused: `reply` is memcached's line for it
   * (ERROR, CLIENT_ERROR ..., SERVER_ERROR ...), sent unless `noreply`;
   * `close`: the stream cannot be read on, the connection ends after it.
   */
  | { readonly t: 'refused'; readonly reply: string; readonly noreply: boolean; readonly close: boolean };

export type McRequestType = McRequest['t'];
