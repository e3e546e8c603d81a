import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig, type ConfigProblem } from '../../../domain/config';
import { KilnError, type ErrorCode } from '../../../domain/errors';

/** The minimal file from the docs, as data: tests change one thing and serialize it. */
export function minimal(): Record<string, unknown> & { trees: Record<string, unknown>[] } {
  return {
    dataDir: './data',
    api: { port: 8080 },
    trees: [{
      name: 'example',
      url: './examples/ports',
      format: 'deb',
      distribution: 'bookworm',
      branches: ['main'],
      architectures: ['amd64', 'i386'],
    }],
  };
}

export const BASE_DIR = '/srv/kiln';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-config-'));
}

export function writeFile(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** Parses config data (or text) expecting a KilnError with `code`; returns it. */
export function configError(config: unknown, code: ErrorCode = 'CONFIG_INVALID', env: Record<string, string> = {}): KilnError {
  const text = typeof config === 'string' ? config : stringify(config);
  try {
    parseConfig(text, BASE_DIR, env);
  } catch (err) {
    expect(err).toBeInstanceOf(KilnError);
    expect((err as KilnError).code).toBe(code);
    return err as KilnError;
  }
  throw new Error(`expected ${code}, but the configuration loaded`);
}

export function problemsOf(err: KilnError): readonly ConfigProblem[] {
  return (err.details as { problems: ConfigProblem[] }).problems;
}

/** The error lists a problem at `at` whose message matches, and its message names that field on its own line. */
export function expectProblem(err: KilnError, at: string, message: RegExp | string): void {
  const matching = problemsOf(err).filter((p) => p.path === at);
  expect(matching, `no problem at ${at} in ${JSON.stringify(problemsOf(err))}`).not.toHaveLength(0);
  expect(matching.some((p) => (typeof message === 'string' ? p.message === message : message.test(p.message))),
    `problems at ${at}: ${JSON.stringify(matching)}`).toBe(true);
  expect(err.message.split('\n').some((line) => line.trim().startsWith(`${at}: `))).toBe(true);
}
