import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app';
import { publishedCheck } from '../../../api/data/published-commit';
import { DeliveryRecord } from '../../../api/intake/delivery-record';
import { DataLayout } from '../../../domain/data-layout';
import { PROJECT_ROOT } from '../../../domain/project-paths';
import { routeTestApp, routeTestConfig, WEBHOOK_SECRET } from '../../helpers/app';
import { PortsRepo } from '../../helpers/ports-repo';

// Webhook intake's defences: bodies refused before they are read, replays of a delivery answered "duplicate", and
// a replayed old push never republishing an older commit.

const fixture = (name: string) => fs.readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/webhooks', name));
const hmac = (body: Buffer, secret = WEBHOOK_SECRET) => crypto.createHmac('sha256', secret).update(body).digest('hex');
const ZERO = '0'.repeat(40);

function githubPush(after: string, before = ZERO.replace(/0$/, '1')): Buffer {
  const payload = JSON.parse(fixture('github-push.json').toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...payload, after, before }));
}

function github(body: Buffer, delivery?: string, secret = WEBHOOK_SECRET): Record<string, string> {
  return {
    'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body, secret)}`,
    ...(delivery === undefined ? {} : { 'x-github-delivery': delivery }),
  };
}

const temps: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-intake-'));
  temps.push(dir);
  return dir;
}
afterEach(() => { for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }); });

