import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createReportActivities, type ReportOutcome } from '../../../activities/report/report-activities';
import { parseConfig, type KilnConfig } from '../../../domain/config';
import type { PushReport } from '../../../domain/report/push-report';

// The report activity against real receivers: a local HTTP server standing where a notification target would, and
// the host's own mail system (Debian's exim4, which setup installs: `sendmail` hands the message over and exim
// delivers it to a local mailbox, as it would relay it to ops@ on a configured host). Commit statuses are tested
// against a real Gitea in test/e2e/gitea.e2e.test.ts.

// Debian's exim4 delivers root's mail to /var/mail/mail (it never runs a delivery as root).
const MAILBOX = '/var/mail/mail';

interface Received { headers: http.IncomingHttpHeaders; body: Buffer; url: string }
let server: http.Server;
let base: string;
let received: Received[];
let answer: (n: number, res: http.ServerResponse) => void;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks), url: req.url ?? '' });
      answer(received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  answer = (_n, res) => { res.writeHead(204).end(); };
});

function config(notify: string, extra = ''): KilnConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-report-'));
  return parseConfig([
    `dataDir: ${dir}`,
    'api: { publicUrl: "https://kiln.example" }',
    extra,
    'trees:',
    '  - name: example',
    '    url: ./ports',
    '    format: deb',
    '    distribution: bookworm',
    '    branches: [main]',
    '    architectures: [amd64]',
    `    notify: ${notify}`,
  ].join('\n'), dir, { HOOK_SECRET: 'hook-secret' });
}

const commit = crypto.randomBytes(20).toString('hex');
function report(event: PushReport['event'], overrides: Partial<PushReport> = {}): PushReport {
  return {
    push: { tree: 'example', branch: 'main', commit }, event, at: 1_764_849_600_000, requestedBy: 'webhook:alice',
    builds: { total: 3, failed: 1, failures: [{ source: 'kiln-hello', arch: 'amd64', state: 'failed' }] }, ...overrides,
  };
}

function run(cfg: KilnConfig, r: PushReport, info: { attempt?: number; heartbeatDetails?: unknown } = {}) {
  const env = new MockActivityEnvironment({ attempt: info.attempt ?? 1, heartbeatDetails: info.heartbeatDetails });
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return { result: env.run(createReportActivities({ config: cfg }).reportPush, r) as Promise<ReportOutcome>, beats };
}

