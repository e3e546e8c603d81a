import * as fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToken, tokenFile } from '../../../api/auth/token-file';
import { builderImageTag } from '../../../domain/builder-image';
import { restFixture, type RestFixture } from './rest-fixture';

// What a build worker sends besides blobs: its builds' logs, appended at offsets (idempotent, a stale writer refused),
// and the question what its arch builds with. Worker tokens only.

const COMMIT = 'a'.repeat(40);
const LOG = `/api/worker/logs/ports/release%2F1.x/${COMMIT}/hello/amd64`;

let f: RestFixture;
let worker: { authorization: string };
let operator: { authorization: string };
beforeEach(async () => {
  f = await restFixture();
  worker = { authorization: `Bearer ${(await createToken(tokenFile(f.dataDir), 'builder-1', new Date(), 'worker')).token}` };
  operator = { authorization: `Bearer ${(await createToken(tokenFile(f.dataDir), 'ops')).token}` };
});
afterEach(async () => {
  await f.app.close();
  fs.rmSync(f.dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

const append = (offset: number, text: string, headers = worker, url = LOG) =>
  f.app.inject({ method: 'POST', url: `${url}?offset=${offset}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from(text) });
const logFile = () => f.layout.buildLog({ tree: 'ports', branch: 'release/1.x', commit: COMMIT }, 'hello', 'amd64');

describe('POST /api/worker/logs/...', () => {
  it('appends at the log\'s end; a resent chunk is not appended twice; the size says where the next one goes', async () => {
    expect((await f.app.inject({ method: 'GET', url: LOG, headers: worker })).json()).toEqual({ size: 0 });
    expect((await append(0, 'line one\n')).json()).toEqual({ size: 9 });
    expect((await append(0, 'line one\n')).json()).toEqual({ size: 9 }); // the answer was lost: sent again
    expect((await append(9, 'line two\n')).json()).toEqual({ size: 18 });
    expect(fs.readFileSync(logFile(), 'utf8')).toBe('line one\nline two\n');
    expect((await f.app.inject({ method: 'GET', url: LOG, headers: worker })).json()).toEqual({ size: 18 });
  });

  it('refuses an offset that does not continue the log, or other bytes where it has some (a stale worker)', async () => {
    await append(0, 'mine\n');
    const gap = await append(50, 'later\n');
    expect(gap.statusCode).toBe(409);
    expect(gap.json().error.code).toBe('LOG_OFFSET_CONFLICT');
    const other = await append(0, 'nope\n');
    expect(other.statusCode).toBe(409);
    expect(fs.readFileSync(logFile(), 'utf8')).toBe('mine\n');
  });

  it('takes worker tokens only, and names only configured trees, branches and arches', async () => {
    expect((await append(0, 'x', operator)).json().error.code).toBe('TOKEN_FORBIDDEN');
    expect((await append(0, 'x', { authorization: 'Bearer nope' })).statusCode).toBe(401);
    expect((await append(0, 'x', worker, `/api/worker/logs/ports/main/${COMMIT}/hello/arm64`)).json().error.code).toBe('REQUEST_INVALID');
    expect((await append(0, 'x', worker, `/api/worker/logs/ports/nobranch/${COMMIT}/hello/amd64`)).json().error.code).toBe('BRANCH_UNKNOWN');
    expect((await append(0, 'x', worker, `/api/worker/logs/ports/main/${COMMIT}/..%2F..%2Fetc/amd64`)).statusCode).toBe(400);
    expect((await append(0, 'x', worker, `/api/worker/logs/ports/main/not-a-commit/hello/amd64`)).statusCode).toBe(400);
    expect(fs.existsSync(logFile())).toBe(false);
  });
});

describe('GET /api/worker/setup', () => {
  it('tells a worker its arch\'s builder images and concurrency', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/api/worker/setup?arch=i386', headers: worker });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ images: [builderImageTag('bookworm', 'i386', undefined, 'deb')], concurrency: expect.any(Number) });
    const unknown = await f.app.inject({ method: 'GET', url: '/api/worker/setup?arch=sparc64', headers: worker });
    expect(unknown.json().error.code).toBe('REQUEST_INVALID');
    expect((await f.app.inject({ method: 'GET', url: '/api/worker/setup?arch=i386', headers: operator })).statusCode).toBe(403);
  });
});
