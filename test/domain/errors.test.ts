import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ERROR_CODES } from '../../cli/cli-error';
import { ERROR_CODES } from '../../domain/errors';
import { PROJECT_ROOT } from '../../domain/project-paths';

// docs/ERRORS.md is what operators and API clients read: every code Kiln can answer with is listed there, and
// nothing listed there is gone from the code.
describe('error codes', () => {
  const doc = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'ERRORS.md'), 'utf8');
  const documented = new Map([...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]));
  const cliDocumented = new Map([...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d) \|/gm)].map((m) => [m[1], Number(m[2])]));

  it('are all documented with their HTTP status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(documented.get(code), `${code} in docs/ERRORS.md`).toBe(status);
    }
  });

  it('are not documented when they no longer exist', () => {
    expect([...documented.keys()].filter((c) => !(c in ERROR_CODES))).toEqual([]);
  });

  it('of the CLI are documented with their exit code, and only they', () => {
    expect(Object.fromEntries(cliDocumented)).toEqual(CLI_ERROR_CODES);
    for (const code of Object.keys(CLI_ERROR_CODES)) expect(code in ERROR_CODES, `${code} is the CLI's or the server's, not both`).toBe(false);
  });

  it('are stable identifiers', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
  });
});
