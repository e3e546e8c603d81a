import { ApiClient } from './api-client';
import { resolveApiAccess, type ApiAccess } from './cli-config';
import { usageError } from './cli-error';
import type { CliIo, Output } from './io';

// What every command is and gets, and the options they share.

export interface Command {
  name: string;
  /** Its usage line(s) and a few words each, for `kiln --help`. */
  synopsis: Array<[usage: string, summary: string]>;
  /** `kiln <command> --help`: usage and every option. */
  help: string;
  run(argv: string[], ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  io: CliIo;
  out: Output;
  /** How often waits ask again. */
  pollMs: number;
  /** The API client: URL and token resolved now (cli-config.ts). */
  client(flags: { url?: string; config?: string }): ApiClient;
  /** What the last `client()` resolved: the error message for a 401 says where a token was looked for. */
  access?: ApiAccess;
}

export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The API commands': where the API is (the server's kiln.yaml only for its api.publicUrl). */
export const API_OPTIONS = {
  ...COMMON_OPTIONS,
  url: { type: 'string' },
  config: { type: 'string' },
} as const;

export function newContext(io: CliIo, out: Output): CommandContext {
  const ctx: CommandContext = {
    io,
    out,
    pollMs: io.pollMs ?? 1_000,
    client(flags) {
      const access = resolveApiAccess(io.env, flags);
      ctx.access = access;
      return new ApiClient(access.url, access.token, { urlFrom: access.urlFrom });
    },
  };
  return ctx;
}

/** The positional arguments by name; `optional` of the last ones may be left out. */
export function positionals(given: string[], names: string[], optional = 0): string[] {
  if (given.length < names.length - optional) throw usageError(`missing <${names[given.length]}>`);
  if (given.length > names.length) throw usageError(`unexpected argument "${given[names.length]}"`);
  return given;
}

/** A whole number option (`--limit 5`), at least `min`. */
export function integerOption(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw usageError(`--${name} must be a whole number of at least ${min}, got ${value}`);
  }
  return Number(value);
}

