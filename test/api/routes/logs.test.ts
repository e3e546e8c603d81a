import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMITS, pushStatus, restFixture, seg, writeLog, writeRecord, type RestFixture } from './rest-fixture';

// GET /api/logs/<tree>/<branch>/<commit>/<source>/<arch>: whole, Range, tail; traversal refused. Following (SSE) is
// in logs-follow.test.ts.

let f: RestFixture;
const push = { tree: 'ports', branch: 'release/1.x', commit: COMMITS.a };
const LOG = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
const url = (source = 'hello', arch = 'amd64', branch = push.branch, commit = push.commit, query = '') =>
  `/api/logs/ports/${seg(branch)}/${commit}/${source}/${arch}${query}`;

beforeAll(async () => {
  f = await restFixture();
  writeRecord(f.layout, pushStatus(push));
  writeLog(f.layout, push, 'hello', 'amd64', LOG);
  writeLog(f.layout, push, 'hello', 'i386', '');
  writeLog(f.layout, push, 'nonl', 'amd64', 'one\ntwo\nthree');
  // Something a traversal would like to reach.
  fs.writeFileSync(`${f.dataDir}/api-tokens.json.bak`, 'secret');
});

describe('GET /api/logs/...', () => {
  it('sends the whole log as text', async () => {
    const res = await f.app.inject({ method: 'GET', url: url() });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(LOG);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(LOG.length));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('sends an empty log', async () => {
    const res = await f.app.inject({ method: 'GET', url: url('hello', 'i386') });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });

  it('answers HEAD with the size only', async () => {
    const res = await f.app.inject({ method: 'HEAD', url: url() });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers['content-length']).toBe(String(LOG.length));
  });

  it.each([
    ['bytes=0-6', 'line 1\n', `bytes 0-6/${LOG.length}`],
    ['bytes=7-', LOG.slice(7), `bytes 7-${LOG.length - 1}/${LOG.length}`],
    ['bytes=-8', LOG.slice(-8), `bytes ${LOG.length - 8}-${LOG.length - 1}/${LOG.length}`],
  ])('serves Range %s as 206', async (range, body, contentRange) => {
    const res = await f.app.inject({ method: 'GET', url: url(), headers: { range } });
    expect(res.statusCode).toBe(206);
    expect(res.body).toBe(body);
    expect(res.headers['content-range']).toBe(contentRange);
  });

  it('answers a range past the end with 416', async () => {
    const res = await f.app.inject({ method: 'GET', url: url(), headers: { range: `bytes=${LOG.length}-` } });
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${LOG.length}`);
    expect(res.json().error.code).toBe('REQUEST_INVALID');
  });

  it.each([
    [3, 'line 8\nline 9\nline 10\n'],
    [1, 'line 10\n'],
    [10, LOG],
    [500, LOG],
  ])('sends the last lines with ?tail=%i', async (n, expected) => {
    const res = await f.app.inject({ method: 'GET', url: url('hello', 'amd64', push.branch, push.commit, `?tail=${n}`) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(expected);
  });

  it('counts a last line without a newline in ?tail', async () => {
    const res = await f.app.inject({ method: 'GET', url: url('nonl', 'amd64', push.branch, push.commit, '?tail=2') });
    expect(res.body).toBe('two\nthree');
  });

  it.each([
    ['a build that has no log', url('missing'), 404, 'LOG_UNKNOWN'],
    ['an arch the tree does not build', url('hello', 'arm64'), 404, 'LOG_UNKNOWN'],
    ['an unknown commit', url('hello', 'amd64', push.branch, COMMITS.b), 404, 'LOG_UNKNOWN'],
    ['an unknown tree', `/api/logs/nope/main/${COMMITS.a}/hello/amd64`, 404, 'TREE_UNKNOWN'],
    ['an unknown branch', url('hello', 'amd64', 'stray'), 404, 'BRANCH_UNKNOWN'],
    ['a malformed commit', url('hello', 'amd64', push.branch, 'HEAD'), 400, 'REQUEST_INVALID'],
    ['?tail=0', url('hello', 'amd64', push.branch, push.commit, '?tail=0'), 400, 'REQUEST_INVALID'],
    ['?tail=x', url('hello', 'amd64', push.branch, push.commit, '?tail=x'), 400, 'REQUEST_INVALID'],
    ['an unknown query parameter', url('hello', 'amd64', push.branch, push.commit, '?file=/etc/passwd'), 400, 'REQUEST_INVALID'],
  ])('answers %s with %i %s', async (_what, target, status, code) => {
    const res = await f.app.inject({ method: 'GET', url: target });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
  });

  it.each([
    ['.. as the source', `/api/logs/ports/main/${COMMITS.a}/../amd64`],
    ['an encoded .. as the source', `/api/logs/ports/main/${COMMITS.a}/%2e%2e/amd64`],
    ['an encoded path as the source', `/api/logs/ports/main/${COMMITS.a}/..%2F..%2F..%2Fapi-tokens.json.bak/amd64`],
    ['an encoded path as the arch', `/api/logs/ports/main/${COMMITS.a}/hello/..%2F..%2F..%2F..%2F..%2Fapi-tokens.json.bak`],
    ['a double-encoded path', `/api/logs/ports/main/${COMMITS.a}/%252e%252e%252f/amd64`],
    ['a NUL', `/api/logs/ports/main/${COMMITS.a}/hello%00/amd64`],
    ['a backslash', `/api/logs/ports/main/${COMMITS.a}/..%5C..%5C/amd64`],
    ['an encoded path as the branch', `/api/logs/ports/..%2F..%2F..%2F/${COMMITS.a}/hello/amd64`],
    ['an encoded path as the tree', `/api/logs/..%2F..%2F/main/${COMMITS.a}/hello/amd64`],
  ])('refuses %s without reading anything', async (_what, target) => {
    const res = await f.app.inject({ method: 'GET', url: target });
    expect([400, 404]).toContain(res.statusCode);
    expect(['REQUEST_INVALID', 'NOT_FOUND', 'BRANCH_UNKNOWN', 'TREE_UNKNOWN']).toContain(res.json().error.code);
    expect(res.body).not.toContain('secret');
  });

  it('needs a token when reads do', async () => {
    const locked = await restFixture({ readsRequireToken: true });
    writeLog(locked.layout, push, 'hello', 'amd64', LOG);
    expect((await locked.app.inject({ method: 'GET', url: url() })).json().error.code).toBe('TOKEN_MISSING');
    expect((await locked.app.inject({ method: 'GET', url: url(), headers: locked.auth })).body).toBe(LOG);
  });

  it('takes the web UI\'s sign-in cookie for reads, so a signed-in browser can follow a log', async () => {
    const locked = await restFixture({ readsRequireToken: true });
    writeLog(locked.layout, push, 'hello', 'amd64', LOG);
    const cookie = (token: string) => ({ cookie: `theme=dark; kiln_session=${token}` });
    expect((await locked.app.inject({ method: 'GET', url: url(), headers: cookie(locked.token) })).body).toBe(LOG);
    const wrong = await locked.app.inject({ method: 'GET', url: url(), headers: cookie(`${locked.token.slice(0, -2)}xx`) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('TOKEN_MISSING');
    // Actions still need the header: a cookie is sent by the browser on its own, a header is not.
    const action = await locked.app.inject({ method: 'POST', url: '/api/pushes', headers: cookie(locked.token), payload: { tree: push.tree, branch: push.branch } });
    expect(action.json().error.code).toBe('TOKEN_MISSING');
  });
});

describe('reading a log over a real connection', () => {
  let server: string;

  beforeAll(async () => {
    await f.app.listen({ host: '127.0.0.1', port: 0 });
    server = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => { await f.app.close(); });

  it('streams a large log whole', async () => {
    const big = 'x'.repeat(99) + '\n';
    const file = writeLog(f.layout, { ...push, commit: COMMITS.c }, 'big', 'amd64', big.repeat(20_000));
    const body = await new Promise<string>((resolve, reject) => {
      http.get(`${server}${url('big', 'amd64', push.branch, COMMITS.c)}`, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body.length).toBe(fs.statSync(file).size);
  });
});
