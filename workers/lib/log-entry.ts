// One line a child process printed, read as a log entry: our own JSON lines (workers/lib/logger.ts: `level` a
// name, `time` ISO) and fastify's pino lines in the API (`level` a number, `time` in ms). Anything else is not an
// entry (a plain start line, a stack trace) and is shown as it is. Pure; never throws.

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

export interface LogEntry {
  time?: Date;
  level: Level;
  msg: string;
  /** Every other field of the line (context, error, the SDK's attributes). */
  fields: Record<string, unknown>;
}

export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

/** pino's numbers: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
function levelOf(value: unknown): Level | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return LEVELS[Math.min(LEVELS.length - 1, Math.max(0, Math.ceil(value / 10) - 1))];
  }
  if (typeof value === 'string') {
    const name = value.toLowerCase();
    return (LEVELS as readonly string[]).includes(name) ? name as Level : 'info';
  }
  return undefined;
}

function timeOf(value: unknown): Date | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

/** The entry a line holds, or undefined when it is not a JSON object with a `level`. */
export function parseLogLine(line: string): LogEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { time, level, msg, ...fields } = value as Record<string, unknown>;
  const parsedLevel = levelOf(level);
  if (!parsedLevel) return undefined;
  return { time: timeOf(time), level: parsedLevel, msg: typeof msg === 'string' ? msg : '', fields };
}

/** The message of the error a line carries (`error` from the Temporal SDK, `err` from ours and pino), if any. */
export function errorMessage(fields: Record<string, unknown>): string | undefined {
  for (const value of [fields.error, fields.err]) {
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'object' && value !== null) {
      const { message, cause } = value as Record<string, unknown>;
      if (typeof message !== 'string' || message === '') continue;
      return typeof cause === 'string' && cause !== '' && !message.includes(cause) ? `${message} (cause: ${cause})` : message;
    }
  }
  return undefined;
}
