import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR, Screenshots } from '../helpers/browser';
import { EmbeddedKiln } from '../helpers/embedded-kiln';
import { GiteaServer } from '../helpers/gitea';
import { freePort } from '../helpers/ports';
import { PortsRepo } from '../helpers/ports-repo';
import { sleep, until } from '../helpers/until';

// A real forge drives Kiln and shows what Kiln did. Gitea (built by setup from its Go module) runs on loopback with
// SQLite; the test creates a repository through Gitea's API, points a Gitea-signed webhook at Kiln, pushes the
// example tree with git, and Kiln (the compiled `npm start`) builds and publishes it. On the way, Kiln sets commit
// statuses that the test reads back through Gitea's API, follows in Chromium from Gitea's commit page to Kiln's push
// page, and notifies a local HTTP receiver and a local mailbox (the host's exim4). A redelivery of the same delivery
// and Gitea's "test delivery" (a new delivery of the same push) start nothing new.
//
// The webhook goes through a small recording proxy of the test's, so the test holds the exact request Gitea sent
// (delivery id, signatures, body) and can redeliver it.

const TREE = 'example';
const BRANCH = 'main';
const MAILBOX = '/var/mail/mail'; // Debian's exim4 delivers root's mail there
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-gitea-'));
const dataDir = path.join(work, 'data');
const gitea = new GiteaServer(path.join(work, 'gitea'));
const webhookSecret = crypto.randomBytes(16).toString('hex');
const notifySecret = crypto.randomBytes(16).toString('hex');
let kiln: EmbeddedKiln | undefined;
let repo: PortsRepo | undefined;
let browser: Browser | undefined;
let kilnBase = '';
let receiver: http.Server;
let receiverBase = '';
let hookId = 0;
let commit = '';
let broken = false;
const shots = new Screenshots(path.join(SCREENSHOT_DIR, 'gitea'));

interface Recorded { headers: Record<string, string>; body: Buffer; answer?: { status: number; body: string } }
const deliveries: Recorded[] = [];
const notifications: Recorded[] = [];

/** Keeps a request's headers as the forge sent them (the ones a webhook needs), to send them again. */
function keptHeaders(req: http.IncomingMessage): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && (/^x-/i.test(name) || name === 'content-type')) kept[name] = value;
  }
  return kept;
}

async function sendToKiln(headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  const answer = await fetch(`${kilnBase}/webhooks/${TREE}`, { method: 'POST', headers, body });
  return { status: answer.status, body: await answer.text() };
}

function startReceiver(): Promise<void> {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: Recorded = { headers: keptHeaders(req), body: Buffer.concat(chunks) };
      if (req.url === '/webhook') {
        deliveries.push(recorded);
        void sendToKiln(recorded.headers, recorded.body).then((answer) => {
          recorded.answer = answer;
          res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
        }, (err: Error) => { res.writeHead(502).end(err.message); });
        return;
      }
      notifications.push(recorded);
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => receiver.listen(0, '127.0.0.1', () => {
    receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    resolve();
  }));
}

async function kilnPush(c: string): Promise<{ state: string; publish?: { outcome: string; snapshot?: number } } | undefined> {
  const answer = await fetch(`${kilnBase}/api/pushes/${TREE}/${BRANCH}/${c}`);
  return answer.ok ? answer.json() as Promise<{ state: string }> : undefined;
}

async function pushCount(): Promise<number> {
  const answer = await fetch(`${kilnBase}/api/pushes?tree=${TREE}`);
  return ((await answer.json()) as { pushes: unknown[] }).pushes.length;
}

interface GiteaStatus { id: number; status: string; target_url: string; description: string; context: string }

