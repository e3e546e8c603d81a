import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createToken, tokenFile } from '../../api/auth/token-file';
import { uiLinks } from '../../api/ui/links';
import type { PushRef } from '../../domain/data-layout';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { launchChromium, Screenshots } from '../helpers/browser';
import { EmbeddedKiln } from '../helpers/embedded-kiln';
import { freePort } from '../helpers/ports';
import { PortsRepo } from '../helpers/ports-repo';
import { WatchedProcess } from '../helpers/watched-process';

// The web UI in headless Chromium against a live Kiln (the compiled `npm start`: its own Temporal dev server, the
// workers, the API) building the example tree, as a user sees it: the dashboard, a push page whose grid fills live,
// a build log that follows the build, the published repository, a failed build retried and the push cancelled from
// the UI, the events feed. The pages are asserted through what they show; each step leaves a screenshot in
// test-output/screenshots/. The tree is a git repository (a copy of examples/ports), so Kiln does not push it at start.

const TREE = 'example';
const BRANCH = 'main';
const PUSH_1_BUILDS = [
  'kiln-docs/amd64', 'kiln-greet/amd64', 'kiln-greet/i386', 'kiln-hello/amd64', 'kiln-hello/i386', 'kiln-motd/amd64',
  'libkiln/amd64', 'libkiln/i386',
];
const BUILD_TIMEOUT = 180_000;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-browser-'));
const dataDir = path.join(work, 'data');
let repo: PortsRepo;
let kiln: EmbeddedKiln | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let logTab: Page;
let base: string;
let token: string;
let push1: PushRef;
let push2: PushRef;
let broken = false;
const shots = new Screenshots();
const pageErrors: string[] = [];
const timings: string[] = [];

/** A `kiln` CLI run (the compiled bin, as an operator runs it) in the background. */
function kilnCli(args: string[]): WatchedProcess {
  // API URL and token from the environment, as the README says; HOME and the CLI config point into the test's folder,
  // so nothing of this machine's own CLI setup is read.
  const env = { ...process.env, KILN_API_URL: base, KILN_API_TOKEN: token, HOME: work, KILN_CLI_CONFIG: path.join(work, 'cli.yaml') };
  const run = new WatchedProcess(`kiln ${args.join(' ')}`, process.execPath, [path.join(PROJECT_ROOT, 'bin/kiln.js'), ...args], { env });
  cliRuns.push(run);
  return run;
}
const cliRuns: WatchedProcess[] = [];

/**
 * Push the branch's head as an operator would: `kiln push <tree> --wait`, left running while the test watches the
 * push in the browser. Resolves once Kiln has accepted the push, with the CLI run still following it.
 */
async function pushHead(tree: string, branch: string): Promise<{ push: PushRef; cli: WatchedProcess }> {
  const cli = kilnCli(['push', tree, '--branch', branch, '--wait']);
  const [, workflowId] = await cli.waitFor(/^push (push\/\S+): accepted$/m, 60_000);
  const [, , , commit] = workflowId.split('/');
  return { push: { tree, branch, commit }, cli };
}

