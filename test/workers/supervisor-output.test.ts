import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor, type ChildStream } from '../../workers/lib/supervisor';
import { until } from '../helpers/until';

// What the supervisor hands on of a child: each line with the stream it came on, and its own note when the child exits.
const script = "console.log('on stdout'); console.error('{\"level\":\"info\",\"msg\":\"on stderr\"}'); process.exitCode = 3";
let supervisor: Supervisor | undefined;
afterEach(async () => { await supervisor?.stop(1_000); });

describe('Supervisor output', () => {
  it('hands each child line on with its stream, and says when a child exited', async () => {
    const lines: Array<[string, string, ChildStream]> = [];
    const notes: Array<[string, string]> = [];
    const out: string[] = [];
    supervisor = new Supervisor((l) => out.push(l), { onLine: (...args) => lines.push(args), onNote: (...args) => notes.push(args) });
    supervisor.start({ name: 'child', command: process.execPath, args: ['-e', script] });
    // 'exit' may come before the last lines of its pipes: wait for both.
    await until('the child exited', () => notes.length > 0 && lines.length === 2, 10_000, 20);
    expect(lines).toEqual(expect.arrayContaining([['child', 'on stdout', 'stdout'], ['child', '{"level":"info","msg":"on stderr"}', 'stderr']]));
    expect(notes[0]).toEqual(['child', 'exited (code 3); restarting in 1 s']);
    expect(out).toEqual([]);
  });

  it('without options, lines go to `out` behind the child\'s name, as before', async () => {
    const out: string[] = [];
    supervisor = new Supervisor((l) => out.push(l));
    supervisor.start({ name: 'child', command: process.execPath, args: ['-e', script] });
    await until('the child exited', () => out.length === 3, 10_000, 20);
    expect(out).toEqual(expect.arrayContaining([
      'child         | on stdout',
      'child         | {"level":"info","msg":"on stderr"}',
      'child         | exited (code 3); restarting in 1 s',
    ]));
  });
});
