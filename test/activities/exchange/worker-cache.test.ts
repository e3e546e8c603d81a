import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobClient, readWorkerToken } from '../../../activities/exchange/blob-client';
import { WorkerCache } from '../../../activities/exchange/worker-cache';
import { ArtifactStore } from '../../../activities/store/artifact-store';
import { localWorkerTokenFile } from '../../../api/auth/local-worker-token';
import type { BlobRef, ViewFile } from '../../../domain/build-exchange';
import { localBuilder, type LocalBuilder } from '../../helpers/local-builder';

// A build worker's cache over a small limit, fetching from Kiln's real blob routes (the API on loopback, a worker
// token): what it keeps on disk stays under the limit, least recently used first, except what running builds hold.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-worker-cache-'));
let api: LocalBuilder;
let client: BlobClient;
let store: ArtifactStore;

beforeAll(async () => {
  api = await localBuilder(path.join(root, 'kiln'), { ports: { branches: ['main'], architectures: ['amd64'] } });
  client = new BlobClient({ apiUrl: api.apiUrl, token: readWorkerToken(localWorkerTokenFile(api.layout.root)) });
  store = new ArtifactStore(api.layout.store);
});
afterAll(async () => {
  await api?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** A blob of `size` bytes in Kiln's store (distinct content each call). */
async function stored(size: number, data?: Buffer): Promise<BlobRef & { data: Buffer }> {
  const bytes = data ?? Buffer.alloc(size, `blob ${++n} `);
  const file = path.join(root, `upload-${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(file, bytes);
  const { sha256, size: stored } = await store.add(file);
  fs.rmSync(file);
  return { sha256, size: stored, data: bytes };
}

/** A WIP view manifest of `files` (path → blob), stored. */
async function manifestOf(files: Record<string, BlobRef>): Promise<BlobRef> {
  const list: ViewFile[] = Object.entries(files).map(([p, ref]) => ({ path: p, sha256: ref.sha256, size: ref.size }));
  return stored(0, Buffer.from(JSON.stringify({ files: list })));
}

/** A recipe archive (an uncompressed tar, as the orchestrator makes them) holding one file of `size` bytes. */
async function recipeArchive(size: number): Promise<BlobRef> {
  const dir = fs.mkdtempSync(path.join(root, 'recipe-'));
  fs.mkdirSync(path.join(dir, 'debian'));
  fs.writeFileSync(path.join(dir, 'debian', 'rules'), Buffer.alloc(size, `rules ${++n} `));
  const archive = `${dir}.tar`;
  execFileSync('tar', ['-c', '--format=gnu', '-f', archive, '-C', dir, '.']);
  const { sha256, size: stored } = await store.add(archive);
  fs.rmSync(dir, { recursive: true });
  fs.rmSync(archive);
  return { sha256, size: stored };
}

async function freshCache(maxBytes: number): Promise<{ cache: WorkerCache; dir: string; lines: string[] }> {
  const dir = fs.mkdtempSync(path.join(root, 'cache-'));
  const lines: string[] = [];
  const cache = new WorkerCache(dir, client, maxBytes, { log: (line) => lines.push(line) });
  await cache.init();
  return { cache, dir, lines };
}

/** What the cache keeps on disk (blobs and unpacked recipes), measured there, not asked of the cache. */
function onDisk(dir: string): number {
  let size = 0;
  for (const sub of ['blobs', 'recipes']) {
    for (const e of fs.readdirSync(path.join(dir, sub), { withFileTypes: true, recursive: true })) {
      if (e.isFile()) size += fs.lstatSync(path.join(e.parentPath, e.name)).size;
    }
  }
  return size;
}

const cachedBlobs = (dir: string) => fs.readdirSync(path.join(dir, 'blobs')).sort();
const overLimitLines = (lines: string[]) => lines.filter((l) => l.includes('over its limit'));

describe('WorkerCache limit', () => {
  it('stays under its limit after every fetch, removing the least recently used blob first', async () => {
    const { cache, dir } = await freshCache(10_000);
    const [a, b, c, d, e] = await Promise.all([1, 2, 3, 4, 5].map(() => stored(3000)));
    for (const ref of [a, b, c]) {
      await cache.blob(ref);
      expect(onDisk(dir)).toBeLessThanOrEqual(10_000);
    }
    expect(cachedBlobs(dir)).toEqual([a, b, c].map((r) => r.sha256).sort());
    // a is used again: b is now the least recently used.
    expect(fs.readFileSync(await cache.blob(a))).toEqual(a.data);
    await cache.blob(d);
    expect(onDisk(dir)).toBeLessThanOrEqual(10_000);
    expect(cachedBlobs(dir)).toEqual([a, c, d].map((r) => r.sha256).sort());
    await cache.blob(e);
    expect(onDisk(dir)).toBeLessThanOrEqual(10_000);
    expect(cachedBlobs(dir)).toEqual([a, d, e].map((r) => r.sha256).sort());
    expect(cache.stats()).toMatchObject({ bytes: onDisk(dir), entries: 3, pinnedBytes: 0, incomingBytes: 0 });
  });

  it('keeps what a running build holds over the limit (said once), keeps nothing else, and trims it once released', async () => {
    const { cache, dir, lines } = await freshCache(10_000);
    const [x1, x2] = await Promise.all([stored(3000), stored(3000)]);
    await cache.blob(x1);
    await cache.blob(x2);
    const files = await Promise.all([1, 2, 3, 4].map(() => stored(3000)));
    const manifest = await manifestOf(Object.fromEntries(files.map((f, i) => [`amd64/pkg${i}.deb`, f])));
    const recipe = await recipeArchive(2000);

    const work = await cache.workDir('build');
    const view = path.join(work, 'wip');
    await cache.view(manifest, view);
    const src = await cache.recipe(recipe, undefined, work);
    await cache.trim();
    // The build's view and recipe are whole and cached, over the limit: the unheld blobs made way first.
    files.forEach((f, i) => expect(fs.readFileSync(path.join(view, 'amd64', `pkg${i}.deb`))).toEqual(f.data));
    expect(fs.readFileSync(path.join(src, 'debian', 'rules')).length).toBe(2000);
    for (const f of files) expect(cachedBlobs(dir)).toContain(f.sha256);
    expect(cachedBlobs(dir)).not.toContain(x1.sha256);
    expect(cachedBlobs(dir)).not.toContain(x2.sha256);
    expect(onDisk(dir)).toBeGreaterThan(10_000);
    expect(cache.stats().pinnedBytes).toBe(cache.stats().bytes);

    // A blob nobody holds, fetched meanwhile: handed out, then not kept over the limit.
    const y = await stored(1000);
    expect(fs.readFileSync(await cache.blob(y))).toEqual(y.data);
    await cache.trim();
    expect(cachedBlobs(dir)).not.toContain(y.sha256);
    expect(overLimitLines(lines)).toHaveLength(1);
    expect(overLimitLines(lines)[0]).toMatch(/running builds hold/);

    // The build ends: its work dir goes and it is released; the least recently used of what it held go first.
    fs.rmSync(work, { recursive: true, force: true });
    await cache.release(work);
    expect(onDisk(dir)).toBeLessThanOrEqual(10_000);
    expect(cache.stats()).toMatchObject({ bytes: onDisk(dir), pinnedBytes: 0 });
    // Used last: the recipe (its archive, unheld, went right after the unpack); the view's first files went first.
    expect(fs.readdirSync(path.join(dir, 'recipes'))).toEqual([recipe.sha256]);
    expect(cachedBlobs(dir)).not.toContain(files[0].sha256);
    expect(cachedBlobs(dir)).toContain(files[3].sha256);
    // Releasing twice, or a dir the cache never made, is harmless.
    await cache.release(work);
    await cache.release(path.join(root, 'no-such-work-dir'));
  });

  it('a build that only removes its work dir and calls trim() (build-package.ts) releases what it held', async () => {
    const { cache, dir } = await freshCache(5000);
    const files = await Promise.all([1, 2, 3].map(() => stored(2000)));
    const manifest = await manifestOf(Object.fromEntries(files.map((f, i) => [`f${i}`, f])));
    const work = await cache.workDir('build');
    await cache.view(manifest, path.join(work, 'wip'));
    expect(onDisk(dir)).toBeGreaterThan(5000);
    fs.rmSync(work, { recursive: true, force: true });
    await cache.trim();
    expect(onDisk(dir)).toBeLessThanOrEqual(5000);
  });

  it('a recipe asked for without a work dir is held by the builds running then, until each has ended', async () => {
    const { cache, dir } = await freshCache(3000);
    const one = await cache.workDir('one');
    const two = await cache.workDir('two');
    const src = await cache.recipe(await recipeArchive(2500));
    await cache.release(one);
    // Over the limit with the recipe still held by `two`: the new blob, held by nobody, does not stay.
    const big = await stored(2900);
    await cache.blob(big);
    await cache.trim();
    expect(fs.readFileSync(path.join(src, 'debian', 'rules')).length).toBe(2500);
    expect(cachedBlobs(dir)).toEqual([]);
    // Both ended: now the recipe is what was used least recently, and makes way.
    await cache.release(two);
    await cache.blob(big);
    expect(fs.readdirSync(path.join(dir, 'recipes'))).toEqual([]);
    expect(cachedBlobs(dir)).toEqual([big.sha256]);
    expect(onDisk(dir)).toBeLessThanOrEqual(3000);
  });

  it('two builds fetching at once each get a whole view; the limit holds once they end', async () => {
    const { cache, dir } = await freshCache(6000);
    const shared = await Promise.all([1, 2].map(() => stored(1000)));
    const own = await Promise.all([1, 2, 3, 4, 5, 6].map(() => stored(1000)));
    const views: Array<Record<string, BlobRef & { data: Buffer }>> = [
      { '1/s0': shared[0], '1/s1': shared[1], '1/a0': own[0], '1/a1': own[1], '1/a2': own[2] },
      { '1/s1': shared[1], '1/s0': shared[0], '1/b0': own[3], '1/b1': own[4], '1/b2': own[5] },
    ];
    const manifests = await Promise.all(views.map((v) => manifestOf(v)));
    // Unheld fetches meanwhile, competing for the room.
    const others = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => stored(700)));
    const works = await Promise.all([cache.workDir('a'), cache.workDir('b')]);
    await Promise.all([
      ...works.map((w, i) => cache.view(manifests[i], path.join(w, 'wip'))),
      ...others.map((o) => cache.blob(o)),
    ]);
    views.forEach((v, i) => {
      for (const [p, ref] of Object.entries(v)) expect(fs.readFileSync(path.join(works[i], 'wip', p))).toEqual(ref.data);
    });
    for (const ref of [...shared, ...own]) expect(cachedBlobs(dir)).toContain(ref.sha256);
    for (const w of works) {
      fs.rmSync(w, { recursive: true, force: true });
      await cache.release(w);
    }
    expect(onDisk(dir)).toBeLessThanOrEqual(6000);
    // What the cache counts is what is on disk: every entry there, nothing else.
    expect(cache.stats().bytes).toBe(onDisk(dir));
    expect(cachedBlobs(dir).every((name) => /^[0-9a-f]{64}$/.test(name))).toBe(true);
  });
});

describe('WorkerCache temp files', () => {
  it('removes what a crash tore at start and keeps what was whole, the most recently used under a lowered limit', async () => {
    const dir = fs.mkdtempSync(path.join(root, 'cache-'));
    const first = new WorkerCache(dir, client, 100_000, { log: () => undefined });
    await first.init();
    const kept = await Promise.all([1, 2, 3].map(() => stored(3000)));
    const recipe = await recipeArchive(1000);
    for (const ref of kept) await first.blob(ref);
    await first.recipe(recipe);
    // When each was last used (what the cache's touch leaves behind, across restarts): the archive first, then
    // kept[0], the unpacked recipe, kept[1], kept[2].
    const used = (file: string, t: number) => fs.utimesSync(file, t, t);
    used(path.join(dir, 'blobs', recipe.sha256), 1_000_000);
    used(path.join(dir, 'blobs', kept[0].sha256), 1_000_001);
    used(path.join(dir, 'recipes', recipe.sha256), 1_000_002);
    used(path.join(dir, 'blobs', kept[1].sha256), 1_000_003);
    used(path.join(dir, 'blobs', kept[2].sha256), 1_000_004);

    const torn = [
      path.join(dir, 'blobs', `${'a'.repeat(64)}.0123456789ab.part`),
      path.join(dir, 'recipes', `${'b'.repeat(64)}.0123456789ab.part`),
      path.join(dir, 'recipes', `${recipe.sha256}.0123456789ab.removing`),
      path.join(dir, 'recipes', 'c'.repeat(64)),
      path.join(dir, 'finished', 'k.json.tmp'),
      path.join(dir, 'work', 'build-12345678'),
    ];
    fs.writeFileSync(torn[0], 'half a download');
    for (const d of torn.slice(1, 4)) fs.mkdirSync(path.join(d, 'src'), { recursive: true });
    fs.writeFileSync(path.join(torn[3], 'src', 'file'), 'an unpack without its completion mark');
    fs.mkdirSync(path.dirname(torn[4]), { recursive: true });
    fs.writeFileSync(torn[4], '{"half');
    fs.mkdirSync(torn[5], { recursive: true });

    const again = new WorkerCache(dir, client, 8000, { log: () => undefined });
    await again.init();
    for (const file of torn) expect(fs.existsSync(file), file).toBe(false);
    // Blobs, archive and recipe over 8000: the least recently used went (the archive and kept[0]), the rest stayed.
    expect(cachedBlobs(dir)).toEqual([kept[1].sha256, kept[2].sha256].sort());
    expect(fs.readdirSync(path.join(dir, 'recipes'))).toEqual([recipe.sha256]);
    expect(again.stats().bytes).toBe(onDisk(dir));
    expect(onDisk(dir)).toBeLessThanOrEqual(8000);
  });

  it('a temp file no fetch owns is removed by trim(); a failed download leaves none and counts nothing', async () => {
    const { cache, dir } = await freshCache(10_000);
    const stray = path.join(dir, 'blobs', `${'d'.repeat(64)}.fedcba987654.part`);
    fs.writeFileSync(stray, 'torn');
    await cache.trim();
    expect(fs.existsSync(stray)).toBe(false);

    // Not in Kiln's store (the API answers 404), and one whose size is not what arrives.
    await expect(cache.blob({ sha256: 'e'.repeat(64), size: 10 })).rejects.toThrow(/404/);
    const real = await stored(500);
    await expect(cache.blob({ sha256: real.sha256, size: 400 })).rejects.toThrow(/longer than/);
    expect(cachedBlobs(dir)).toEqual([]);
    expect(cache.stats()).toMatchObject({ bytes: 0, entries: 0, incomingBytes: 0 });
  });
});