describe.sequential('a real Gitea drives Kiln and shows its commit status', () => {
  beforeAll(async () => {
    await gitea.start();
    await startReceiver();
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    kilnBase = `http://127.0.0.1:${apiPort}`;
    await gitea.api('POST', '/user/repos', { name: 'ports', private: false, default_branch: BRANCH });
    const hook = await gitea.api<{ id: number }>('POST', `/repos/${gitea.user}/ports/hooks`, {
      type: 'gitea', active: true, events: ['push'], branch_filter: '*',
      config: { url: `${receiverBase}/webhook`, content_type: 'json', secret: webhookSecret },
    });
    hookId = hook.id;

    // Secrets in files, as an operator keeps them.
    fs.writeFileSync(path.join(work, 'webhook.secret'), `${webhookSecret}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(work, 'forge.token'), `${gitea.token}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(work, 'notify.secret'), notifySecret, { mode: 0o600 });
    const configFile = path.join(work, 'kiln.yaml');
    fs.writeFileSync(configFile, [
      `dataDir: ${dataDir}`,
      `api: { port: ${apiPort} }`,
      `temporal: { address: 127.0.0.1:${temporalPort}, uiUrl: http://127.0.0.1:${uiPort} }`,
      'mail: { from: kiln-gitea-test@localhost }',
      'trees:',
      `  - name: ${TREE}`,
      `    url: ${gitea.cloneUrl('ports')}`,
      '    format: deb',
      '    distribution: bookworm',
      `    branches: [${BRANCH}]`,
      '    architectures: [amd64]',
      '    build: { concurrency: 2, timeoutMinutes: 10, memoryMb: 1024, installTest: false }',
      '    webhook: { secretFile: webhook.secret }',
      `    forge: { kind: gitea, apiUrl: "${gitea.url}/api/v1", repository: ${gitea.user}/ports, tokenFile: forge.token }`,
      '    notify:',
      `      - { url: "${receiverBase}/notify", secretFile: notify.secret }`,
      '      - { email: [root@localhost], events: [published] }',
    ].join('\n') + '\n');
    kiln = new EmbeddedKiln(configFile);
    for (const ready of [/kiln api: listening/, /kiln orchestrator: task queue kiln/, /kiln build worker: arch amd64/, /kiln signer:/]) {
      await kiln.waitFor(ready, 180_000);
    }
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await kiln?.stop();
    await gitea.stop();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver ? receiver.close(resolve) : resolve(undefined));
    repo?.cleanup();
    if (broken) console.error(`gitea test: kept for diagnosis: ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  beforeEach(({ skip }) => {
    if (broken) skip('an earlier step failed');
  });

  afterEach(({ task }) => {
    if (task.result?.state !== 'fail') return;
    broken = true;
    console.error(`gitea test: deliveries: ${JSON.stringify(deliveries.map((d) => ({ id: d.headers['x-gitea-delivery'], answer: d.answer })))}`);
    console.error(`gitea test: Gitea's last output:\n${gitea.tail(40)}`);
    console.error(`gitea test: Kiln's last output:\n${kiln?.tail(150)}`);
  });

  it('a git push to Gitea reaches Kiln as a signed webhook, and Kiln builds and publishes it', async () => {
    repo = new PortsRepo();
    commit = repo.commit('The example tree');
    repo.git('push', '--quiet', gitea.cloneUrl('ports', true), `HEAD:refs/heads/${BRANCH}`);
    await until('Gitea delivered the push to Kiln', () => deliveries.some((d) => d.answer !== undefined), 60_000);
    expect(deliveries[0].headers['x-gitea-event']).toBe('push');
    expect(deliveries[0].answer!.status).toBe(202);
    await until('the push is published', async () => {
      const push = await kilnPush(commit);
      if (push && ['failed', 'cancelled', 'superseded'].includes(push.state)) throw new Error(`the push ended ${push.state}`);
      return push?.state === 'succeeded';
    }, 600_000, 1_000);
    expect((await kilnPush(commit))?.publish).toMatchObject({ outcome: 'published', snapshot: 1 });
  }, 660_000);

  it('the commit shows pending, then success, each linking to the push page', async () => {
    const pushPage = `${kilnBase}/pushes/${TREE}/${BRANCH}/${commit}`;
    let statuses: GiteaStatus[] = [];
    await until('Gitea has the success status', async () => {
      statuses = await gitea.api<GiteaStatus[]>('GET', `/repos/${gitea.user}/ports/commits/${commit}/statuses?sort=oldest`);
      return statuses.some((s) => s.status === 'success');
    }, 60_000, 500);
    expect(statuses.map((s) => s.status)).toEqual(['pending', 'success']);
    for (const s of statuses) {
      expect(s.context).toBe(`kiln/${TREE}`);
      expect(s.target_url).toBe(pushPage);
    }
    expect(statuses.map((s) => s.description)).toEqual(['planning', 'published as snapshot 1']);
    const combined = await gitea.api<{ state: string }>('GET', `/repos/${gitea.user}/ports/commits/${commit}/status`);
    expect(combined.state).toBe('success');
  });

  it('Kiln\'s push page links to the commit on Gitea, whose status link leads back to the push', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    const pushPage = `${kilnBase}/pushes/${TREE}/${BRANCH}/${commit}`;
    await page.goto(pushPage);
    const toForge = page.getByTestId('forge-commit-link');
    expect(await toForge.getAttribute('href')).toBe(`${gitea.url}/${gitea.user}/ports/commit/${commit}`);
    await shots.take(page, 'kiln-push');
    await toForge.click();
    await page.waitForURL(`${gitea.url}/${gitea.user}/ports/commit/${commit}`);
    await shots.take(page, 'gitea-commit');
    // Gitea's commit page shows Kiln's status with its link (unstyled: this Gitea is built without its frontend).
    const link = page.locator(`a[href="${pushPage}"]`).first();
    await link.waitFor({ state: 'attached', timeout: 30_000 });
    await page.goto((await link.getAttribute('href'))!);
    await shots.take(page, 'kiln-push-from-gitea');
    await expect.poll(() => page.locator('body').innerText(), { timeout: 30_000 }).toMatch(/succeeded/i);
    expect(await page.locator('body').innerText()).toContain(commit.slice(0, 12));
  }, 120_000);

  it('the notification target and the mailbox heard of the publication', async () => {
    await until('the HTTP notification arrived', () => notifications.length > 0, 60_000);
    const [note] = notifications;
    expect(note.headers['x-kiln-event']).toBe('published');
    expect(note.headers['x-kiln-signature-256']).toBe(`sha256=${crypto.createHmac('sha256', notifySecret).update(note.body).digest('hex')}`);
    expect(JSON.parse(note.body.toString())).toMatchObject({ event: 'published', tree: TREE, branch: BRANCH, commit, snapshot: 1 });
    await until('the mail was delivered', () => fs.existsSync(MAILBOX) && fs.readFileSync(MAILBOX, 'utf8').includes(`${TREE}/${BRANCH} ${commit.slice(0, 12)}: published as snapshot 1`), 60_000);
  });

  it('a redelivery of the same delivery, and Gitea\'s test delivery, start nothing new', async () => {
    const before = await pushCount();
    expect(before).toBe(1);
    const first = deliveries[0];
    const again = await sendToKiln(first.headers, first.body);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ status: 'duplicate', deliveryId: first.headers['x-gitea-delivery'] });

    // Gitea's "Test Delivery": a new delivery (new id, freshly signed) of a push of the branch's head.
    await gitea.api('POST', `/repos/${gitea.user}/ports/hooks/${hookId}/tests`);
    await until('Gitea sent the test delivery', () => deliveries.length >= 2 && deliveries[1].answer !== undefined, 60_000);
    const test = deliveries[1];
    expect(test.headers['x-gitea-delivery']).not.toBe(first.headers['x-gitea-delivery']);
    expect(test.answer!.status).toBeLessThan(300);
    await sleep(5_000);
    expect(await pushCount()).toBe(before);
    const statuses = await gitea.api<GiteaStatus[]>('GET', `/repos/${gitea.user}/ports/commits/${commit}/statuses`);
    expect(statuses).toHaveLength(2);
    expect(notifications).toHaveLength(1);
  }, 120_000);
});
