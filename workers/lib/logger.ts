import { ApplicationFailure } from '@temporalio/common';
import { LogTimestamp, Runtime, type LogLevel, type LogMetadata, type Logger } from '@temporalio/worker';
import { CONTEXT_FIELDS, type LogContext } from '../../domain/observability/log-fields';

// Structured logs: one JSON object per line, `time`, `level`, `process`, `msg`, then the context (push, tree, branch,
// commit, snapshot, package, arch) when known, then anything else the line carries. Worker processes install it as
// the Temporal Runtime logger, so the SDK's own lines and the activities' lines (Context.current().log) come out the
// same way. The one human line each process prints at start stays a plain line on stdout.

const SEVERITY: Record<LogLevel, number> = { TRACE: 10, DEBUG: 20, INFO: 30, WARN: 40, ERROR: 50 };

/** SDK metadata not worth a field: the task token is a credential for completing the activity. */
const DROPPED = new Set(['taskToken', 'isLocal', 'spanContexts']);

/** Components of the Temporal SDK itself (not our code): kept at `sdkLevel`, quieter than our own lines. */
const SDK_COMPONENTS = new Set(['worker', 'core']);

export interface JsonLoggerOptions {
  /** `orchestrator`, `build-amd64`, `signer`, `api`...: the `process` field of every line. */
  process: string;
  /** Lowest level written for our own lines (activities, workflows, the process). Default INFO. */
  level?: LogLevel;
  /** Lowest level written for the SDK's own lines (`sdkComponent` worker or core). Default WARN. */
  sdkLevel?: LogLevel;
  /** Where lines go; default stderr (stdout keeps the start line). */
  write?: (line: string) => void;
  /** Fields on every line (a child logger's context). */
  fields?: Record<string, unknown>;
}

function serializeError(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (err instanceof ApplicationFailure) {
    if (err.type) out.type = err.type;
    out.nonRetryable = err.nonRetryable;
  } else if (err.stack) {
    out.stack = err.stack;
  }
  if (err.cause instanceof Error) out.cause = err.cause.message;
  return out;
}

function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return serializeError(value);
  return value;
}

/** One line: fixed fields first, context in a fixed order, the rest as given. Never throws. */
export function formatLogLine(
  process: string, level: LogLevel, msg: string, meta: LogMetadata = {}, time: Date = new Date(),
): string {
  const line: Record<string, unknown> = { time: time.toISOString(), level: level.toLowerCase(), process, msg };
  for (const field of CONTEXT_FIELDS) if (meta[field] !== undefined) line[field] = meta[field];
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined || DROPPED.has(key) || key in line) continue;
    line[key] = value;
  }
  try {
    return JSON.stringify(line, jsonValue);
  } catch (err) {
    // A circular or otherwise unserializable field: keep the line, say why the rest is missing.
    return JSON.stringify({ time: line.time, level: line.level, process, msg, logError: `fields not serializable: ${String(err)}` });
  }
}

export class JsonLogger implements Logger {
  private readonly minLevel: number;
  private readonly minSdkLevel: number;
  private readonly out: (line: string) => void;

  constructor(readonly options: JsonLoggerOptions) {
    this.minLevel = SEVERITY[options.level ?? 'INFO'];
    this.minSdkLevel = SEVERITY[options.sdkLevel ?? 'WARN'];
    this.out = options.write ?? ((line) => { process.stderr.write(line + '\n'); });
  }

  /** A logger whose every line also carries `fields` (e.g. the push and arch a piece of work is about). */
  child(fields: LogContext & Record<string, unknown>): JsonLogger {
    return new JsonLogger({ ...this.options, fields: { ...this.options.fields, ...fields } });
  }

  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    const sdk = SDK_COMPONENTS.has(String(meta.sdkComponent));
    if (SEVERITY[level] < (sdk ? this.minSdkLevel : this.minLevel)) return;
    const nanos = meta[LogTimestamp];
    const time = typeof nanos === 'bigint' ? new Date(Number(nanos / 1_000_000n)) : new Date();
    this.out(formatLogLine(this.options.process, level, message, { ...this.options.fields, ...meta }, time));
  }

  trace(message: string, meta?: LogMetadata): void { this.log('TRACE', message, meta); }
  debug(message: string, meta?: LogMetadata): void { this.log('DEBUG', message, meta); }
  info(message: string, meta?: LogMetadata): void { this.log('INFO', message, meta); }
  warn(message: string, meta?: LogMetadata): void { this.log('WARN', message, meta); }
  error(message: string, meta?: LogMetadata): void { this.log('ERROR', message, meta); }
}

/**
 * The Temporal Runtime logger of a worker process, in place of the SDK's default text logger. Same intent as before:
 * the SDK itself (worker and core) speaks at WARN and above; our activities' lines come through at INFO. Core's native
 * lines are forwarded to it too, so the whole process logs JSON. Call before the first connection.
 */
export function installRuntimeLogger(processName: string, options: Omit<JsonLoggerOptions, 'process'> = {}): JsonLogger {
  const logger = new JsonLogger({ process: processName, ...options });
  Runtime.install({
    logger,
    telemetryOptions: { logging: { filter: { core: options.sdkLevel ?? 'WARN', other: 'ERROR' }, forward: {} } },
  });
  return logger;
}
