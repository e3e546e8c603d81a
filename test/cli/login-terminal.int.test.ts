import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { cliFixture, until, type CliFixture } from './cli-fixture';

// `kiln login` typed at a real terminal: the compiled CLI (bin/kiln.js) under util-linux's `script`, which gives it a
// pseudo-terminal. The token typed must not be echoed (it would stay on screen and in the scrollback).

let f: CliFixture;
beforeAll(async () => { f = await cliFixture(); });
afterAll(async () => { await f?.close(); });

describe('kiln login at a terminal', () => {
  it('prompts, reads the token without showing it, and saves it', async () => {
    const cliConfig = path.join(f.home, 'login-tty.yaml');
    const child = spawn('script', ['-qfec', `${process.execPath} ${path.join(PROJECT_ROOT, 'bin/kiln.js')} login`, '/dev/null'], {
      env: { ...process.env, ...f.env, KILN_CLI_CONFIG: cliConfig, KILN_API_TOKEN: undefined, TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => { screen += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { screen += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    await until('the prompt', () => screen.includes('API token'), 30_000);
    // Typed with a mistake taken back by Backspace, then Enter (a terminal sends CR).
    child.stdin.write(`${f.token.slice(0, 10)}x\x7f${f.token.slice(10)}\r`);
    expect(await exited).toBe(0);
    expect(screen).toContain(`logged in to ${f.url} with the token "ci"`);
    expect(screen).not.toContain(f.token.slice(0, 10));
    expect(screen).not.toContain(f.token.slice(10));
    expect(fs.readFileSync(cliConfig, 'utf8')).toContain(f.token);
  }, 60_000);
});
