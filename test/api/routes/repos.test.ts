import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app';
import { parseByteRange, repoCacheControl, repoContentType, repoPathSegments } from '../../../api/routes/repos';
import { parseConfig } from '../../../domain/config';
import { DataLayout } from '../../../domain/data-layout';

// GET/HEAD /repos/<tree>/<branch>/<path> against a hand-made data dir: snapshots, `current` switches, traversal,
// ranges. The real apt client against the same route: test/api/routes/repos-apt.int.test.ts.

const DEB = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const MTIME = new Date('2026-11-21T12:00:00Z');

let dataDir: string;
let layout: DataLayout;
let app: FastifyInstance;

function write(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.utimesSync(file, MTIME, MTIME);
}

/** A snapshot with the files of a tiny Debian repository, each naming the snapshot it belongs to. */
function makeSnapshot(repo: string, id: string): string {
  const dir = path.join(repo, 'snapshots', id);
  write(path.join(dir, 'dists/bookworm/InRelease'), `InRelease of snapshot ${id}\n`);
  write(path.join(dir, 'dists/bookworm/Release'), `Release of snapshot ${id}\n`);
  write(path.join(dir, 'dists/bookworm/Release.gpg'), `Release.gpg of snapshot ${id}\n`);
  write(path.join(dir, 'dists/bookworm/main/binary-amd64/Packages'), `Packages of snapshot ${id}\n`);
  write(path.join(dir, 'dists/bookworm/main/binary-amd64/Packages.xz'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  write(path.join(dir, 'dists/bookworm/main/binary-amd64/by-hash/SHA256/0123abcd'), `by-hash of snapshot ${id}\n`);
  write(path.join(dir, 'pool/main/h/hello/hello_1.0_all.deb'), DEB);
  write(path.join(dir, 'pool/main/h/hello/hello_1.0+b1~x_all.deb'), DEB);
  return dir;
}

/** Switch `current` the way publishing does: a new symlink renamed over the old one. */
function switchCurrent(repo: string, id: string): void {
  const tmp = path.join(repo, `.current-${id}-${process.hrtime.bigint()}`);
  fs.symlinkSync(path.join('snapshots', id), tmp);
  fs.renameSync(tmp, path.join(repo, 'current'));
}

function configText(dir: string): string {
  return [
    `dataDir: ${dir}`,
    'trees:',
    '  - { name: ports, url: /srv/ports, format: deb, distribution: bookworm, branches: [main, release/1.x, unpublished], architectures: [amd64, i386] }',
    '  - { name: other, url: /srv/other, format: deb, distribution: bookworm, branches: [main], architectures: [amd64] }',
  ].join('\n');
}

const noop = async () => undefined;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-repos-route-'));
  layout = new DataLayout(dataDir);
  app = buildApp({ config: parseConfig(configText(dataDir), dataDir, {}), health: { temporal: noop, docker: noop }, intake: noop as never });

  const main = layout.repo('ports', 'main');
  makeSnapshot(main, '1');
  makeSnapshot(main, '2');
  switchCurrent(main, '1');

  const release = layout.repo('ports', 'release/1.x');
  makeSnapshot(release, '7');
  switchCurrent(release, '7');

  // On disk but not configured: never served.
  const stray = layout.repo('ports', 'stray');
  makeSnapshot(stray, '1');
  switchCurrent(stray, '1');

  // Secrets next to the repos, and links in a snapshot pointing at them.
  write(path.join(layout.wipKeyDir, 'secret.key'), 'SECRET\n');
  write(path.join(os.tmpdir(), `kiln-outside-${path.basename(dataDir)}.txt`), 'OUTSIDE\n');
  const s1 = path.join(main, 'snapshots/1');
  fs.symlinkSync(path.join(layout.wipKeyDir, 'secret.key'), path.join(s1, 'leak'));
  fs.symlinkSync('../../../../../wip-key', path.join(s1, 'leakdir'));
  // A pool file linked into the content store, as publishing makes them.
  write(path.join(layout.store, 'abc123'), 'from the store\n');
  fs.symlinkSync(path.join(layout.store, 'abc123'), path.join(s1, 'pool/main/h/hello/stored_1.0_all.deb'));
});

