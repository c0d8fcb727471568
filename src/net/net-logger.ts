/**
 * The logging surface the transport needs: a subset of pino's `Logger`, so a
 * pino instance (or a child of one) can be passed as is, and tests can pass a
 * recorder. The first argument carries structured fields, the second the text.
 */
export interface NetLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** Discards everything; for callers that do not care. */
export const SILENT_LOGGER: NetLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
