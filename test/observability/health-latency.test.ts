import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { healthRoutes, healthSchema } from '../../api/routes/health';
import { routeTestApp } from '../helpers/app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function timings(header: string | string[] | number | undefined): Record<string, { dur: number; desc: string }> {
  const out: Record<string, { dur: number; desc: string }> = {};
  for (const part of String(header).split(', ')) {
    const m = /^(\w+);dur=(\d+(?:\.\d+)?);desc="(ok|failed)"$/.exec(part);
    if (!m) throw new Error(`bad Server-Timing entry ${part}`);
    out[m[1]] = { dur: Number(m[2]), desc: m[3] };
  }
  return out;
}

describe('/healthz latency', () => {
  it('reports each check\'s latency in Server-Timing', async () => {
    const { app } = routeTestApp({ temporal: async () => { await sleep(30); return undefined; }, docker: async () => undefined });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const t = timings(res.headers['server-timing']);
    expect(t.temporal.desc).toBe('ok');
    expect(t.temporal.dur).toBeGreaterThanOrEqual(25);
    expect(t.docker.dur).toBeLessThan(t.temporal.dur);
  });

  it('is 503 when a check does not answer in time, naming the timeout', async () => {
    const app = Fastify();
    app.addSchema(healthSchema);
    healthRoutes(app, { temporal: async () => undefined, docker: () => new Promise(() => undefined) }, { timeoutMs: 50 });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ok: false, checks: { temporal: { ok: true }, docker: { ok: false, error: 'no answer within 50 ms' } } });
    expect(timings(res.headers['server-timing']).docker).toMatchObject({ desc: 'failed' });
  });
});
