import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { parseConfig } from '../../domain/config';
import { routeTestApp } from '../helpers/app';

const ok = async () => undefined;
const down = (why: string) => async () => { throw new Error(why); };
/** The data dir's report on this machine's roomy test disk, at the default build.minFreeMb (2048). */
const roomy = { ok: true, freeBytes: expect.any(Number), minFreeBytes: 2048 * 1048576 };

describe('GET /healthz', () => {
  it('is 200 when Temporal and Docker answer', async () => {
    const { app } = routeTestApp({ temporal: ok, docker: ok });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, checks: { temporal: { ok: true }, docker: { ok: true }, dataDir: roomy } });
  });

  it('is 503 naming what is down', async () => {
    const { app } = routeTestApp({ temporal: ok, docker: down('socket refused') });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ok: false, checks: { temporal: { ok: true }, docker: { ok: false, error: 'socket refused' }, dataDir: roomy } });
  });

  it('checks only what api.healthChecks lists (an API without a Docker engine: Temporal only)', async () => {
    const config = parseConfig([
      'dataDir: /tmp/kiln-health', 'api: { healthChecks: [temporal] }', 'trees:',
      '  - { name: ports, url: /srv/ports, format: deb, distribution: bookworm, branches: [main], architectures: [amd64] }',
    ].join('\n'), '/tmp', {});
    const app = buildApp({ config, health: { temporal: ok, docker: down('no socket here') }, intake: async () => ({ workflowId: '' }) });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, checks: { temporal: { ok: true }, dataDir: roomy } });
    expect(res.headers['server-timing']).not.toContain('docker');
  });

  it('is 503 when the data dir has less room than build.minFreeMb, saying builds wait; 0 never waits', async () => {
    const free = (await fs.promises.statfs(os.tmpdir())).bavail * (await fs.promises.statfs(os.tmpdir())).bsize;
    const wanted = Math.ceil(free / 1048576) + 1_000_000; // more than the disk has
    const tree = '  - { name: ports, url: /srv/ports, format: deb, distribution: bookworm, branches: [main], architectures: [amd64], build: { minFreeMb: 0 } }';
    const config = parseConfig([`dataDir: ${path.join(os.tmpdir(), 'kiln-health-not-made-yet')}`, `build: { minFreeMb: ${wanted} }`, 'trees:', tree].join('\n'), '/tmp', {});
    const app = buildApp({ config, health: { temporal: ok, docker: ok }, intake: async () => ({ workflowId: '' }) });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body.ok).toBe(false);
    expect(body.checks.dataDir).toMatchObject({ ok: false, minFreeBytes: wanted * 1048576 });
    expect(body.checks.dataDir.freeBytes).toBeGreaterThan(0);
    expect(body.checks.dataDir.error).toMatch(/^the data dir has \d+ MiB free, below build.minFreeMb \(\d+ MiB\): builds wait until there is room$/);

    // The tree's 0 does not lower the threshold (0 means that tree never waits, not "no room needed" for the others).
    const never = parseConfig(['dataDir: /tmp/kiln-health', 'build: { minFreeMb: 0 }', 'trees:', tree].join('\n'), '/tmp', {});
    const roomyApp = buildApp({ config: never, health: { temporal: ok, docker: ok }, intake: async () => ({ workflowId: '' }) });
    const answer = await roomyApp.inject({ method: 'GET', url: '/healthz' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json().checks.dataDir).toMatchObject({ ok: true, minFreeBytes: 0 });
  });

  it('unknown routes get a coded 404', async () => {
    const { app } = routeTestApp({ temporal: ok, docker: ok });
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });
});