/** Sends the request head and then one body byte every 100 ms; resolves with the answer and how many bytes went out. */
function dripRequest(port: number, urlPath: string, declaredLength: number): Promise<{ response: string; bodyBytesSent: number; closed: boolean; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const give = (closed: boolean) => {
      clearInterval(timer);
      socket.destroy();
      resolve({ response, bodyBytesSent: sent, closed, ms: Date.now() - started });
    };
    socket.once('connect', () => {
      socket.write([
        `POST ${urlPath} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', 'X-GitHub-Event: push',
        `X-Hub-Signature-256: sha256=${'0'.repeat(64)}`, `Content-Length: ${declaredLength}`, '', '',
      ].join('\r\n'));
      timer = setInterval(() => { if (!socket.destroyed && socket.writable) { socket.write('{'); sent++; } }, 100);
    });
    socket.on('data', (chunk) => { response += chunk.toString('latin1'); });
    socket.once('end', () => give(true));
    socket.once('error', (err) => (response ? give(true) : reject(err)));
    setTimeout(() => give(false), 10_000).unref();
  });
}

describe('webhook bodies are refused before they are read', () => {
  it.each([
    ['an unknown tree', '/webhooks/nope', 1000, 404, 'TREE_UNKNOWN'],
    ['a tree that takes no webhooks', '/webhooks/nohook', 1000, 401, 'WEBHOOK_SIGNATURE_INVALID'],
    ['a declared length over the limit', '/webhooks/ports', 1024 * 1024 * 1024, 413, 'WEBHOOK_BODY_TOO_LARGE'],
  ])('%s is answered at once over a raw socket while the body still drips', async (_what, urlPath, length, status, code) => {
    const { app } = routeTestApp();
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as net.AddressInfo;
      const { response, bodyBytesSent, closed, ms } = await dripRequest(port, urlPath, length);
      expect(response).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(response).toContain(code);
      // The answer came long before the declared body (1 byte per 100 ms: 100 s for the smaller one, with slack for a
      // loaded machine), and the server hung up rather than drain.
      expect(bodyBytesSent).toBeLessThan(50);
      expect(ms).toBeLessThan(5_000);
      expect(closed).toBe(true);
    } finally {
      await app.close();
    }
  }, 15_000);
});

describe('webhook delivery IDs', () => {
  const commit = 'a'.repeat(40);

  it('a replayed delivery is answered "duplicate" and starts nothing, even after a restart of the API', async () => {
    const dir = tempDir();
    const first = routeTestApp(undefined, { deliveries: new DeliveryRecord(new DataLayout(dir)) });
    const body = githubPush(commit);
    const r1 = await first.app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, 'd-1'), payload: body });
    expect(r1.statusCode).toBe(202);
    const r2 = await first.app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, 'd-1'), payload: body });
    expect(r2.statusCode).toBe(200);
    expect(r2.json()).toMatchObject({ status: 'duplicate', deliveryId: 'd-1' });
    expect(first.started).toHaveLength(1);

    const restarted = routeTestApp(undefined, { deliveries: new DeliveryRecord(new DataLayout(dir)) });
    const r3 = await restarted.app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, 'd-1'), payload: body });
    expect(r3.json().status).toBe('duplicate');
    expect(restarted.started).toEqual([]);
  });

  it('two identical deliveries at once start one push', async () => {
    const { app, started } = routeTestApp(undefined, { deliveries: new DeliveryRecord(new DataLayout(tempDir())) });
    const body = githubPush(commit);
    const answers = await Promise.all([1, 2, 3].map(() =>
      app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, 'same'), payload: body })));
    expect(answers.map((a) => a.json().status).sort()).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(started).toHaveLength(1);
  });

  it('an ID is recorded only once its signature verified, and not when the intake failed', async () => {
    const dir = tempDir();
    const body = githubPush(commit);
    const { app, started } = routeTestApp(undefined, { deliveries: new DeliveryRecord(new DataLayout(dir)) });
    const forged = await app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, 'victim', 'wrong'), payload: body });
    expect(forged.statusCode).toBe(401);
    const real = await app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, 'victim'), payload: body });
    expect(real.statusCode).toBe(202);
    expect(started).toHaveLength(1);

    // An intake that fails once (Temporal down): the forge's redelivery of the same ID must still start the push.
    let fail = true;
    const failing = buildApp({
      config: routeTestConfig(), health: { temporal: async () => undefined, docker: async () => undefined },
      intake: async (push) => {
        if (fail) { fail = false; throw new Error('Temporal is down'); }
        return { workflowId: `push/${push.tree}/${push.branch}/${push.commit}` };
      },
      webhooks: { deliveries: new DeliveryRecord(new DataLayout(dir)) },
    });
    const down = await failing.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, 'retry-me'), payload: body });
    expect(down.statusCode).toBe(500);
    const again = await failing.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, 'retry-me'), payload: body });
    expect(again.statusCode).toBe(202);
  });

  it('an unreadable record does not stop webhooks: the push goes ahead', async () => {
    const layout = new DataLayout(tempDir());
    fs.mkdirSync(layout.webhookDeliveries('ports'), { recursive: true }); // a folder where the file should be: EISDIR
    const { app, started } = routeTestApp(undefined, { deliveries: new DeliveryRecord(layout) });
    const body = githubPush(commit);
    const res = await app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, 'd-x'), payload: body });
    expect(res.statusCode).toBe(202);
    expect(started).toHaveLength(1);
  });

  it('keeps at most N IDs per tree, least recently seen dropped first, and compacts its file', async () => {
    const dir = tempDir();
    const layout = new DataLayout(dir);
    const record = new DeliveryRecord(layout, 3);
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
      const claim = await record.claim('ports', id);
      if (claim.duplicate) throw new Error(`${id} is new`);
      await claim.done();
    }
    expect((await record.claim('ports', 'g')).duplicate).toBe(true);
    expect((await record.claim('ports', 'd')).duplicate).toBe(false);
    // 7 IDs with room for 3: the file was compacted once it passed 6 lines.
    const lines = fs.readFileSync(layout.webhookDeliveries('ports'), 'utf8').split('\n').filter(Boolean);
    expect(lines.length).toBeLessThanOrEqual(6);
    // A torn last line (a crash mid-append) is skipped; the complete ones are still known after a restart.
    fs.appendFileSync(layout.webhookDeliveries('ports'), 'half-writ');
    const reloaded = new DeliveryRecord(layout, 3);
    expect((await reloaded.claim('ports', 'f')).duplicate).toBe(true);
    expect((await reloaded.claim('ports', 'half-writ')).duplicate).toBe(false);
    expect((await reloaded.claim('other', 'f')).duplicate).toBe(false);
  });
});

describe('a webhook never goes back behind the published commit', () => {
  it('an older or the published commit is ignored, a newer one starts', async () => {
    const repo = new PortsRepo({ fromExamples: false });
    const dir = tempDir();
    try {
      repo.write('README', 'one\n');
      const c1 = repo.commit('one');
      repo.write('README', 'two\n');
      const c2 = repo.commit('two');
      repo.write('README', 'three\n');
      const c3 = repo.commit('three');
      const layout = new DataLayout(dir);
      execFileSync('git', ['clone', '--quiet', '--mirror', repo.dir, layout.gitMirror('ports')]);
      fs.mkdirSync(path.join(layout.repo('ports', 'main'), 'current'), { recursive: true });
      fs.writeFileSync(path.join(layout.repo('ports', 'main'), 'current', 'kiln-manifest.json'), JSON.stringify({ commit: c2 }));

      const { app, started } = routeTestApp(undefined, {
        deliveries: new DeliveryRecord(layout), published: publishedCheck(layout),
      });
      // Each a validly signed push under a fresh delivery ID: what a replay by someone holding an old request sends.
      const send = (after: string, id: string) => {
        const body = githubPush(after);
        return app.inject({ method: 'POST', url: '/webhooks/ports', headers: github(body, id), payload: body });
      };
      const older = await send(c1, 'r-1');
      expect(older.statusCode).toBe(200);
      expect(older.json()).toMatchObject({ status: 'ignored' });
      expect(older.json().reason).toMatch(/older than the published/);
      const same = await send(c2, 'r-2');
      expect(same.json()).toMatchObject({ status: 'ignored' });
      expect(started).toEqual([]);

      const newer = await send(c3, 'r-3');
      expect(newer.statusCode).toBe(202);
      // A commit the mirror has not fetched yet is new: it starts too.
      const unseen = await send('b'.repeat(40), 'r-4');
      expect(unseen.statusCode).toBe(202);
      expect(started.map((s) => s.push.commit)).toEqual([c3, 'b'.repeat(40)]);
    } finally {
      repo.cleanup();
    }
  });
});
