import { describe, expect, it } from 'vitest';
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

  it('unknown routes get a coded 404', async () => {
    const { app } = routeTestApp({ temporal: ok, docker: ok });
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });
});