/** The branch coordinator starts a requested push a moment later: until then its page is a 404. */
async function waitUntilKnown(push: PushRef, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await fetch(`${base}/api${uiLinks.push(push)}`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`push ${push.commit} not known within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// In-page recorders (plain JS: it runs in the page). `__kilnNoReload` is set once per page load: it is still there
// only if the page was never reloaded since.
const RECORD_GRID = `(() => {
  window.__kilnNoReload = true;
  window.__kilnGrid = [];
  const sample = () => {
    const cells = {};
    document.querySelectorAll('[data-build]').forEach((c) => { cells[c.getAttribute('data-build')] = c.getAttribute('data-state'); });
    const push = document.querySelector('[data-testid="push-state"]');
    window.__kilnGrid.push({ t: Date.now(), push: push ? push.textContent : null, cells });
  };
  sample();
  setInterval(sample, 200);
})()`;
const RECORD_LOG = `(() => {
  window.__kilnNoReload = true;
  window.__kilnLog = [];
  const sample = () => {
    const log = document.querySelector('[data-testid="log"]');
    window.__kilnLog.push({ t: Date.now(), length: log.textContent.length, ended: log.getAttribute('data-ended') });
  };
  sample();
  setInterval(sample, 200);
})()`;
const cellState = (build: string) => `(() => { const c = document.querySelector('[data-build="${build}"]'); return c ? c.getAttribute('data-state') : null; })()`;
const GRID_PARTLY_DONE = `(() => {
  const states = [...document.querySelectorAll('[data-build]')].map((c) => c.getAttribute('data-state'));
  return states.includes('succeeded') && states.some((s) => s !== 'succeeded');
})()`;
const text = (testid: string) => `(document.querySelector('[data-testid="${testid}"]') || {}).textContent`;

interface GridSample { t: number; push: string | null; cells: Record<string, string> }
interface LogSample { t: number; length: number; ended: string | null }

/** Until a JS expression is truthy in the page, looked at every 200 ms. (Not waitForFunction: with a string it evals in
 * the page, which the UI's Content-Security-Policy rightly refuses.) */
async function until(p: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // A navigation in between destroys the context the expression ran in: look again.
  while (!(await p.evaluate(expression).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${p.url()}: not true within ${timeoutMs} ms: ${expression}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stillUnreloaded(p: Page): Promise<boolean> {
  return (await p.evaluate('window.__kilnNoReload === true')) as boolean;
}

function track(p: Page): Page {
  p.setDefaultTimeout(30_000);
  p.on('pageerror', (err) => pageErrors.push(`${p.url()}: ${err.message}`));
  return p;
}

function timed(name: string, started: number): void {
  timings.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

describe.sequential('the web UI in Chromium, on a live Kiln', () => {
  beforeAll(async () => {
    const started = Date.now();
    repo = new PortsRepo();
    repo.commit('The example tree');
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    base = `http://127.0.0.1:${apiPort}`;
    const configFile = path.join(work, 'kiln.yaml');
    fs.writeFileSync(configFile, [
      `dataDir: ${dataDir}`,
      `api: { port: ${apiPort} }`,
      `temporal: { address: 127.0.0.1:${temporalPort}, uiUrl: http://127.0.0.1:${uiPort} }`,
      'trees:',
      `  - name: ${TREE}`,
      `    url: ${repo.dir}`,
      '    format: deb',
      '    distribution: bookworm',
      `    branches: [${BRANCH}]`,
      '    architectures: [amd64, i386]',
      '    build: { concurrency: 2, timeoutMinutes: 10, memoryMb: 1024 }',
    ].join('\n') + '\n');
    token = (await createToken(tokenFile(dataDir), 'browser-test')).token;

    kiln = new EmbeddedKiln(configFile);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = track(await context.newPage());
    for (const ready of [/kiln api: listening/, /kiln orchestrator: task queue kiln/, /kiln build worker: arch amd64/,
      /kiln build worker: arch i386/, /kiln signer:/]) {
      await kiln.waitFor(ready);
    }
    timed('start', started);
  }, 300_000);

  afterAll(async () => {
    for (const run of cliRuns) await run.kill();
    await browser?.close();
    await kiln?.stop();
    repo?.cleanup();
    if (broken) console.error(`browser test: Kiln's data dir is kept for diagnosis: ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
    console.log(`browser test timings: ${timings.join(', ')}`);
  }, 60_000);

  beforeEach(({ skip }) => {
    if (broken) skip('an earlier step failed');
  });

  // On failure: every open page as a screenshot, and what Kiln printed last.
  afterEach(async ({ task }) => {
    if (task.result?.state !== 'fail') return;
    broken = true;
    for (const [i, p] of (context?.pages() ?? []).entries()) {
      const name = `failure-${task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}-${i}`;
      const file = await shots.take(p, name).catch((err: Error) => `(no screenshot: ${err.message})`);
      console.error(`browser test: ${p.url()} → ${file}`);
    }
    if (pageErrors.length > 0) console.error(`browser test: page errors:\n${pageErrors.join('\n')}`);
    for (const run of cliRuns) console.error(`browser test: ${run.name}:\n${run.tail(60)}`);
    console.error(`browser test: Kiln's last output:\n${kiln?.tail(150)}`);
  });

  it('the dashboard shows the branch before anything was pushed', async () => {
    await page.goto(`${base}/`);
    const row = page.getByTestId(`branch-${TREE}-${BRANCH}`);
    await expect.poll(() => row.locator('th').textContent()).toBe(BRANCH);
    expect(await row.textContent()).toContain('not published yet');
    await shots.take(page, 'dashboard');
  });

  it('push 1: the grid fills live as the builds finish, and the push is published', async () => {
    const started = Date.now();
    const pushed = await pushHead(TREE, BRANCH);
    push1 = pushed.push;
    expect(push1.commit).toBe(repo.git('rev-parse', 'HEAD'));
    await waitUntilKnown(push1);
    // And in a terminal next to the browser: the same log, followed by the CLI.
    const logCli = kilnCli(['logs', TREE, 'kiln-motd', '--arch', 'amd64', '--branch', BRANCH, '--commit', push1.commit, '--follow']);
    await page.goto(base + uiLinks.push(push1));
    await page.evaluate(RECORD_GRID);

    // A second tab follows the log of the chain's last build (libkiln → kiln-greet → kiln-motd): not started yet.
    logTab = track(await context.newPage());
    await logTab.goto(base + uiLinks.buildLog(push1, 'kiln-motd', 'amd64'));
    expect(await logTab.locator('[data-testid="log"][data-follow-url]').count()).toBe(1);
    await logTab.evaluate(RECORD_LOG);

    await until(page, GRID_PARTLY_DONE, BUILD_TIMEOUT);
    await shots.take(page, 'push-1-building');
    await until(logTab, `document.querySelector('[data-testid="log"]').textContent.length > 0`, BUILD_TIMEOUT);
    await shots.take(logTab, 'log-following');

    await until(page, `${text('push-state')} === 'succeeded' && ${text('publish-outcome')} === 'published'`, BUILD_TIMEOUT);
    await shots.take(page, 'push-1-published');
    timed('push 1', started);

    // `kiln push --wait` showed the builds as they went, and ends 0: built and published.
    expect((await pushed.cli.exited).code).toBe(0);
    const progress = pushed.cli.output();
    for (const build of PUSH_1_BUILDS) {
      const [source, arch] = build.split('/');
      expect(progress).toMatch(new RegExp(`✓ ${arch} +${source} 1\\.0: succeeded`));
    }
    expect(progress).toMatch(/^— building: .*\d+ succeeded/m);
    expect(progress).toContain(`push/${TREE}/${BRANCH}/${push1.commit}: succeeded, published as snapshot 1`);
    // `kiln logs --follow` printed the log as it grew, to its end, and ends 0: the build succeeded.
    expect((await logCli.exited).code).toBe(0);
    expect(logCli.output()).toMatch(/===== kiln: building kiln-motd 1\.0 for amd64[^]*===== kiln: exit 0 after/);

    expect(await stillUnreloaded(page)).toBe(true);
    const samples = (await page.evaluate('window.__kilnGrid')) as GridSample[];
    const last = samples[samples.length - 1].cells;
    expect(Object.keys(last).sort()).toEqual(PUSH_1_BUILDS);
    expect(Object.values(last).every((s) => s === 'succeeded')).toBe(true);
    // Every cell was seen waiting or building before it succeeded, and they succeeded at different moments.
    for (const build of PUSH_1_BUILDS) {
      const seen = samples.map((s) => s.cells[build]).filter((s) => s !== undefined);
      expect(['waiting', 'building'], `${build} first seen ${seen[0]}`).toContain(seen[0]);
    }
    const partly = samples.filter((s) => {
      const states = Object.values(s.cells);
      return states.includes('succeeded') && states.some((x) => x !== 'succeeded');
    });
    expect(partly.length).toBeGreaterThan(0);
    const doneCounts = new Set(samples.map((s) => Object.values(s.cells).filter((x) => x === 'succeeded').length));
    expect(doneCounts.size).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('publish-outcome').locator('xpath=..').textContent()).toContain('snapshot #1');
  }, 300_000);

  it('the build log followed the build live, to its end', async () => {
    const log = logTab.getByTestId('log');
    await until(logTab, `document.querySelector('[data-testid="log"]').hasAttribute('data-ended')`, 60_000);
    expect(await log.getAttribute('data-ended')).toBe('succeeded');
    expect(await log.textContent()).toMatch(/===== kiln: building kiln-motd 1\.0 for amd64[^]*===== kiln: exit 0 after/);
    expect(await logTab.locator('[data-log-status]').textContent()).toBe('The build has ended (succeeded); the log is complete.');
    // The page, opened while the push was planned, shows the build's facts once it ended.
    await until(logTab, `${text('build-state')} === 'succeeded'`);
    expect(await logTab.locator('dl.facts').textContent()).toMatch(/Attempt\s*1/);
    await shots.take(logTab, 'log-finished');

    expect(await stillUnreloaded(logTab)).toBe(true);
    const samples = (await logTab.evaluate('window.__kilnLog')) as LogSample[];
    const growing = samples.filter((s) => s.ended === null && s.length > 0).map((s) => s.length);
    // Text arrived in several pieces while the build ran, each adding to the last.
    expect(new Set(growing).size).toBeGreaterThanOrEqual(3);
    expect(growing).toEqual([...growing].sort((a, b) => a - b));
    await logTab.close();
  });

  it('the repository page shows snapshot 1 with push 1\'s commit and the apt lines', async () => {
    await page.goto(base + uiLinks.repository(TREE, BRANCH));
    const snapshot = page.getByTestId('snapshot-1');
    expect(await snapshot.textContent()).toContain(push1.commit.slice(0, 10));
    expect(await snapshot.textContent()).toContain('current');
    expect(await page.locator('main').textContent()).toContain(`Current snapshot: #1`);
    expect(await page.locator('main').textContent()).toContain(push1.commit);
    const repoUrl = `${base}/repos/${TREE}/${BRANCH}`;
    expect(await page.getByTestId('apt-source-line').textContent()).toBe(`deb [signed-by=/usr/share/keyrings/kiln-${TREE}.gpg] ${repoUrl} ${BRANCH} main`);
    expect(await page.getByTestId('install-keyring').textContent()).toContain(`${repoUrl}/kiln-archive-keyring.gpg`);
    for (const source of ['kiln-docs', 'kiln-greet', 'kiln-hello', 'kiln-motd', 'libkiln']) {
      expect(await page.getByTestId(`package-${source}`).count(), source).toBe(1);
    }
    await shots.take(page, 'repository');
    // The served repository is what the page says: its InRelease is there.
    expect((await fetch(`${repoUrl}/dists/${BRANCH}/InRelease`)).status).toBe(200);
  });

  it('push 2: a failing package, retried from the UI after signing in, then the push cancelled', async () => {
    const started = Date.now();
    repo.write('kiln-broken/debian/source/format', '3.0 (native)\n');
    repo.write('kiln-broken/debian/changelog', 'kiln-broken (1.0) bookworm; urgency=medium\n\n  * A package that never builds.\n\n'
      + ' -- Kiln Tests <tests@kiln.invalid>  Sat, 21 Nov 2026 12:00:00 +0000\n');
    repo.write('kiln-broken/debian/control', [
      'Source: kiln-broken', 'Section: misc', 'Priority: optional', 'Maintainer: Kiln Tests <tests@kiln.invalid>',
      'Build-Depends: debhelper-compat (= 13)', 'Standards-Version: 4.6.2', 'Rules-Requires-Root: no', '',
      'Package: kiln-broken', 'Architecture: all', 'Depends: ${misc:Depends}', 'Description: fails to build, on purpose',
      ' The web UI\'s browser test retries it.', '',
    ].join('\n'));
    repo.write('kiln-broken/debian/rules', '#!/usr/bin/make -f\n%:\n\tdh $@\n\noverride_dh_auto_build:\n'
      + '\techo "kiln-broken: this package fails on purpose" >&2; exit 1\n', 0o755);
    const commit = repo.commit('Add kiln-broken, which never builds');

    const pushed = await pushHead(TREE, BRANCH);
    push2 = pushed.push;
    expect(push2.commit).toBe(commit);
    await waitUntilKnown(push2);
    const pushPage = base + uiLinks.push(push2);
    await page.goto(pushPage);
    await until(page, `${cellState('kiln-broken/amd64')} === 'failed' && ${text('push-state')} === 'failed'`, BUILD_TIMEOUT);
    // Failures come first: the failed package is the grid's first row, and listed under Failures with its error.
    expect(await page.locator('[data-testid="grid"] tbody tr').first().getAttribute('data-testid')).toBe('row-kiln-broken');
    expect(await page.getByTestId('failures').textContent()).toContain('kiln-broken on amd64');
    expect(await page.getByTestId('build-kiln-broken-amd64').textContent()).not.toContain('attempt 2');
    // Readers have no buttons.
    expect(await page.getByTestId('retry-kiln-broken-amd64').count()).toBe(0);
    await shots.take(page, 'push-2-failed');

    // `kiln push --wait` ends 1, naming the failed build, its error and its log, and how to retry or cancel.
    expect((await pushed.cli.exited).code).toBe(1);
    const report = pushed.cli.output();
    expect(report).toContain(`push/${TREE}/${BRANCH}/${push2.commit}: failed (awaiting retry or cancel)`);
    expect(report).toMatch(/✗ kiln-broken\/amd64: BuildFailed: .*\n +log: http:\/\/127\.0\.0\.1:\d+\/api\/logs\/example\/main\/[0-9a-f]{40}\/kiln-broken\/amd64/);
    expect(report).toContain(`retry: kiln retry ${TREE} --branch ${BRANCH} --commit ${push2.commit}`);

    // Sign in like an operator: the nav's link, the token pasted into the form, back to the push.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByTestId('login-token').fill(token);
    await shots.take(page, 'login');
    await page.getByTestId('login-submit').click();
    await page.waitForURL(pushPage);
    expect(await page.getByTestId('operator').textContent()).toBe('browser-test');

    await page.getByTestId('retry-kiln-broken-amd64').click();
    await page.waitForURL(`${pushPage}?done=retry`);
    await page.evaluate(RECORD_GRID);
    const attempt2 = `(document.querySelector('[data-build="kiln-broken/amd64"] .cell-state') || {}).textContent === 'failed (attempt 2)'`;
    await until(page, `${attempt2} && ${text('push-state')} === 'failed'`, BUILD_TIMEOUT);
    expect(await stillUnreloaded(page)).toBe(true);
    // It really ran again: the page saw it leave `failed`, and its log holds both attempts.
    const samples = (await page.evaluate('window.__kilnGrid')) as GridSample[];
    expect(samples.some((s) => ['waiting', 'building'].includes(s.cells['kiln-broken/amd64']))).toBe(true);
    await shots.take(page, 'push-2-retried');

    await page.getByTestId('build-kiln-broken-amd64').getByRole('link').click();
    await page.waitForURL(base + uiLinks.buildLog(push2, 'kiln-broken', 'amd64'));
    const log = (await page.getByTestId('log').textContent()) ?? '';
    expect(log.match(/===== kiln: building kiln-broken 1\.0 for amd64/g)).toHaveLength(2);
    expect(log.match(/kiln-broken: this package fails on purpose/g)?.length).toBeGreaterThanOrEqual(2);
    expect(await page.locator('dl.facts').textContent()).toMatch(/Attempt\s*2/);
    await shots.take(page, 'push-2-log');

    await page.goto(pushPage);
    await page.getByTestId('cancel-push').click();
    await page.waitForURL(`${pushPage}?done=cancel`);
    await page.evaluate('window.__kilnNoReload = true');
    await until(page, `${text('push-state')} === 'cancelled'`, 60_000);
    await until(page, `document.querySelector('[data-live-status]').textContent === 'The push has ended.'`);
    expect(await page.locator('[data-testid^="retry-"], [data-testid="cancel-push"]').count()).toBe(0);
    expect(await stillUnreloaded(page)).toBe(true);
    await shots.take(page, 'push-2-cancelled');
    timed('push 2', started);
  }, 300_000);

  it('the events and pushes pages list what happened', async () => {
    await page.goto(`${base}/events`);
    const events = page.getByTestId('events');
    expect(await events.getByTestId('event-started').count()).toBe(2);
    expect(await events.getByTestId('event-published').textContent()).toContain('published as snapshot #1');
    expect(await events.getByTestId('event-cancelled').count()).toBe(1);
    const feed = (await events.textContent()) ?? '';
    expect(feed).toContain(push1.commit.slice(0, 10));
    expect(feed).toContain(push2.commit.slice(0, 10));
    await shots.take(page, 'events');

    await page.goto(`${base}/pushes`);
    expect(await page.getByTestId(`push-${push1.commit}`).textContent()).toContain('succeeded');
    expect(await page.getByTestId(`push-${push2.commit}`).textContent()).toContain('cancelled');
    await shots.take(page, 'pushes');

    await page.goto(`${base}/`);
    expect(await page.getByTestId(`branch-${TREE}-${BRANCH}`).textContent()).toContain('#1');
    await shots.take(page, 'dashboard-after');
    expect(pageErrors).toEqual([]);
  });
});
