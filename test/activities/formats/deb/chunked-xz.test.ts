import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { XzChunkCache } from '../../../../activities/formats/deb/chunked-xz';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-xz-'));
  dirs.push(d);
  return d;
}

const chunk = (i: number, tag = '') => Array.from({ length: 200 }, (_, j) => `Package: p${i}-${j}${tag}\nVersion: 1.${j}\n`).join('\n') + '\n';

/** What apt itself reads from the file (its own xz reader), and what xz says of it. */
function decodeWithApt(file: string): string {
  return execFileSync('/usr/lib/apt/apt-helper', ['cat-file', file], { maxBuffer: 1 << 28 }).toString();
}

describe('XzChunkCache', () => {
  it('makes one stream that apt and xz decode to the whole text, and recompresses only changed chunks', async () => {
    const dir = tmp();
    const cache = new XzChunkCache(path.join(dir, 'cache'));
    const chunks = [chunk(1), chunk(2), chunk(3), chunk(4)];
    const first = await cache.compress(chunks);
    const file = path.join(dir, 'Packages.xz');
    fs.writeFileSync(file, first.xz);
    expect(decodeWithApt(file)).toBe(chunks.join(''));
    expect(execFileSync('xz', ['--decompress', '--stdout', file], { maxBuffer: 1 << 28 }).toString()).toBe(chunks.join(''));
    // One stream (apt reads only the first of several), one block per chunk.
    const list = execFileSync('xz', ['--list', '--robot', file]).toString();
    expect(list).toMatch(/^totals\t1\t4\t/m);

    const written = new Map(first.used.map((n) => [n, fs.statSync(path.join(dir, 'cache', n)).mtimeMs]));
    await new Promise((r) => setTimeout(r, 20));
    const changed = [chunks[0], chunk(2, 'x'), chunks[2], chunks[3]];
    const second = await cache.compress(changed);
    fs.writeFileSync(file, second.xz);
    expect(decodeWithApt(file)).toBe(changed.join(''));
    const rewritten = second.used.filter((n) => written.get(n) !== fs.statSync(path.join(dir, 'cache', n)).mtimeMs);
    expect(rewritten).toEqual([second.used[1]]);

    await cache.prune(second.used);
    expect(fs.readdirSync(path.join(dir, 'cache')).sort()).toEqual([...second.used].sort());
  });

  it('compresses again a cached chunk that was torn, and handles an empty index', async () => {
    const dir = tmp();
    const cache = new XzChunkCache(dir);
    const chunks = [chunk(1), chunk(2)];
    const { used } = await cache.compress(chunks);
    fs.truncateSync(path.join(dir, used[0]), 10);
    const again = await cache.compress(chunks);
    const file = path.join(dir, 'out.xz');
    fs.writeFileSync(file, again.xz);
    expect(decodeWithApt(file)).toBe(chunks.join(''));
    fs.writeFileSync(file, (await cache.compress([])).xz);
    expect(decodeWithApt(file)).toBe('');
  });
});
