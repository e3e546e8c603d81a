import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DELIVERY_HEADER, PublishTargetError, SIGNATURE_HEADER, triggerTarget, type TriggerPayload, type TriggerTarget,
} from '../../../../activities/publish/targets';
import { Secret } from '../../../../domain/secret';

// A real HTTP server on a free local port; each test says how it answers.

interface Received {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let server: http.Server;
let base: string;
let received: Received[];
let answer: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

beforeEach(async () => {
  received = [];
  answer = (_req, res) => { res.writeHead(204).end(); };
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      answer(req, res, received.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const payload: TriggerPayload = {
  tree: 'ports', branch: 'release/1.x', suite: 'stable', snapshot: 42, commit: 'a'.repeat(40), publishedAt: '2024-05-01T12:00:00.000Z',
};
const SECRET = 'trigger-secret-value';
const target = (url: string, secret?: string): TriggerTarget => ({
  kind: 'trigger', url, branches: ['release/1.x'], ...(secret ? { secret: new Secret(secret) } : {}),
});

async function failure(promise: Promise<unknown>): Promise<PublishTargetError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PublishTargetError);
  return err as PublishTargetError;
}

describe('triggerTarget', () => {
  it('POSTs the payload as JSON with an HMAC-SHA256 signature the receiver can verify', async () => {
    expect(await triggerTarget(target(`${base}/hook`, SECRET), payload)).toEqual({ status: 204 });

    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hook');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe('kiln');
    expect(req.headers[DELIVERY_HEADER.toLowerCase()]).toBe('ports/release/1.x/42');
    expect(JSON.parse(req.body.toString('utf8'))).toEqual(payload);
    // What a receiver does: HMAC of the raw body bytes, compared in constant time.
    const expected = Buffer.from(`sha256=${crypto.createHmac('sha256', SECRET).update(req.body).digest('hex')}`);
    const got = Buffer.from(String(req.headers[SIGNATURE_HEADER.toLowerCase()]));
    expect(got.length === expected.length && crypto.timingSafeEqual(got, expected)).toBe(true);
    // A wrong secret does not verify.
    expect(got.toString()).not.toBe(`sha256=${crypto.createHmac('sha256', 'other').update(req.body).digest('hex')}`);
  });

  it('sends exactly the payload fields, and no signature without a secret', async () => {
    await triggerTarget(target(`${base}/hook`), { ...payload, extra: 'x' } as TriggerPayload);
    expect(Object.keys(JSON.parse(received[0].body.toString('utf8')))).toEqual(['tree', 'branch', 'suite', 'snapshot', 'commit', 'publishedAt']);
    expect(received[0].headers).not.toHaveProperty(SIGNATURE_HEADER.toLowerCase());
  });

  it('any 2xx is success', async () => {
    answer = (_req, res) => { res.writeHead(202).end('queued'); };
    expect(await triggerTarget(target(`${base}/hook`), payload)).toEqual({ status: 202 });
  });

  it('a 500 is retryable and says what the server said; the retry then succeeds', async () => {
    answer = (_req, res, n) => {
      if (n === 1) res.writeHead(500, { 'Content-Type': 'text/plain' }).end('database\nis down');
      else res.writeHead(200).end('ok');
    };
    const err = await failure(triggerTarget(target(`${base}/hook`, SECRET), payload));
    expect(err.code).toBe('PUBLISH_TARGET_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.details).toMatchObject({ reason: 'remote', status: 500, output: 'database is down', retryable: true });
    expect(err.message).toBe(`trigger ${base}/hook answered 500 Internal Server Error: database is down`);

    expect(await triggerTarget(target(`${base}/hook`, SECRET), payload)).toEqual({ status: 200 });
    // Both attempts carry the same delivery id and signature.
    expect(received.map((r) => r.headers[DELIVERY_HEADER.toLowerCase()])).toEqual(['ports/release/1.x/42', 'ports/release/1.x/42']);
    expect(received[0].headers[SIGNATURE_HEADER.toLowerCase()]).toBe(received[1].headers[SIGNATURE_HEADER.toLowerCase()]);
  });

  it('a 404 is not retryable; a long body is cut short', async () => {
    answer = (_req, res) => { res.writeHead(404).end(`no such hook ${'x'.repeat(100_000)}`); };
    const err = await failure(triggerTarget(target(`${base}/nope`), payload));
    expect(err.retryable).toBe(false);
    expect(err.details).toMatchObject({ reason: 'destination', status: 404 });
    expect(err.message).toMatch(/answered 404 Not Found: no such hook x+…$/);
    expect(err.details.output?.length).toBeLessThanOrEqual(301);
  });

  it.each([[408, true], [429, true], [401, false], [503, true]])('status %i: retryable %s', async (status, retryable) => {
    answer = (_req, res) => { res.writeHead(status).end(); };
    expect((await failure(triggerTarget(target(`${base}/hook`), payload))).retryable).toBe(retryable);
  });

  it('does not follow a redirect (a POST would turn into a GET): not retryable, names where it points', async () => {
    answer = (req, res) => {
      if (req.url === '/old') res.writeHead(301, { Location: '/new?token=abc' }).end();
      else res.writeHead(204).end();
    };
    const err = await failure(triggerTarget(target(`${base}/old`), payload));
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(`trigger ${base}/old answered 301, a redirect to ${base}/new; configure the final URL`);
    expect(received.map((r) => r.url)).toEqual(['/old']);
  });

  it('no answer within the timeout is a retryable PUBLISH_TARGET_TIMEOUT', async () => {
    answer = () => { /* never answers */ };
    const started = Date.now();
    const err = await failure(triggerTarget(target(`${base}/slow`), payload, undefined, 300));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err.code).toBe('PUBLISH_TARGET_TIMEOUT');
    expect(err.details).toMatchObject({ reason: 'timeout', retryable: true });
  });

  it('a refused connection is retryable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(triggerTarget(target(`http://127.0.0.1:${port}/hook`), payload));
    expect(err.details).toMatchObject({ reason: 'network', retryable: true });
    expect(err.message).toMatch(/cannot reach it \(ECONNREFUSED\)/);
  });

  it('cancellation throws the signal\'s reason, not a target failure', async () => {
    answer = () => { /* never answers */ };
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 100);
    await expect(triggerTarget(target(`${base}/slow`), payload, controller.signal)).rejects.toBe(reason);
  });

  it('keeps the query string (it may hold a token) out of errors', async () => {
    answer = (_req, res) => { res.writeHead(403).end('bad token'); };
    const err = await failure(triggerTarget(target(`${base}/hook?token=s3cr3t`), payload));
    expect(received[0].url).toBe('/hook?token=s3cr3t');
    expect(err.message).not.toContain('s3cr3t');
    expect(JSON.stringify(err.details)).not.toContain('s3cr3t');
  });
});
