import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToken, tokenFile } from '../../../api/auth/token-file';
import { restFixture, type RestFixture } from './rest-fixture';

// The build workers' blob exchange: worker tokens only, digests checked while the bytes stream to the store, nothing
// kept of a refused or broken upload, nothing served but the store's blobs.

const sha = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

let f: RestFixture;
let worker: { authorization: string };
beforeEach(async () => {
  f = await restFixture({ blobMaxMb: 1 });
  const { token } = await createToken(tokenFile(f.dataDir), 'builder-1', new Date(), 'worker');
  worker = { authorization: `Bearer ${token}` };
});
afterEach(async () => {
  await f.app.close();
  fs.rmSync(f.dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

const storeFiles = () => (fs.existsSync(f.layout.store) ? fs.readdirSync(f.layout.store).sort() : []);
const put = (digest: string, body: Buffer | string, headers: Record<string, string> = worker) =>
  f.app.inject({ method: 'PUT', url: `/api/blobs/sha256/${digest}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: body });

describe('PUT /api/blobs/sha256/<digest>', () => {
  it('stores a blob under its digest, once: a second upload changes nothing', async () => {
    const data = Buffer.from('a built package\n');
    const first = await put(sha(data), data);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toEqual({ digest: sha(data), size: data.length, created: true });
    expect(fs.readFileSync(f.layout.store + `/${sha(data)}`)).toEqual(data);
    expect(fs.statSync(f.layout.store + `/${sha(data)}`).mode & 0o777).toBe(0o444);
    const again = await put(sha(data), data);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false });
    expect(storeFiles()).toEqual([sha(data)]);
  });

  it('refuses bytes whose digest is not the one named, and keeps nothing of them', async () => {
    const res = await put(sha('something else'), 'what was sent');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BLOB_DIGEST_MISMATCH');
    expect(res.json().error.message).toContain(sha('what was sent'));
    expect(storeFiles()).toEqual([]);
  });

  it('refuses a blob over api.blobMaxMb from its Content-Length, and one that streams past it', async () => {
    const big = Buffer.alloc(1048576 + 1, 7);
    const declared = await put(sha(big), big);
    expect(declared.statusCode).toBe(413);
    expect(declared.json().error.code).toBe('BLOB_TOO_LARGE');

    // Chunked, no Content-Length: cut off once it passes the cap.
    const address = await f.app.listen({ port: 0, host: '127.0.0.1' });
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${address}/api/blobs/sha256/${sha(big)}`, {
        method: 'PUT', headers: { ...worker, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      for (let i = 0; i < 17; i++) req.write(big.subarray(i * 65536, (i + 1) * 65536));
      req.end();
    });
    expect(status).toBe(413);
    expect(storeFiles()).toEqual([]);
  });

  it('an upload broken off midway (a killed worker) leaves nothing, not even a temp file', async () => {
    const address = (await f.app.listen({ port: 0, host: '127.0.0.1' })).replace('http://', '');
    const [host, port] = address.split(':');
    const data = Buffer.alloc(200_000, 1);
    await new Promise<void>((resolve) => {
      const req = http.request({ host, port: Number(port), path: `/api/blobs/sha256/${sha(data)}`, method: 'PUT',
        headers: { ...worker, 'content-type': 'application/octet-stream', 'content-length': String(data.length) } });
      req.on('error', () => resolve());
      req.write(data.subarray(0, 100_000), () => setTimeout(() => { req.destroy(); resolve(); }, 100));
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(storeFiles()).toEqual([]);
  });

  it('takes worker tokens only: none is 401, an operator\'s is 403', async () => {
    const data = 'x';
    expect((await put(sha(data), data, {})).statusCode).toBe(401);
    const operator = await put(sha(data), data, f.auth);
    expect(operator.statusCode).toBe(403);
    expect(operator.json().error.code).toBe('TOKEN_FORBIDDEN');
    expect(storeFiles()).toEqual([]);
  });

  it('names blobs by 64 hex digits and nothing else', async () => {
    for (const digest of ['..%2F..%2Fetc%2Fpasswd', 'ABC', sha('x').toUpperCase(), `${sha('x')}0`]) {
      expect((await put(digest, 'x')).statusCode, digest).toBe(400);
    }
  });
});

describe('GET and HEAD /api/blobs/sha256/<digest>', () => {
  it('serves a stored blob with its digest as ETag; HEAD says its size; an unknown digest is 404', async () => {
    const data = Buffer.from('log bytes');
    await put(sha(data), data);
    const got = await f.app.inject({ url: `/api/blobs/sha256/${sha(data)}`, headers: worker });
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload).toEqual(data);
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect(got.headers.etag).toBe(`"sha256:${sha(data)}"`);
    const head = await f.app.inject({ method: 'HEAD', url: `/api/blobs/sha256/${sha(data)}`, headers: worker });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(data.length));
    const unknown = await f.app.inject({ url: `/api/blobs/sha256/${sha('never')}`, headers: worker });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('BLOB_UNKNOWN');
    expect((await f.app.inject({ url: `/api/blobs/sha256/${sha(data)}`, headers: f.auth })).statusCode).toBe(403);
  });

  it('never follows a link in the store', async () => {
    fs.mkdirSync(f.layout.store, { recursive: true });
    const digest = sha('linked');
    fs.symlinkSync('/etc/hostname', `${f.layout.store}/${digest}`);
    expect((await f.app.inject({ url: `/api/blobs/sha256/${digest}`, headers: worker })).statusCode).toBe(404);
  });
});

describe('a worker token elsewhere', () => {
  it('cannot act as an operator, nor sign into the web UI', async () => {
    const retry = await f.app.inject({ method: 'POST', url: '/api/pushes/ports/main/' + 'a'.repeat(40) + '/retry', headers: worker, payload: {} });
    expect(retry.statusCode).toBe(403);
    expect(retry.json().error.code).toBe('TOKEN_FORBIDDEN');
    const signIn = (token: string) => f.app.inject({
      method: 'POST', url: '/login', payload: `token=${encodeURIComponent(token)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://kiln.example.com', 'sec-fetch-site': 'same-origin' },
    });
    // The operator's token signs in (so the request is right); the worker's does not.
    expect((await signIn(f.token)).statusCode).toBe(303);
    const refused = await signIn(worker.authorization.slice('Bearer '.length));
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['set-cookie']).toBeUndefined();
  });
});
