import * as http from 'node:http';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorProxy } from '../../../activities/builder/mirror-proxy';

// The dependency phase's only way out, against a real local "mirror": what it serves, what it refuses, and that no
// request a build can send takes the build worker down.

let mirror: http.Server;
let mirrorUrl: string;
let proxy: MirrorProxy;
let httpsMirrorHost = '';
const refusals: string[] = [];

/** One request through the proxy, in the absolute form a proxy client sends. */
function viaProxy(method: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxy.port, method, path: url, headers: { host: new URL(url).host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  mirror = http.createServer((req, res) => res.end(`mirror served ${req.url}`));
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', () => resolve()));
  mirrorUrl = `http://127.0.0.1:${(mirror.address() as net.AddressInfo).port}/debian`;
  // An https mirror on a port where nothing listens: its requests must end as answers, never as the worker's crash.
  const closed = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
  httpsMirrorHost = `127.0.0.1:${closed}`;
  proxy = await MirrorProxy.start('127.0.0.1', [mirrorUrl, `https://${httpsMirrorHost}/debian-security`], (line) => refusals.push(line));
});

afterAll(async () => {
  await proxy.close();
  await new Promise<void>((resolve) => mirror.close(() => resolve()));
});

describe('mirror proxy', () => {
  it('serves GET and HEAD below the configured mirror', async () => {
    const got = await viaProxy('GET', `${mirrorUrl}/dists/bookworm/InRelease`);
    expect(got).toEqual({ status: 200, body: 'mirror served /debian/dists/bookworm/InRelease' });
    expect((await viaProxy('HEAD', `${mirrorUrl}/pool/x.deb`)).status).toBe(200);
  });

  it('refuses other paths, hosts, methods and dot-dot escapes, and logs why', async () => {
    const base = new URL(mirrorUrl);
    for (const [method, url] of [
      ['GET', `http://${base.host}/elsewhere`],
      ['GET', `${mirrorUrl}/../secret`],
      ['GET', `${mirrorUrl}/%2e%2e/secret`],
      ['GET', 'http://example.invalid/debian/x'],
      ['POST', `${mirrorUrl}/x`],
    ]) {
      const answer = await viaProxy(method, url);
      expect(answer.status, `${method} ${url}`).toBe(403);
      expect(answer.body).toContain('only the configured Debian mirror');
    }
    expect(refusals.filter((l) => l.startsWith('refused')).length).toBeGreaterThanOrEqual(5);
  });

  it('answers an absolute-form https request with an error instead of crashing the worker', async () => {
    const before = refusals.length;
    const answer = await viaProxy('GET', `https://${httpsMirrorHost}/debian-security/dists/bookworm-security/InRelease`);
    expect(answer.status).toBe(502);
    expect(refusals.length).toBeGreaterThan(before);
    expect((await viaProxy('GET', `https://${httpsMirrorHost}/elsewhere`)).status).toBe(403);
    expect((await viaProxy('GET', `${mirrorUrl}/still-serving`)).status).toBe(200);
  });
});
