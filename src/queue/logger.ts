/**
 * The slice of a pino logger the queue code needs. Injected so tests can capture what is
 * logged and so this folder does not decide log destinations.
 */
export interface QueueLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

const ERROR_TEXT_CHARS_MAX = 300;

/** A one-line, bounded description of anything thrown, safe to put in a log line. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return oneLine(text, ERROR_TEXT_CHARS_MAX);
}

export function oneLine(text: string, charsMax: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= charsMax ? flat : `${flat.slice(0, charsMax - 1)}…`;
}
