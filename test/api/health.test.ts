import { describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { parseConfig } from '../../domain/config';
import { routeTestApp } from '../helpers/app';

const ok = async () => undefined;
const down = (why: string) => async () => { throw new Error(why); };

describe('GET /healthz', () => {
  it('is 200 when Temporal and Docker answer', async () => {
    const { app } = routeTestApp({ temporal: ok, docker: ok });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, checks: { temporal: { ok: true }, docker: { ok: true } } });
  });

  it('is 503 naming what is down', async () => {
    const { app } = routeTestApp({ temporal: ok, docker: down('socket refused') });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ok: false, checks: { temporal: { ok: true }, docker: { ok: false, error: 'socket refused' } } });
  });

  it('checks only what api.healthChecks lists (an API without a Docker engine: Temporal only)', async () => {
    const config = parseConfig([
      'dataDir: /tmp/kiln-health', 'api: { healthChecks: [temporal] }', 'trees:',
      '  - { name: ports, url: /srv/ports, format: deb, distribution: bookworm, branches: [main], architectures: [amd64] }',
    ].join('\n'), '/tmp', {});
    const app = buildApp({ config, health: { temporal: ok, docker: down('no socket here') }, intake: async () => ({ workflowId: '' }) });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, checks: { temporal: { ok: true } } });
    expect(res.headers['server-timing']).not.toContain('docker');
  });

  it('unknown routes get a coded 404', async () => {
    const { app } = routeTestApp({ temporal: ok, docker: ok });
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });
});
