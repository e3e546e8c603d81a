import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childOutput } from '../../workers/lib/child-output';
import { logOutput } from '../../workers/lib/log-format';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-child-output-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const BUILD = '{"time":"2025-05-06T12:02:19.000Z","level":"info","process":"build-amd64","msg":"build finished","tree":"example","branch":"main","package":"kiln-hello","arch":"amd64"}';
const BOOKKEEPING = '{"time":"2025-05-06T12:02:20.000Z","level":"info","process":"orchestrator","msg":"activity completed","activityType":"writePushRecord"}';

function run(format: 'text' | 'json', dir: string) {
  const out: string[] = [];
  const children = childOutput({ format, color: false, logsDir: dir, out: (l) => out.push(l) });
  children.line('build-amd64', BUILD, 'stderr');
  children.line('orchestrator', BOOKKEEPING, 'stderr');
  children.line('api', 'kiln api: listening on http://127.0.0.1:8080', 'stdout');
  children.note('signer', 'exited (code 1); restarting in 1 s');
  children.close();
  return out;
}

describe('childOutput', () => {
  it('json: every line as printed, behind the process name (the output before text existed)', () => {
    const out = run('json', path.join(root, 'json'));
    expect(out).toEqual([
      `build-amd64   | ${BUILD}`,
      `orchestrator  | ${BOOKKEEPING}`,
      'api           | kiln api: listening on http://127.0.0.1:8080',
      'signer        | exited (code 1); restarting in 1 s',
    ]);
  });

  it('text: rendered lines, bookkeeping left out; the log files get every line in both formats', () => {
    const dir = path.join(root, 'text');
    const out = run('text', dir);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d build-amd64   build finished {2}example\/main kiln-hello\/amd64$/);
    expect(out[1]).toMatch(/^\d\d:\d\d:\d\d api {11}kiln api: listening on http:\/\/127\.0\.0\.1:8080$/);
    expect(out[2]).toMatch(/ signer {8}exited \(code 1\); restarting in 1 s$/);
    expect(fs.readFileSync(path.join(dir, 'build-amd64.log'), 'utf8')).toBe(BUILD + '\n');
    expect(fs.readFileSync(path.join(dir, 'orchestrator.log'), 'utf8')).toBe(BOOKKEEPING + '\n');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'api.log'), 'utf8'))).toMatchObject({ level: 'info', process: 'api', msg: 'kiln api: listening on http://127.0.0.1:8080' });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'signer.log'), 'utf8'))).toMatchObject({ level: 'warn', by: 'supervisor' });
    // The same files whatever the terminal shows (but the time a plain line was wrapped at).
    const file = (format: string, name: string) => fs.readFileSync(path.join(root, format, `${name}.log`), 'utf8').replace(/"time":"[^"]+"/, '');
    for (const name of ['build-amd64', 'orchestrator', 'api', 'signer']) expect(file('json', name)).toBe(file('text', name));
  });
});

describe('logOutput', () => {
  it('text with colours on a terminal, json otherwise; the flag wins over KILN_LOG_FORMAT', () => {
    expect(logOutput(undefined, {}, true)).toEqual({ format: 'text', color: true });
    expect(logOutput(undefined, {}, false)).toEqual({ format: 'json', color: false });
    expect(logOutput(undefined, { NO_COLOR: '1' }, true)).toEqual({ format: 'text', color: false });
    expect(logOutput(undefined, { NO_COLOR: '' }, true)).toEqual({ format: 'text', color: true });
    expect(logOutput('json', {}, true)).toEqual({ format: 'json', color: false });
    expect(logOutput('text', {}, false)).toEqual({ format: 'text', color: false }); // asked for text in a pipe: no escapes
    expect(logOutput(undefined, { KILN_LOG_FORMAT: 'json' }, true)).toEqual({ format: 'json', color: false });
    expect(logOutput('text', { KILN_LOG_FORMAT: 'json' }, true)).toEqual({ format: 'text', color: true });
    expect(() => logOutput('yaml', {}, true)).toThrow(/--log-format must be text or json, got yaml/);
    expect(() => logOutput(undefined, { KILN_LOG_FORMAT: 'pretty' }, true)).toThrow(/got pretty/);
  });
});
