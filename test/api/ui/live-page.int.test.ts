import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { uiLinks } from '../../../api/ui/links';
import type { PushStatus } from '../../../domain/push';
import { launchChromium } from '../../helpers/browser';
import { PUSHES, RECORDS, uiFixture, type UiFixture } from './ui-fixture';

// The page script in a real browser (headless Chromium) against the UI on a fake Temporal: the push page follows a
// push to its end in place, never reloading (a reload loses scroll and focus, and a rate-limited one could miss the
// push's last change), and a followed log page shows the build's state as it changes. An integration file, so it
// never competes with the parallel unit files for the two cores.

let f: UiFixture;
let base: string;
let browser: Browser;
let page: Page;
const building = RECORDS.building;

beforeAll(async () => {
  f = await uiFixture({ pollMs: 30 });
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await f?.close();
});
beforeEach(async () => {
  f.live.set(building.workflowId, building);
  f.writeRecord(building);
  page = await browser.newPage();
  page.setDefaultTimeout(10_000);
});

/** Until a JS expression is truthy in the page (page.evaluate: not subject to the page's CSP, unlike waitForFunction). */
async function until(expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stateOf = (build: string) => `(document.querySelector('[data-build="${build}"]') || { getAttribute: () => null }).getAttribute('data-state')`;
const textOf = (selector: string) => `(document.querySelector('${selector}') || {}).textContent`;

function withBuilds(builds: PushStatus['builds'], extra: Partial<PushStatus> = {}): PushStatus {
  return { ...building, builds, ...extra };
}

describe('the live push page', () => {
  it('follows the push in place, to its end, without reloading', async () => {
    const [amd64, i386] = building.builds;
    await page.goto(base + uiLinks.push(PUSHES.building));
    await until(`${textOf('[data-live-status]')} === 'Live: updates as the push runs.'`);
    await page.evaluate('window.__kilnNoReload = true');

    // A build finishes: written into its cell.
    f.live.set(building.workflowId, withBuilds([{ ...amd64, state: 'succeeded', finishedAt: amd64.startedAt! + 5_000 }, i386]));
    await until(`${stateOf('hello/amd64')} === 'succeeded'`);
    expect(await page.getByTestId('build-hello-amd64').textContent()).toContain('5s');

    // In quick succession (the old reload allowed one every 3 s, and dropped the rest): a new row, a failure, the end.
    const world = { ...i386, id: 'amd64:world', source: 'world', arch: 'amd64', state: 'building' as const, startedAt: Date.now() };
    f.live.set(building.workflowId, withBuilds([{ ...amd64, state: 'succeeded' }, i386, world]));
    await until(`${stateOf('world/amd64')} === 'building'`);
    const failedI386 = { ...i386, state: 'failed' as const, startedAt: amd64.startedAt, finishedAt: amd64.startedAt! + 1_000, error: { type: 'BUILD_FAILED', message: 'exit 2' } };
    f.live.set(building.workflowId, withBuilds([{ ...amd64, state: 'succeeded' }, failedI386, world], { state: 'failed' }));
    await until(`${textOf('[data-testid="push-state"]')} === 'failed'`);
    expect(await page.getByTestId('failures').textContent()).toContain('hello on i386');
    expect(await page.locator('[data-testid="grid"] tbody tr').first().getAttribute('data-testid')).toBe('row-hello');

    f.live.delete(building.workflowId);
    f.writeRecord(withBuilds([{ ...amd64, state: 'succeeded' }, failedI386, { ...world, state: 'cancelled' }],
      { state: 'cancelled', finishedAt: Date.now() }));
    await until(`${textOf('[data-testid="push-state"]')} === 'cancelled'`);
    await until(`${textOf('[data-live-status]')} === 'The push has ended.'`);
    expect(await page.evaluate('window.__kilnNoReload')).toBe(true);
    expect(await page.locator('[data-live-push]').count()).toBe(0);
    await page.close();
  }, 20_000);

  it('ticks the time a running push has run', async () => {
    // Started seconds ago: its time shows seconds, which change while the page is looked at.
    f.live.set(building.workflowId, withBuilds(building.builds, { startedAt: Date.now() - 3_000 }));
    f.writeRecord(withBuilds(building.builds, { startedAt: Date.now() - 3_000 }));
    await page.goto(base + uiLinks.push(PUSHES.building));
    const since = page.locator('[data-running-since]');
    const first = await since.textContent();
    await until(`${textOf('[data-running-since]')} !== ${JSON.stringify(first)}`, 5_000);
    await page.close();
  }, 20_000);

  it('ends up showing the push as it ended when the last changes come together', async () => {
    await page.goto(base + uiLinks.push(PUSHES.building));
    await until(`${textOf('[data-live-status]')} === 'Live: updates as the push runs.'`);
    await page.evaluate('window.__kilnNoReload = true');
    const done = building.builds.map((b) => ({ ...b, state: 'succeeded' as const, startedAt: b.startedAt ?? Date.now(), finishedAt: Date.now() }));
    f.live.set(building.workflowId, withBuilds(done, { state: 'publishing' }));
    await new Promise((r) => setTimeout(r, 40));
    f.live.delete(building.workflowId);
    f.writeRecord(withBuilds(done, {
      state: 'succeeded', finishedAt: Date.now(),
      publish: { outcome: 'published', snapshot: 3, commit: building.push.commit, targets: [] },
    }));
    await until(`${textOf('[data-testid="publish-outcome"]')} === 'published'`);
    expect(await page.getByTestId('push-state').textContent()).toBe('succeeded');
    expect(await page.evaluate('window.__kilnNoReload')).toBe(true);
    await page.close();
  }, 20_000);
});

describe('a followed build log', () => {
  it('shows the build start and end in its state badge', async () => {
    const i386 = building.builds[1];
    expect(i386.state).toBe('waiting');
    const file = f.layout.buildLog(PUSHES.building, 'hello', 'i386');
    fs.rmSync(file, { force: true });
    await page.goto(base + uiLinks.buildLog(PUSHES.building, 'hello', 'i386'));
    await until(`${textOf('[data-log-status]')} === 'Following the log as the build writes it.'`);
    expect(await page.getByTestId('build-state').textContent()).toBe('waiting');

    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'apt-get update\n');
    await until(`${textOf('[data-testid="log"]')} === 'apt-get update\\n'`);
    expect(await page.getByTestId('build-state').textContent()).toBe('building');

    fs.appendFileSync(file, 'dpkg-buildpackage -b\n');
    f.live.set(building.workflowId, withBuilds([building.builds[0], { ...i386, state: 'succeeded', startedAt: Date.now(), finishedAt: Date.now() }]));
    await until(`document.querySelector('[data-testid="log"]').getAttribute('data-ended') === 'succeeded'`);
    expect(await page.getByTestId('log').textContent()).toBe('apt-get update\ndpkg-buildpackage -b\n');
    expect(await page.getByTestId('build-state').textContent()).toBe('succeeded');
    expect(await page.getByTestId('build-state').getAttribute('class')).toBe('state tone-ok');
    await until(`${textOf('[data-log-status]')} === 'The build has ended (succeeded); the log is complete.'`);
    await page.close();
  }, 20_000);

  it('opened before the plan: gets the build\'s facts once it runs, and its error once it failed, around the same log', async () => {
    f.live.set(building.workflowId, withBuilds([], { state: 'planning' }));
    const file = f.layout.buildLog(PUSHES.building, 'hello', 'amd64');
    fs.rmSync(file, { force: true });
    await page.goto(base + uiLinks.buildLog(PUSHES.building, 'hello', 'amd64'));
    await until(`${textOf('[data-log-status]')} === 'Following the log as the build writes it.'`);
    expect(await page.getByTestId('build-state').count()).toBe(0);
    await page.evaluate(`window.__kilnNoReload = true; window.__kilnLog = document.querySelector('[data-testid="log"]')`);

    const amd64 = { ...building.builds[0], attempt: 2, startedAt: Date.now() };
    f.live.set(building.workflowId, withBuilds([amd64]));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'make\n');
    await until(`${textOf('[data-testid="build-state"]')} === 'building'`);
    expect(await page.locator('main').textContent()).not.toContain('not (yet) in the push');
    expect(await page.locator('dl.facts').textContent()).toMatch(/Attempt\s*2/);

    fs.appendFileSync(file, 'make: *** [all] Error 2\n');
    f.live.set(building.workflowId, withBuilds([{ ...amd64, state: 'failed', finishedAt: Date.now(), error: { type: 'BUILD_FAILED', message: 'dpkg-buildpackage exited 2' } }], { state: 'failed' }));
    await until(`${textOf('[data-testid="build-state"]')} === 'failed' && document.querySelector('[role="alert"]') !== null`);
    expect(await page.locator('[role="alert"]').textContent()).toContain('dpkg-buildpackage exited 2');
    expect(await page.evaluate(`window.__kilnNoReload && document.querySelector('[data-testid="log"]') === window.__kilnLog`)).toBe(true);
    expect(await page.getByTestId('log').textContent()).toBe('make\nmake: *** [all] Error 2\n');
    expect(await page.locator('[data-log-status]').textContent()).toBe('The build has ended (failed); the log is complete.');
    await page.close();
  }, 20_000);
});