afterAll(async () => {
  await app.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(path.join(os.tmpdir(), `kiln-outside-${path.basename(dataDir)}.txt`), { force: true });
});

beforeEach(() => switchCurrent(layout.repo('ports', 'main'), '1'));

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
const head = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'HEAD', url, headers });

let listening: Promise<number> | undefined;
/** The app on a real socket (once per file), for what inject cannot send. */
function serverPort(): Promise<number> {
  listening ??= app.listen({ port: 0, host: '127.0.0.1' }).then(() => (app.server.address() as AddressInfo).port);
  return listening;
}

/** A raw HTTP request: inject and fetch normalize `..` and `%2e%2e` away before the server sees them. */
async function rawRequest(rawPath: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const port = await serverPort();
  return new Promise((resolve, reject) => {
    http.request({ host: '127.0.0.1', port, path: rawPath, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

describe('GET /repos/:tree/:branch/*', () => {
  it('serves a file of the current snapshot with its metadata', async () => {
    const res = await get('/repos/ports/main/dists/bookworm/InRelease');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('InRelease of snapshot 1\n');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength('InRelease of snapshot 1\n')));
    expect(res.headers['last-modified']).toBe(MTIME.toUTCString());
    expect(res.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['accept-ranges']).toBe('bytes');
  });

  it.each([
    ['dists/bookworm/Release', 'text/plain; charset=utf-8', 'no-cache'],
    ['dists/bookworm/Release.gpg', 'application/octet-stream', 'no-cache'],
    ['dists/bookworm/main/binary-amd64/Packages', 'text/plain; charset=utf-8', 'no-cache'],
    ['dists/bookworm/main/binary-amd64/Packages.xz', 'application/x-xz', 'no-cache'],
    ['dists/bookworm/main/binary-amd64/by-hash/SHA256/0123abcd', 'application/octet-stream', 'public, max-age=31536000, immutable'],
    // Same name, new bytes when a source changes without a version bump: revalidated, never immutable.
    ['pool/main/h/hello/hello_1.0_all.deb', 'application/octet-stream', 'no-cache'],
  ])('%s is %s, Cache-Control %s', async (file, type, cache) => {
    const res = await get(`/repos/ports/main/${file}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe(cache);
  });

  it('streams binary files byte for byte, and names with + and ~ (encoded or not)', async () => {
    expect((await get('/repos/ports/main/pool/main/h/hello/hello_1.0_all.deb')).rawPayload).toEqual(DEB);
    expect((await get('/repos/ports/main/pool/main/h/hello/hello_1.0+b1~x_all.deb')).rawPayload).toEqual(DEB);
    expect((await get('/repos/ports/main/pool/main/h/hello/hello_1.0%2Bb1%7Ex_all.deb')).rawPayload).toEqual(DEB);
  });

  it('takes the branch URL-encoded (branches may contain "/")', async () => {
    const res = await get(`/repos/ports/${encodeURIComponent('release/1.x')}/dists/bookworm/Release`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('Release of snapshot 7\n');
  });

  it('follows links into the content store', async () => {
    const res = await get('/repos/ports/main/pool/main/h/hello/stored_1.0_all.deb');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('from the store\n');
  });

  it('serves pool files through a snapshot\'s link to the branch\'s shared pool, and no link leading elsewhere', async () => {
    const main = layout.repo('ports', 'main');
    const shared = path.join(main, 'snapshots', 'shared');
    write(path.join(shared, 'dists/bookworm/InRelease'), 'InRelease of the shared-pool snapshot\n');
    write(path.join(main, 'pool/main/s/shared/shared_1.0_all.deb'), 'from the shared pool\n');
    fs.symlinkSync(path.join('..', '..', 'pool'), path.join(shared, 'pool'));
    const elsewhere = path.join(main, 'snapshots', 'elsewhere');
    write(path.join(elsewhere, 'dists/bookworm/InRelease'), 'InRelease of a snapshot whose pool leads out\n');
    fs.symlinkSync(layout.wipKeyDir, path.join(elsewhere, 'pool'));
    try {
      switchCurrent(main, 'shared');
      const res = await get('/repos/ports/main/pool/main/s/shared/shared_1.0_all.deb');
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('from the shared pool\n');
      expect((await get('/repos/ports/main/pool/')).statusCode).toBe(200);
      switchCurrent(main, 'elsewhere');
      expect((await get('/repos/ports/main/pool/secret.key')).statusCode).toBe(404);
    } finally {
      switchCurrent(main, '1');
      fs.rmSync(shared, { recursive: true });
      fs.rmSync(elsewhere, { recursive: true });
      fs.rmSync(path.join(main, 'pool'), { recursive: true });
    }
  });

  it('a switch of `current` between requests serves the new snapshot from the next request on', async () => {
    const url = '/repos/ports/main/dists/bookworm/InRelease';
    expect((await get(url)).body).toBe('InRelease of snapshot 1\n');
    switchCurrent(layout.repo('ports', 'main'), '2');
    expect((await get(url)).body).toBe('InRelease of snapshot 2\n');
    switchCurrent(layout.repo('ports', 'main'), '1');
    expect((await get(url)).body).toBe('InRelease of snapshot 1\n');
  });

  it('a download under way when `current` switches finishes with the snapshot it started with', async () => {
    const repo = layout.repo('ports', 'main');
    const size = 16 * 1024 * 1024;
    const big = (id: string) => Buffer.alloc(size, id);
    write(path.join(repo, 'snapshots/1/pool/big.bin'), big('1'));
    write(path.join(repo, 'snapshots/2/pool/big.bin'), big('2'));
    const port = await serverPort();
    const body = await new Promise<Buffer>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/repos/ports/main/pool/big.bin' }, (res) => {
        const chunks: Buffer[] = [];
        res.once('data', () => {
          // The first bytes are here: switch, and even delete the old file; the answer must not change.
          res.pause();
          switchCurrent(repo, '2');
          fs.rmSync(path.join(repo, 'snapshots/1/pool/big.bin'));
          setTimeout(() => res.resume(), 50);
        });
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
      }).on('error', reject);
    });
    expect(body.length).toBe(size);
    expect(body.equals(big('1'))).toBe(true);
    expect((await get('/repos/ports/main/pool/big.bin')).rawPayload.equals(big('2'))).toBe(true);
  });

  it.each([
    ['an unknown tree', '/repos/nope/main/dists/bookworm/Release'],
    ['a branch the tree does not configure (even when on disk)', '/repos/ports/stray/dists/bookworm/Release'],
    ['a configured branch never published', '/repos/ports/unpublished/dists/bookworm/Release'],
    ['a configured tree with nothing published', '/repos/other/main/dists/bookworm/Release'],
    ['a missing file', '/repos/ports/main/dists/bookworm/nope'],
    ['a path through a file', '/repos/ports/main/dists/bookworm/Release/x'],
    ['a link out of the snapshot', '/repos/ports/main/leak'],
    ['a file through a directory link out of the snapshot', '/repos/ports/main/leakdir/secret.key'],
    ['a double-slashed branch', '/repos/ports/release/1.x/dists/bookworm/Release'],
  ])('%s is a coded 404', async (_what, url) => {
    const res = await get(url);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    expect(res.body).not.toContain('SECRET');
  });

  it.each([
    ['encoded dot-dot', '/repos/ports/main/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/wip-key/secret.key'],
    ['dot-dot with encoded slashes', '/repos/ports/main/..%2F..%2F..%2F..%2F..%2Fwip-key%2Fsecret.key'],
    ['dot-dot inside a segment with encoded slashes', '/repos/ports/main/dists%2F..%2F..%2Fsnapshots'],
    ['double-encoded dot-dot', '/repos/ports/main/%252e%252e/%252e%252e/etc/passwd'],
    ['double-encoded slash', '/repos/ports/main/..%252f..%252fetc'],
    ['an encoded NUL', '/repos/ports/main/dists/bookworm/Release%00.html'],
    ['a double-encoded NUL', '/repos/ports/main/Release%2500'],
    ['an absolute path', '/repos/ports/main//etc/passwd'],
    ['an encoded absolute path', '/repos/ports/main/%2Fetc%2Fpasswd'],
    ['an encoded backslash', '/repos/ports/main/..%5c..%5cetc'],
    ['a dot segment with encoded slash', '/repos/ports/main/.%2Fdists'],
  ])('%s is 400 REQUEST_INVALID', async (_what, url) => {
    const res = await rawRequest(url);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe('REQUEST_INVALID');
    expect((await rawRequest(url, 'HEAD')).status).toBe(400);
  });

  it('literal dot-dot segments sent raw are 400, never a file outside', async () => {
    for (const raw of ['/repos/ports/main/../../../../../wip-key/secret.key', '/repos/ports/main/dists/../../../current/dists/bookworm/Release', '/repos/ports/main/./dists/bookworm/Release']) {
      const res = await rawRequest(raw);
      expect(res.status, raw).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe('REQUEST_INVALID');
    }
    for (const raw of ['/repos/ports/../../wip-key/secret.key', '/repos/../ports/main/dists/bookworm/Release']) {
      const res = await rawRequest(raw);
      expect([400, 404], raw).toContain(res.status);
      expect(res.body).not.toContain('SECRET');
    }
  });

  it('an invalid percent-encoding is a 400', async () => {
    expect((await get('/repos/ports/main/%zz')).statusCode).toBe(400);
  });
});

describe('Range and conditional requests', () => {
  const deb = '/repos/ports/main/pool/main/h/hello/hello_1.0_all.deb';

  it.each([
    ['bytes=0-9', 0, 9],
    ['bytes=250-', 250, 255],
    ['bytes=-6', 250, 255],
    ['bytes=100-1000', 100, 255],
    ['bytes=-1000', 0, 255],
  ])('%s is 206 with bytes %i-%i', async (range, start, end) => {
    const res = await get(deb, { range });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/256`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.rawPayload).toEqual(DEB.subarray(start, end + 1));
  });

  it.each(['bytes=256-', 'bytes=1000-2000', 'bytes=-0'])('%s is 416 naming the size', async (range) => {
    const res = await get(deb, { range });
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */256');
    expect(res.json().error.code).toBe('REQUEST_INVALID');
  });

  it.each(['bytes=0-1,5-6', 'items=0-5', 'bytes=9-3', 'bytes=abc'])('%s (not one byte range) is the whole file', async (range) => {
    const res = await get(deb, { range });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload).toEqual(DEB);
  });

  it('If-Range with the current ETag or date applies the range; a stale one gets the whole (new) file', async () => {
    const url = '/repos/ports/main/dists/bookworm/InRelease';
    const first = await get(url);
    const etag = String(first.headers.etag);
    expect((await get(url, { range: 'bytes=0-8', 'if-range': etag })).statusCode).toBe(206);
    expect((await get(url, { range: 'bytes=0-8', 'if-range': MTIME.toUTCString() })).statusCode).toBe(206);
    switchCurrent(layout.repo('ports', 'main'), '2');
    const resumed = await get(url, { range: 'bytes=10-', 'if-range': etag });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.body).toBe('InRelease of snapshot 2\n');
  });

  it('If-None-Match and If-Modified-Since answer 304', async () => {
    const url = '/repos/ports/main/dists/bookworm/Release';
    const etag = String((await get(url)).headers.etag);
    const byTag = await get(url, { 'if-none-match': etag });
    expect(byTag.statusCode).toBe(304);
    expect(byTag.body).toBe('');
    expect((await get(url, { 'if-none-match': '"other"' })).statusCode).toBe(200);
    expect((await get(url, { 'if-modified-since': MTIME.toUTCString() })).statusCode).toBe(304);
    expect((await get(url, { 'if-modified-since': new Date(MTIME.getTime() - 1000).toUTCString() })).statusCode).toBe(200);
    // Another snapshot's file is another ETag.
    switchCurrent(layout.repo('ports', 'main'), '2');
    expect((await get(url, { 'if-none-match': etag })).statusCode).toBe(200);
  });
});

describe('HEAD /repos/:tree/:branch/*', () => {
  it('answers the headers of GET without a body', async () => {
    const url = '/repos/ports/main/pool/main/h/hello/hello_1.0_all.deb';
    const res = await head(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('256');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers.etag).toBe((await get(url)).headers.etag);
    expect(res.rawPayload.length).toBe(0);
  });

  it('with a Range answers 206 headers', async () => {
    const res = await head('/repos/ports/main/pool/main/h/hello/hello_1.0_all.deb', { range: 'bytes=10-19' });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe('bytes 10-19/256');
    expect(res.headers['content-length']).toBe('10');
    expect(res.rawPayload.length).toBe(0);
  });

  it('of a missing file or unknown tree is 404', async () => {
    expect((await head('/repos/ports/main/nope')).statusCode).toBe(404);
    expect((await head('/repos/nope/main/nope')).statusCode).toBe(404);
  });
});

describe('directories', () => {
  it('the repository root and its folders are HTML listings', async () => {
    const root = await get('/repos/ports/main/');
    expect(root.statusCode).toBe(200);
    expect(root.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(root.body).toContain('<a href="./dists/">dists/</a>');
    expect(root.body).toContain('<a href="./pool/">pool/</a>');
    const hello = await get('/repos/ports/main/pool/main/h/hello/');
    expect(hello.body).toContain('<a href="./hello_1.0%2Bb1~x_all.deb">hello_1.0+b1~x_all.deb</a>');
    expect(hello.body).toContain('<a href="./../">../</a>');
    expect((await head('/repos/ports/main/')).rawPayload.length).toBe(0);
  });

  it('without a trailing slash redirect to it', async () => {
    const dir = await get('/repos/ports/main/dists');
    expect(dir.statusCode).toBe(301);
    expect(dir.headers.location).toBe('/repos/ports/main/dists/');
    const root = await get('/repos/ports/release%2F1.x');
    expect(root.statusCode).toBe(301);
    expect(root.headers.location).toBe('/repos/ports/release%2F1.x/');
    expect((await get('/repos/nope/main')).statusCode).toBe(404);
  });
});

describe('route helpers', () => {
  it('repoPathSegments splits plain paths and refuses the rest', () => {
    expect(repoPathSegments('')).toEqual([]);
    expect(repoPathSegments('dists/bookworm/')).toEqual(['dists', 'bookworm']);
    expect(repoPathSegments('pool//main')).toEqual(['pool', 'main']);
    for (const bad of ['..', 'a/../b', '/etc', 'a\0b', 'a\\b', '%2e%2e', 'a%2fb', '.', 'a/./b', 'a\nb']) {
      expect(() => repoPathSegments(bad), bad).toThrow(/plain relative path/);
    }
  });

  it('parseByteRange', () => {
    expect(parseByteRange(undefined, 10)).toEqual({ kind: 'none' });
    expect(parseByteRange('bytes=0-0', 10)).toEqual({ kind: 'range', start: 0, end: 0 });
    expect(parseByteRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseByteRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseByteRange('bytes=99999999999999999999-', 10)).toEqual({ kind: 'none' });
  });

  it('content types and cache rules', () => {
    expect(repoContentType('Contents-amd64')).toBe('text/plain; charset=utf-8');
    expect(repoContentType('Contents-amd64.gz')).toBe('application/gzip');
    expect(repoContentType('Release.minisig')).toBe('text/plain; charset=utf-8');
    expect(repoContentType('whatever.bin')).toBe('application/octet-stream');
    expect(repoCacheControl(['dists', 'bookworm', 'InRelease'])).toBe('no-cache');
    expect(repoCacheControl(['Release.minisig'])).toBe('no-cache');
    expect(repoCacheControl(['pool', 'main', 'h', 'hello', 'hello_1.0_all.deb'])).toBe('no-cache');
  });
});
