import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMITS, EVIL, RECORDS, pushStatus, uiFixture, type UiFixture } from './ui-fixture';

let f: UiFixture;
beforeAll(async () => { f = await uiFixture(); });
afterAll(async () => { await f.close(); });

const get = (url: string) => f.app.inject({ method: 'GET', url });
const failedPush = `/pushes/ports/main/${COMMITS.failed}`;

describe('every page', () => {
  it.each(['/', '/pushes', failedPush, `${failedPush}/logs/hello/amd64`, '/repositories/ports/main', '/events', '/login'])(
    '%s is a complete HTML page with a title, a viewport, the nav bar and no inline script',
    async (url) => {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatch(/^<!doctype html>\n<html lang="en">/);
      expect(res.body).toMatch(/<title>[^<]+ · Kiln<\/title>/);
      expect(res.body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(res.body).toContain('<nav class="top" aria-label="Main">');
      expect(res.body).not.toMatch(/<script>|<script [^>]*>[^<]|style="/);
      expect(res.body).not.toContain(EVIL);
    },
  );

  it('serves the stylesheet and script it links, cached for good', async () => {
    const page = await get('/');
    const css = /href="(\/ui\/assets\/kiln-[0-9a-f]{12}\.css)"/.exec(page.body)?.[1];
    const js = /src="(\/ui\/assets\/kiln-[0-9a-f]{12}\.js)"/.exec(page.body)?.[1];
    const [a, b] = await Promise.all([get(css!), get(js!)]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(b.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(b.headers['cache-control']).toContain('immutable');
    expect(b.body).toContain("new EventSource(");
    expect((await get('/ui/assets/nope.js')).statusCode).toBe(404);
  });

  it('keeps the UI out of the OpenAPI document', async () => {
    const doc = (await get('/api/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/') && !p.startsWith('/healthz') && !p.startsWith('/webhooks') && !p.startsWith('/metrics') && !p.startsWith('/repos/'))).toEqual([]);
  });
});

describe('dashboard', () => {
  it('shows each branch: published snapshot, last push and its state, and the badge', async () => {
    const body = (await get('/')).body;
    const main = body.slice(body.indexOf('data-testid="branch-ports-main"'));
    const row = main.slice(0, main.indexOf('</tr>'));
    expect(row).toContain('href="/repositories/ports/main">#2</a>');
    expect(row).toContain(`href="/pushes/ports/main/${COMMITS.failed}"`);
    expect(row).toContain('data-testid="status-ports-main">failed<');
    expect(row).toContain('src="/badge/ports/main.svg"');
    expect(body).toContain('data-testid="status-ports-release/1.x">building<');
    expect(body).toContain('src="/badge/ports/release%2F1.x.svg"');
    expect(body).toContain('data-testid="status-other-main">not pushed<');
  });
});

describe('pushes', () => {
  it('lists pushes newest first with links and states', async () => {
    const body = (await get('/pushes')).body;
    const order = [COMMITS.failed, COMMITS.building, COMMITS.published].map((c) => body.indexOf(`data-testid="push-${c}"`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(body).toContain(`href="/pushes/ports/release%2F1.x/${COMMITS.building}"`);
  });

  it('filters by tree, branch and state, and pages', async () => {
    const failed = (await get('/pushes?state=failed')).body;
    expect(failed).toContain(`push-${COMMITS.failed}`);
    expect(failed).not.toContain(`push-${COMMITS.published}`);
    const release = (await get('/pushes?tree=ports&branch=release%2F1.x')).body;
    expect(release).toContain(`push-${COMMITS.building}`);
    expect(release).not.toContain(`push-${COMMITS.failed}`);
    expect(release).toContain('<option value="release/1.x" selected>');
    expect((await get('/pushes?tree=other')).body).toContain('No pushes match.');
    expect((await get('/pushes?state=nonsense')).statusCode).toBe(400);
    expect((await get('/pushes?tree=nope')).statusCode).toBe(404);
  });

  it('pages with a cursor', async () => {
    const own = await uiFixture();
    try {
      for (let i = 0; i < 55; i++) {
        const commit = i.toString(16).padStart(40, 'a');
        own.writeRecord(pushStatus({ tree: 'other', branch: 'main', commit }, 'succeeded', [], { startedAt: 1_000_000 + i }));
      }
      const first = (await own.app.inject({ method: 'GET', url: '/pushes?tree=other' })).body;
      expect(first.match(/data-testid="push-/g)).toHaveLength(50);
      const older = /href="([^"]+)" rel="next" data-testid="older"/.exec(first)?.[1].replace(/&amp;/g, '&');
      expect(older).toMatch(/^\/pushes\?tree=other&cursor=/);
      const second = (await own.app.inject({ method: 'GET', url: older! })).body;
      expect(second.match(/data-testid="push-/g)).toHaveLength(5);
      expect(second).toContain(`data-testid="push-${'0'.padStart(40, 'a')}"`);
      expect(second).not.toContain('data-testid="older"');
      expect(second).toContain('href="/pushes?tree=other">Newest</a>');
    } finally {
      await own.close();
    }
    expect((await get('/pushes?cursor=garbage')).statusCode).toBe(400);
  });
});

describe('push page', () => {
  it('shows the package × arch grid with states, durations and log links, failures first', async () => {
    const body = (await get(failedPush)).body;
    expect(body).toContain('data-testid="push-state">failed<');
    const cell = (id: string) => new RegExp(`<td [^>]*data-testid="${id}"[^>]*>`).exec(body)?.[0] ?? '';
    expect(cell('build-hello-amd64')).toContain('data-state="failed"');
    expect(cell('build-hello-i386')).toContain('data-state="succeeded"');
    expect(cell('build-app-amd64')).toContain('data-state="blocked"');
    expect(cell('build-app-i386')).toContain('data-state="none"');
    expect(body).toContain(`href="/pushes/ports/main/${COMMITS.failed}/logs/hello/amd64"`);
    expect(body).toContain('1m 05s');
    // Rows: the one with a failure first, then the blocked one, then the rest.
    const rows = ['row-hello', 'row-app', 'row-libfoo'].map((r) => body.indexOf(`data-testid="${r}"`));
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    expect(body).toContain('5 builds: 3 succeeded, 1 failed, 1 blocked');
    expect(body).toContain(`data-testid="temporal-link">push/ports/main/${COMMITS.failed}<`);
    expect(body).toContain(`http://127.0.0.1:8233/namespaces/default/workflows/push%2Fports%2Fmain%2F${COMMITS.failed}`);
  });

  it('shows each build\'s install test in its cell, with what ran and what was skipped', async () => {
    const body = (await get(`/pushes/ports/main/${COMMITS.published}`)).body;
    expect(body).toMatch(/data-testid="install-test-hello-amd64" data-test-state="passed" title="installed: hello; tests passed: smoke">install test: passed</);
    expect(body).toMatch(/data-testid="install-test-hello-i386" data-test-state="passed" title="skipped: net \(needs-internet: install tests run offline\); installed: hello; tests passed: none">install test: passed \(attempt 2\)</);
    // No install test yet (the failed push never reached the stage): no line.
    expect((await get(failedPush)).body).not.toContain('install test:');
  });

  it('says how long a running push has run (ticking, even once failed), and how long an ended one took', async () => {
    const failed = (await get(failedPush)).body;
    expect(failed).toMatch(/<dt>Running for<\/dt><dd><span data-running-since="\d+">/);
    expect(failed).not.toContain('<dt>Took</dt>');
    const done = (await get(`/pushes/ports/main/${COMMITS.published}`)).body;
    expect(done).toMatch(/<dt>Took<\/dt><dd>5m 00s \(finished /);
    expect(done).not.toContain('data-running-since');
  });

  it('says on the cell and on the build\'s page why a started build does not run yet (escaped)', async () => {
    const body = (await get(`/pushes/ports/release%2F1.x/${COMMITS.building}`)).body;
    expect(body).toContain('data-testid="note-hello-amd64">waiting for disk space: the data dir has 900 MiB free, below build.minFreeMb (2048 MiB) &lt;script&gt;');
    expect(body).not.toContain('data-testid="note-hello-i386"');
    const page = (await get(`/pushes/ports/release%2F1.x/${COMMITS.building}/logs/hello/amd64`)).body;
    expect(page).toContain('Not started yet: waiting for disk space: the data dir has 900 MiB free');
    expect(page).not.toContain(EVIL);
  });

  it('escapes what builds and requesters wrote', async () => {
    const body = (await get(failedPush)).body;
    expect(body).toContain('dpkg-buildpackage exited 2 &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(body).toContain('api:&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(body).not.toContain('<img src=x');
  });

  it('shows no action buttons to a visitor, and a live hook only while the push runs', async () => {
    const failed = (await get(failedPush)).body;
    expect(failed).not.toMatch(/data-testid="(retry|cancel)-/);
    expect(failed).toContain(`data-live-push="/ui/events/pushes/ports/main/${COMMITS.failed}"`);
    const done = (await get(`/pushes/ports/main/${COMMITS.published}`)).body;
    expect(done).not.toContain('data-live-push');
    expect(done).toContain('data-testid="publish-outcome">published<');
  });

  it('answers 404 for an unknown push, tree or branch, 400 for a malformed commit', async () => {
    expect((await get(`/pushes/ports/main/${'4'.repeat(40)}`)).statusCode).toBe(404);
    expect((await get(`/pushes/nope/main/${COMMITS.failed}`)).statusCode).toBe(404);
    const res = await get(`/pushes/ports/nope/${COMMITS.failed}`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<code>BRANCH_UNKNOWN</code>');
    expect((await get('/pushes/ports/main/xyz')).statusCode).toBe(400);
  });
});

describe('build log page', () => {
  it('shows the log, escaped, without terminal colour codes, and its build', async () => {
    const body = (await get(`${failedPush}/logs/hello/amd64`)).body;
    const log = /<pre class="log" data-testid="log"[^>]*>([\s\S]*?)<\/pre>/.exec(body);
    expect(log?.[1]).toBe('dpkg-buildpackage -b\nmake: *** [all] Error 2\n&lt;b&gt;not bold&lt;/b&gt;\nerror: build failed\n');
    expect(body).toContain('data-testid="build-state">failed<');
    expect(body).toContain(`href="/api/logs/ports/main/${COMMITS.failed}/hello/amd64"`);
    // The push waits for a retry, but this build does not write: nothing to follow.
    expect(log?.[0]).not.toContain('data-follow-url');
  });

  it('follows a build that may still write, through the API log stream', async () => {
    const body = (await get(`/pushes/ports/release%2F1.x/${COMMITS.building}/logs/hello/amd64`)).body;
    expect(body).toContain(`data-follow-url="/api/logs/ports/release%2F1.x/${COMMITS.building}/hello/amd64?follow=1&amp;tail=1000"`);
  });

  it('refuses names that are not package or arch names', async () => {
    expect((await get(`${failedPush}/logs/..%2F..%2Fetc/amd64`)).statusCode).toBe(400);
    expect((await get(`${failedPush}/logs/hello/arm64`)).statusCode).toBe(404);
  });
});

describe('repository page', () => {
  it('gives the apt lines, the key and the minisign check', async () => {
    const body = (await get('/repositories/ports/main')).body;
    expect(body).toContain('<pre class="command" data-testid="apt-source-line">deb [signed-by=/usr/share/keyrings/kiln-ports.gpg] http://127.0.0.1:8080/repos/ports/main main main</pre>');
    expect(body).toContain('echo &#39;deb [signed-by=/usr/share/keyrings/kiln-ports.gpg] http://127.0.0.1:8080/repos/ports/main main main&#39; | sudo tee /etc/apt/sources.list.d/kiln-ports-main.list');
    expect(body).toContain('sudo curl -fsSLo /usr/share/keyrings/kiln-ports.gpg http://127.0.0.1:8080/repos/ports/main/kiln-archive-keyring.gpg');
    expect(body).toContain('minisign -Vm Release -p minisign.pub');
    expect(body).toContain('http://127.0.0.1:8080/repos/ports/main/dists/main/Release.minisig');
  });

  it('lists the snapshots and the current packages', async () => {
    const body = (await get('/repositories/ports/main')).body;
    expect(body).toContain('data-testid="snapshots"');
    expect(body).toMatch(/data-testid="snapshot-2" aria-current="true">/);
    expect(body).toContain('data-testid="snapshot-1"');
    expect(body).toContain(`href="/pushes/ports/main/${COMMITS.published}"`);
    expect(body).toContain('Current snapshot: #2');
    expect(body).toMatch(/data-testid="package-libfoo"><th scope="row">libfoo<\/th><td class="mono">2\.0-1<\/td>/);
    expect(body).not.toContain('data-testid="rollback-');
  });

  it('shows the difference between two snapshots', async () => {
    const body = (await get('/repositories/ports/main?from=1&to=2')).body;
    expect(body).toContain('data-testid="diff"');
    expect(body).toContain('data-testid="diff-added-libfoo"');
    expect(body).toContain('data-testid="diff-removed-oldie"');
    expect(body).toMatch(/data-testid="diff-changed-hello">.*0\.9-1.*1\.0-1/);
    expect((await get('/repositories/ports/main?from=1&to=7')).statusCode).toBe(404);
    expect((await get('/repositories/ports/main?from=1')).statusCode).toBe(400);
  });

  it('works before the first publish, and encodes a branch with a slash', async () => {
    const res = await get('/repositories/ports/release%2F1.x');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('http://127.0.0.1:8080/repos/ports/release%2F1.x release-1.x main');
    expect(res.body).toContain('Nothing is published yet');
  });
});

describe('events', () => {
  it('lists what happened, newest first', async () => {
    const body = (await get('/events')).body;
    const kinds = [...body.matchAll(/data-kind="([a-z-]+)"/g)].map((m) => m[1]);
    expect(kinds).toEqual(['failed', 'started', 'started', 'published', 'started']);
    expect(body).toContain('published as snapshot #2');
    expect((await get('/events?tree=other')).body).toContain('Nothing happened yet.');
  });

  it('says that a push ended (cancelled) after builds had failed', async () => {
    f.writeRecord({ ...RECORDS.failed, state: 'cancelled', finishedAt: RECORDS.failed.startedAt + 1_000 });
    try {
      expect((await get('/events')).body).toContain('cancelled, after 1 build failed');
    } finally {
      f.writeRecord(RECORDS.failed);
    }
  });
});
