import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLogFile, completeUtf8Length, followLog, openLog, readTail } from '../../../api/data/build-logs';
import { DataLayout } from '../../../domain/data-layout';
import { KilnError } from '../../../domain/errors';
import { until as pollUntil } from '../../helpers/until';

// Reading build logs: the last lines, character boundaries, and following a file that grows.

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-logs-'));

async function tailOf(text: string | Buffer, lines: number, maxBytes?: number): Promise<{ start: number; data: string }> {
  const file = path.join(tmp(), 'x.log');
  fs.writeFileSync(file, text);
  const opened = (await openLog(file))!;
  try {
    const { start, data } = await readTail(opened.handle, opened.size, lines, maxBytes);
    return { start, data: data.toString() };
  } finally {
    await opened.handle.close();
  }
}

describe('readTail', () => {
  it.each([
    ['a\nb\nc\n', 2, 'b\nc\n', 2],
    ['a\nb\nc', 2, 'b\nc', 2],
    ['a\nb\nc\n', 3, 'a\nb\nc\n', 0],
    ['a\nb\nc\n', 9, 'a\nb\nc\n', 0],
    ['\n\n\n', 2, '\n\n', 1],
    ['', 5, '', 0],
    ['no newline at all', 1, 'no newline at all', 0],
  ])('%j, last %i: %j from byte %i', async (text, lines, data, start) => {
    expect(await tailOf(text, lines)).toEqual({ start, data });
  });

  it('reads back across chunks', async () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `line ${i} ${'x'.repeat(50)}`);
    const { data } = await tailOf(lines.join('\n') + '\n', 2_000);
    expect(data).toBe(lines.slice(-2_000).join('\n') + '\n');
  });

  it('stops at maxBytes', async () => {
    const { data, start } = await tailOf('x'.repeat(1_000), 1, 100);
    expect(data).toBe('x'.repeat(100));
    expect(start).toBe(900);
  });
});

describe('completeUtf8Length', () => {
  const euro = Buffer.from('€');
  it.each([
    ['ascii', Buffer.from('abc'), 3],
    ['a whole 3-byte character', Buffer.concat([Buffer.from('a'), euro]), 4],
    ['1 of 3 bytes', Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]), 1],
    ['2 of 3 bytes', Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]), 1],
    ['3 of 4 bytes', Buffer.concat([Buffer.from('a'), Buffer.from('😀').subarray(0, 3)]), 1],
    ['a stray continuation byte', Buffer.from([0x61, 0x80, 0x80, 0x80, 0x80]), 5],
    ['empty', Buffer.alloc(0), 0],
  ])('%s', (_what, buf, length) => {
    expect(completeUtf8Length(buf)).toBe(length);
  });
});

describe('buildLogFile', () => {
  const layout = new DataLayout('/var/lib/kiln');
  const push = { tree: 'ports', branch: 'release/1.x', commit: 'a'.repeat(40) };

  it('is the layout\'s path, the branch one segment', () => {
    expect(buildLogFile(layout, push, 'hello', 'amd64')).toBe(`/var/lib/kiln/logs/ports/release%2F1.x/${'a'.repeat(40)}/hello/amd64.log`);
  });

  it.each([
    ['..', 'amd64'], ['../x', 'amd64'], ['hello', '../amd64'], ['a/b', 'amd64'], ['Hello', 'amd64'], ['hello', 'AMD64'], ['.x', 'amd64'],
  ])('refuses source %j arch %j', (source, arch) => {
    expect(() => buildLogFile(layout, push, source, arch)).toThrow(KilnError);
  });

  it('refuses a commit that is not one', () => {
    expect(() => buildLogFile(layout, { ...push, commit: '../../x' }, 'hello', 'amd64')).toThrow(KilnError);
  });
});

describe('followLog', () => {
  it('yields what is there, then appends, then the rest once it may no longer grow, and closes the file', async () => {
    const file = path.join(tmp(), 'x.log');
    fs.writeFileSync(file, 'one\n');
    let growing = true;
    const aborter = new AbortController();
    const got: Array<{ start: number; data: string }> = [];
    const done = (async () => {
      const chunks = followLog(file, { from: 0, signal: aborter.signal, pollMs: 5, checkMs: 5, mayGrow: async () => growing });
      for await (const c of chunks) got.push({ start: c.start, data: c.data.toString() });
    })();
    await until(() => got.length === 1);
    fs.appendFileSync(file, 'two\n');
    await until(() => got.length === 2);
    fs.appendFileSync(file, 'three\n');
    growing = false;
    await done;
    expect(got.map((c) => c.data).join('')).toBe('one\ntwo\nthree\n');
    expect(got[1].start).toBe(4);
  });

  it('returns when aborted while waiting, closing the file', async () => {
    const file = path.join(tmp(), 'x.log');
    fs.writeFileSync(file, 'x');
    const aborter = new AbortController();
    const chunks = followLog(file, { from: 0, signal: aborter.signal, pollMs: 10_000, checkMs: 10_000, mayGrow: async () => true });
    expect((await chunks.next()).value).toMatchObject({ start: 0 });
    const next = chunks.next();
    setTimeout(() => aborter.abort(), 10);
    expect(await next).toEqual({ done: true, value: 'aborted' });
    expect(fs.readdirSync('/proc/self/fd').some((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`) === file; } catch { return false; } })).toBe(false);
  });

  it('starts at `from`, and sends a trailing partial character once the log is complete', async () => {
    const file = path.join(tmp(), 'x.log');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('skip|keep'), Buffer.from('€').subarray(0, 2)]));
    const chunks = followLog(file, { from: 5, signal: new AbortController().signal, pollMs: 1, checkMs: 1, mayGrow: async () => false });
    const got: Buffer[] = [];
    for await (const c of chunks) got.push(c.data);
    expect(Buffer.concat(got)).toEqual(Buffer.concat([Buffer.from('keep'), Buffer.from('€').subarray(0, 2)]));
  });
});

const until = (check: () => boolean) => pollUntil('the condition', check, 5_000, 2);
