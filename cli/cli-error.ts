import type { ErrorCode } from '../domain/errors';

// Errors of the CLI: a stable code (printed `kiln: CODE: message`) and the exit code it ends with. The API's own codes
// (docs/ERRORS.md) pass through unchanged; the CLI adds a few of its own (USAGE, KILN_UNREACHABLE, CLI_CONFIG_*,
// PUSH_NOT_STARTED, HTTP_ERROR).

/** The exit codes; stable, listed in the usage text. */
export const EXIT = {
  ok: 0,
  /** The push, build or rollback failed (also: the CLI failed unexpectedly). */
  failed: 1,
  /** Bad usage, or input the API rejected (400, 404, 409). */
  usage: 2,
  /** Kiln unreachable: a network error, or 502/503 (5xx). */
  unreachable: 3,
  /** Not authorized: missing or bad token (401, 403). */
  unauthorized: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The CLI's own codes and the exit code each ends with; docs/ERRORS.md lists them (a test keeps both in sync). */
export const CLI_ERROR_CODES = {
  USAGE: EXIT.usage,
  KILN_UNREACHABLE: EXIT.unreachable,
  HTTP_ERROR: EXIT.unreachable,
  PUSH_NOT_STARTED: EXIT.unreachable,
  CLI_CONFIG_INVALID: EXIT.usage,
  CLI_CONFIG_INSECURE: EXIT.usage,
} as const satisfies Record<string, ExitCode>;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

export class CliError extends Error {
  /** A CLI code, or one of the API's (domain/errors.ts), passed through. */
  constructor(readonly code: CliErrorCode | ErrorCode | (string & {}), message: string, readonly exitCode: ExitCode = EXIT.usage) {
    super(message);
    this.name = 'CliError';
  }
}

/** An error answer of the API (`status`), or no answer at all (no status). */
export class ApiError extends CliError {
  constructor(code: string, message: string, readonly status?: number, exitCode: ExitCode = exitForStatus(status)) {
    super(code, message, exitCode);
    this.name = 'ApiError';
  }
}

export function exitForStatus(status: number | undefined): ExitCode {
  if (status === undefined || status >= 500) return EXIT.unreachable;
  if (status === 401 || status === 403) return EXIT.unauthorized;
  return EXIT.usage;
}

export function usageError(message: string): CliError {
  return new CliError('USAGE', message, EXIT.usage);
}

/** Worth asking again: Kiln did not answer, or answered that it cannot right now. */
export function isTransient(err: unknown): boolean {
  // ApiError only: the CLI's own decisions (PUSH_NOT_STARTED) are not asked again.
  return err instanceof ApiError && err.exitCode === EXIT.unreachable;
}
