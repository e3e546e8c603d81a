import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchStatus } from '../../../api/ui/branch-status';
import { RECORDS, uiFixture, type UiFixture } from './ui-fixture';

let f: UiFixture;
beforeAll(async () => { f = await uiFixture(); });
afterAll(async () => { await f.close(); });

const badge = (url: string) => f.app.inject({ method: 'GET', url });

describe('status badges', () => {
  it('is an SVG, never cached, saying where the branch stands', async () => {
    const res = await badge('/badge/ports/main.svg');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.headers['cache-control']).toContain('no-cache');
    expect(res.body).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="20" role="img" aria-label="kiln: failed">/);
    expect(res.body).toContain('<title>kiln: failed</title>');
    expect(res.body).toContain('#e05d44');
  });

  it('encodes a branch with a slash as one segment', async () => {
    const res = await badge('/badge/ports/release%2F1.x.svg');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('aria-label="kiln: building"');
    expect(res.body).toContain('#007ec6');
  });

  it('says published #N in green once the last push published', async () => {
    f.live.delete(RECORDS.failed.workflowId);
    f.writeRecord({ ...RECORDS.failed, state: 'cancelled', finishedAt: RECORDS.failed.startedAt + 1000 });
    try {
      const res = await badge('/badge/ports/main.svg');
      expect(res.body).toContain('aria-label="kiln: published #2"');
      expect(res.body).toContain('#2ea043');
    } finally {
      f.writeRecord(RECORDS.failed);
      f.live.set(RECORDS.failed.workflowId, RECORDS.failed);
    }
  });

  it('answers 404 with a grey badge for what is not configured', async () => {
    for (const url of ['/badge/nope/main.svg', '/badge/ports/nope.svg', '/badge/ports/main.png']) {
      const res = await badge(url);
      expect(res.statusCode).toBe(404);
      expect(res.body).toContain('kiln: unknown branch');
    }
  });

  it('has a word for every state', () => {
    expect(branchStatus({})).toEqual({ message: 'not pushed', tone: 'idle' });
    expect(branchStatus({ snapshot: { number: 7 } })).toEqual({ message: 'published #7', tone: 'ok' });
    expect(branchStatus({ snapshot: { number: 7 }, lastPush: { state: 'building' } })).toEqual({ message: 'building', tone: 'active' });
    expect(branchStatus({ snapshot: { number: 7 }, lastPush: { state: 'failed' } })).toEqual({ message: 'failed', tone: 'bad' });
    expect(branchStatus({ snapshot: { number: 7 }, lastPush: { state: 'superseded' } })).toEqual({ message: 'published #7', tone: 'ok' });
    expect(branchStatus({ lastPush: { state: 'cancelled' } })).toEqual({ message: 'cancelled', tone: 'idle' });
  });
});
