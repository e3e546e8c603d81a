import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushWatches, type WatchState } from '../../../api/ui/push-watch';
import { COMMITS, RECORDS, uiFixture, type UiFixture } from './ui-fixture';

let f: UiFixture;
let base: string;
beforeAll(async () => {
  f = await uiFixture({ pollMs: 30 });
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => { await f.close(); });

interface SseEvent { event: string; data: string }

/** A real connection to an event stream: events as they come, and a way to hang up. */
function connect(url: string): { next(): Promise<SseEvent>; close(): void; status: Promise<number>; ended: Promise<SseEvent[]> } {
  const queue: SseEvent[] = [];
  const waiting: Array<(e: SseEvent) => void> = [];
  let buffer = '';
  let resolveStatus: (s: number) => void = () => {};
  const status = new Promise<number>((r) => { resolveStatus = r; });
  let resolveEnded: (events: SseEvent[]) => void = () => {};
  const ended = new Promise<SseEvent[]>((r) => { resolveEnded = r; });
  const req = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || data === undefined) continue;
        const e = { event, data };
        const w = waiting.shift();
        if (w) w(e); else queue.push(e);
      }
    });
    res.on('end', () => resolveEnded(queue));
  });
  req.on('error', () => undefined);
  return {
    status,
    ended,
    next: () => {
      const e = queue.shift();
      return e ? Promise.resolve(e) : new Promise<SseEvent>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no event within 5 s')), 5_000);
        waiting.push((x) => { clearTimeout(timer); resolve(x); });
      });
    },
    close: () => req.destroy(),
  };
}

describe('live push events', () => {
  it('sends a finished push once, then end, and closes', async () => {
    const res = await f.app.inject({ method: 'GET', url: `/ui/events/pushes/ports/main/${COMMITS.published}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = [...res.body.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => [m[1], m[2]]);
    expect(events.map((e) => e[0])).toEqual(['push', 'end']);
    const push = JSON.parse(events[0][1]) as { state: string; builds: Array<{ source: string; arch: string; state: string }> };
    expect(push.state).toBe('succeeded');
    expect(push.builds).toHaveLength(2);
  });

  it('answers 404 for an unknown push', async () => {
    expect((await f.app.inject({ method: 'GET', url: `/ui/events/pushes/ports/main/${'4'.repeat(40)}` })).statusCode).toBe(404);
  });

  it('sends the running push, each change, end when it ends; and stops polling when the page goes away', async () => {
    const id = RECORDS.building.workflowId;
    const url = `${base}/ui/events/pushes/ports/release%2F1.x/${COMMITS.building}`;
    const stream = connect(url);
    expect(await stream.status).toBe(200);
    const first = await stream.next();
    expect(first.event).toBe('push');
    expect(JSON.parse(first.data)).toMatchObject({ state: 'building', running: true, source: 'live' });

    // A build finishes: the page hears of it.
    const changed = { ...RECORDS.building, builds: RECORDS.building.builds.map((b) => (b.arch === 'amd64' ? { ...b, state: 'succeeded' as const, finishedAt: b.startedAt! + 5_000 } : b)) };
    f.live.set(id, changed);
    const second = await stream.next();
    expect(second.event).toBe('push');
    expect((JSON.parse(second.data) as { builds: Array<{ arch: string; state: string }> }).builds.find((b) => b.arch === 'amd64')?.state).toBe('succeeded');

    // The page goes away: no more polling for it.
    stream.close();
    await sleep(150);
    const after = f.liveQueries();
    await sleep(200);
    expect(f.liveQueries()).toBe(after);

    // Another page follows it to the end.
    const again = connect(url);
    expect((await again.next()).event).toBe('push');
    f.live.delete(id);
    f.writeRecord({ ...changed, state: 'cancelled', finishedAt: changed.startedAt + 10_000 });
    try {
      const last = await again.next();
      expect(last.event).toBe('push');
      expect(JSON.parse(last.data)).toMatchObject({ state: 'cancelled', running: false });
      expect((await again.next()).event).toBe('end');
      const count = f.liveQueries();
      await sleep(150);
      expect(f.liveQueries()).toBe(count);
    } finally {
      again.close();
      f.writeRecord(RECORDS.building);
      f.live.set(id, RECORDS.building);
    }
  });
});

describe('closing the server', () => {
  it('ends open streams (without `end`: the page comes back) instead of waiting for them', async () => {
    const own = await uiFixture({ pollMs: 30 });
    await own.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (own.app.server.address() as AddressInfo).port;
    const stream = connect(`http://127.0.0.1:${port}/ui/events/pushes/ports/main/${COMMITS.failed}`);
    expect((await stream.next()).event).toBe('push');
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await stream.ended).toEqual([]);
  });
});

describe('PushWatches', () => {
  it('polls once per push for all its listeners, and not at all once they left', async () => {
    const watches = new PushWatches(10);
    let loads = 0;
    let n = 0;
    const load = async (): Promise<WatchState> => { loads++; return { json: String(Math.floor(n++ / 3)), ended: false }; };
    const seen: string[][] = [[], []];
    const a = watches.subscribe('k', load, { update: (j) => seen[0].push(j), end: () => undefined, stop: () => undefined });
    await sleep(25);
    const b = watches.subscribe('k', load, { update: (j) => seen[1].push(j), end: () => undefined, stop: () => undefined });
    expect(seen[1].length).toBe(1); // the last state at once
    await sleep(60);
    expect(watches.active).toBe(1);
    a();
    b();
    expect(watches.active).toBe(0);
    const stopped = loads;
    await sleep(50);
    expect(loads).toBe(stopped);
    expect(seen[0].length).toBeGreaterThan(1);
    expect(new Set(seen[0]).size).toBe(seen[0].length); // only changes
  });

  it('ends its listeners when the push ends or the server closes', async () => {
    const watches = new PushWatches(10);
    const ended: string[] = [];
    watches.subscribe('done', async () => ({ json: '{}', ended: true }), { update: () => undefined, end: () => ended.push('done'), stop: () => ended.push('done stopped') });
    watches.subscribe('running', async () => ({ json: '{}', ended: false }), { update: () => undefined, end: () => ended.push('running'), stop: () => ended.push('running stopped') });
    await sleep(20);
    expect(ended).toEqual(['done']);
    watches.closeAll();
    expect(ended).toEqual(['done', 'running stopped']);
    expect(watches.active).toBe(0);
  });
});
