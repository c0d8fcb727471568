import { pino, destination } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/**
 * Structured logs to stderr (stdout stays for prompts and replies). The level
 * comes from the config's `log_level`, else KVSTORE_LOG_LEVEL, else info
 * (warn at a terminal).
 */
export function createLogger(name: string, level?: string): Logger {
  // At a terminal the prompt is for people: only warnings unless asked.
  const chosen = level ?? process.env['KVSTORE_LOG_LEVEL'] ?? (process.stdin.isTTY ? 'warn' : 'info');
  return pino({ name, level: isLogLevel(chosen) ? chosen : 'info' }, destination({ fd: 2, sync: false }));
}