describe('reportPush: HTTP notification targets', () => {
  it('POSTs the event as signed JSON with the push page\'s link, to the targets that asked for the event', async () => {
    const cfg = config(`[{ url: "${base}/all", secretEnv: HOOK_SECRET }, { url: "${base}/published-only", events: [published] }]`);
    const outcome = await run(cfg, report('failed')).result;
    expect(outcome).toEqual({ delivered: ['notify-0'], failed: [] });
    expect(received.map((r) => r.url)).toEqual(['/all']);
    const [got] = received;
    const expected = `sha256=${crypto.createHmac('sha256', 'hook-secret').update(got.body).digest('hex')}`;
    expect(got.headers['x-kiln-signature-256']).toBe(expected);
    expect(got.headers['x-kiln-event']).toBe('failed');
    expect(got.headers['x-kiln-delivery']).toBe(`example/main/${commit}/failed/1764849600000`);
    expect(JSON.parse(got.body.toString())).toMatchObject({
      event: 'failed', tree: 'example', branch: 'main', commit, summary: '1 of 3 builds failed',
      url: `https://kiln.example/pushes/example/main/${commit}`, builds: { total: 3, failed: 1 },
    });
    // `running` is for the forge only.
    received = [];
    expect(await run(cfg, report('running')).result).toEqual({ delivered: [], failed: [] });
    expect(received).toEqual([]);
  });

  it('fails the attempt while a target may recover, and the retry skips the targets that took the report', async () => {
    const cfg = config(`[{ url: "${base}/ok" }, { url: "${base}/flaky" }]`);
    answer = (_n, res) => { res.writeHead(received.at(-1)!.url === '/flaky' ? 503 : 204).end('busy'); };
    const first = run(cfg, report('published', { snapshot: 4 }));
    const err = await first.result.then(() => undefined, (e: unknown) => e) as { type?: string; nonRetryable?: boolean; message: string };
    expect(err).toMatchObject({ type: 'REPORT_FAILED', nonRetryable: false });
    expect(err.message).toMatch(/notify http:\/\/127\.0\.0\.1:\d+\/flaky answered 503/);
    expect(first.beats).toEqual([{ delivered: ['notify-0'] }]);

    received = [];
    answer = (_n, res) => { res.writeHead(200).end(); };
    const second = await run(cfg, report('published', { snapshot: 4 }), { attempt: 2, heartbeatDetails: { delivered: ['notify-0'] } }).result;
    expect(received.map((r) => r.url)).toEqual(['/flaky']);
    expect(second).toEqual({ delivered: ['notify-0', 'notify-1'], failed: [] });
  });

  it('gives up without failing on an answer no retry can change, and on the last attempt', async () => {
    const cfg = config(`[{ url: "${base}/gone" }]`);
    answer = (_n, res) => { res.writeHead(404).end('no such hook'); };
    const permanent = await run(cfg, report('cancelled')).result;
    expect(permanent.failed).toEqual([expect.objectContaining({ channel: 'notify-0', message: expect.stringMatching(/answered 404.*no such hook/) })]);

    answer = (_n, res) => { res.writeHead(500).end(); };
    const last = await run(cfg, report('cancelled'), { attempt: 5 }).result;
    expect(last).toMatchObject({ delivered: [], failed: [{ channel: 'notify-0' }] });
  });
});

describe('reportPush: e-mail through the host\'s sendmail', () => {
  async function mailboxHas(token: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = fs.existsSync(MAILBOX) ? fs.readFileSync(MAILBOX, 'utf8') : '';
      const at = text.indexOf(token);
      if (at >= 0) {
        const start = text.lastIndexOf('\nFrom ', at);
        const end = text.indexOf('\nFrom ', at);
        return text.slice(start < 0 ? 0 : start + 1, end < 0 ? undefined : end);
      }
      if (Date.now() > deadline) throw new Error(`no mail with ${token} reached ${MAILBOX} within ${timeoutMs} ms (see /var/log/exim4/mainlog)`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('delivers a plain-text mail a local mailbox receives, with the failed builds and the link', async () => {
    expect(fs.existsSync('/usr/sbin/sendmail'), 'setup installs exim4, which provides /usr/sbin/sendmail').toBe(true);
    const cfg = config('[{ email: [root@localhost], events: [failed] }]', 'mail: { from: kiln-test@localhost }');
    const outcome = await run(cfg, report('failed')).result;
    expect(outcome).toEqual({ delivered: ['notify-0'], failed: [] });
    const mail = await mailboxHas(commit.slice(0, 12));
    expect(mail).toMatch(/^Subject: \[kiln\] example\/main [0-9a-f]{12}: 1 of 3 builds failed$/m);
    expect(mail).toMatch(/^From: kiln-test@localhost$/m);
    expect(mail).toMatch(/^X-Kiln-Event: failed$/m);
    expect(mail).toContain('  kiln-hello/amd64: failed');
    expect(mail).toContain(`The push in Kiln: https://kiln.example/pushes/example/main/${commit}`);
  });

  it('reports a sendmail that cannot run, without failing the push\'s report', async () => {
    const cfg = config('[{ email: [root@localhost] }]', 'mail: { sendmail: /nonexistent/sendmail }');
    const outcome = await run(cfg, report('failed')).result;
    expect(outcome.failed).toEqual([expect.objectContaining({ target: 'mail to root@localhost', message: expect.stringMatching(/cannot run \/nonexistent\/sendmail \(ENOENT\)/) })]);
  });
});
