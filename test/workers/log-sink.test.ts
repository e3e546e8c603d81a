import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessLogFiles, processLogName } from '../../workers/lib/log-sink';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-log-sink-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `data-${n++}`, 'logs');
const TIME = new Date('2025-05-06T12:02:07.000Z');
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('ProcessLogFiles', () => {
  it('appends each process\'s lines to logs/<process>.log: JSON as is, plain lines wrapped as JSON', () => {
    const dir = freshDir();
    const files = new ProcessLogFiles(dir, { now: () => TIME });
    const json = '{"time":"2025-05-06T12:02:06.000Z","level":"info","process":"orchestrator","msg":"activity completed","tree":"example"}';
    files.write('orchestrator', json, 'stderr');
    files.write('orchestrator', 'kiln orchestrator: task queue kiln on 127.0.0.1:7233 (namespace default)', 'stdout');
    files.write('build-amd64', 'Error: boom', 'stderr');
    files.write('api', '{"level":30,"time":1746532927000,"msg":"push accepted"}', 'stdout');
    files.write('api', '[1,2]', 'stdout');
    files.note('signer', 'exited (code 1); restarting in 1 s');
    files.close();

    expect(fs.readdirSync(dir).sort()).toEqual(['api.log', 'build-amd64.log', 'orchestrator.log', 'signer.log']);
    expect(lines(path.join(dir, 'orchestrator.log'))).toEqual([
      json,
      JSON.stringify({ time: TIME.toISOString(), level: 'info', process: 'orchestrator', msg: 'kiln orchestrator: task queue kiln on 127.0.0.1:7233 (namespace default)' }),
    ]);
    // A plain line on stderr is a failed start or a stack trace.
    expect(lines(path.join(dir, 'build-amd64.log')).map((l) => JSON.parse(l))).toEqual([{ time: TIME.toISOString(), level: 'error', process: 'build-amd64', msg: 'Error: boom' }]);
    expect(lines(path.join(dir, 'api.log'))).toEqual([
      '{"level":30,"time":1746532927000,"msg":"push accepted"}',
      JSON.stringify({ time: TIME.toISOString(), level: 'info', process: 'api', msg: '[1,2]' }),
    ]);
    expect(JSON.parse(lines(path.join(dir, 'signer.log'))[0])).toEqual({ time: TIME.toISOString(), level: 'warn', process: 'signer', msg: 'exited (code 1); restarting in 1 s', by: 'supervisor' });
  });

  it('appends to what a previous start left; a file grown past the cap is moved to .log.1 first', () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'signer.log'), 'earlier\n');
    fs.writeFileSync(path.join(dir, 'api.log'), 'x'.repeat(200) + '\n');
    const files = new ProcessLogFiles(dir, { rotateBytes: 100 });
    files.write('signer', '{"level":"info","msg":"again"}');
    files.write('api', '{"level":"info","msg":"fresh"}');
    files.write('api', '{"level":"info","msg":"still the same file"}');
    files.close();
    expect(lines(path.join(dir, 'signer.log'))).toEqual(['earlier', '{"level":"info","msg":"again"}']);
    expect(lines(path.join(dir, 'api.log'))).toEqual(['{"level":"info","msg":"fresh"}', '{"level":"info","msg":"still the same file"}']);
    expect(lines(path.join(dir, 'api.log.1'))).toEqual(['x'.repeat(200)]);
  });

  it('a file that cannot be written is reported once and skipped; the other processes\' files carry on', () => {
    const dir = freshDir();
    fs.mkdirSync(path.join(dir, 'api.log'), { recursive: true }); // a directory where the file should be
    const reports: string[] = [];
    const files = new ProcessLogFiles(dir, { report: (m) => reports.push(m) });
    for (let i = 0; i < 3; i++) {
      expect(() => files.write('api', `{"level":"info","msg":"line ${i}"}`)).not.toThrow();
      files.write('orchestrator', `{"level":"info","msg":"line ${i}"}`);
    }
    files.close();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain(path.join(dir, 'api.log'));
    expect(lines(path.join(dir, 'orchestrator.log'))).toHaveLength(3);
  });

  it('a data dir that cannot hold logs/ is reported, never thrown', () => {
    const parent = path.join(root, `data-${n++}`);
    fs.mkdirSync(parent);
    fs.writeFileSync(path.join(parent, 'logs'), 'a file, not a directory');
    const reports: string[] = [];
    const files = new ProcessLogFiles(path.join(parent, 'logs'), { report: (m) => reports.push(m) });
    expect(() => { files.write('api', 'x'); files.note('api', 'exited'); files.write('signer', 'y'); }).not.toThrow();
    expect(reports).toHaveLength(2); // one per file
  });

  it('a write that fails after the open (the disk is full) is reported once', () => {
    if (!fs.existsSync('/dev/full')) return;
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync('/dev/full', path.join(dir, 'api.log'));
    const reports: string[] = [];
    const files = new ProcessLogFiles(dir, { report: (m) => reports.push(m) });
    expect(() => { files.write('api', 'x'); files.write('api', 'y'); }).not.toThrow();
    expect(reports).toEqual([expect.stringContaining('ENOSPC')]);
  });

  it('lines written after close are dropped quietly', () => {
    const dir = freshDir();
    const reports: string[] = [];
    const files = new ProcessLogFiles(dir, { report: (m) => reports.push(m) });
    files.write('api', 'before');
    files.close();
    files.write('api', 'after');
    expect(lines(path.join(dir, 'api.log'))).toHaveLength(1);
    expect(reports).toEqual([]);
  });
});

describe('processLogName', () => {
  it('is the process name, and cannot leave the logs directory', () => {
    expect(processLogName('build-amd64')).toBe('build-amd64.log');
    expect(processLogName('orchestrator')).toBe('orchestrator.log');
    expect(processLogName('../../etc/passwd')).toBe('__.._etc_passwd.log');
    expect(processLogName('..')).toBe('_.log');
    expect(path.dirname(path.join('/data/logs', processLogName('../x')))).toBe('/data/logs');
  });
});
