import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildStatus } from '../../../domain/build-graph';
import type { PushRef } from '../../../domain/data-layout';
import { until as pollUntil } from '../../helpers/until';
import { COMMITS, pushStatus, restFixture, seg, writeLog, writeRecord, type RestFixture } from './rest-fixture';

// Following a build log (Server-Sent Events) over a real connection, with a file that grows and a push whose build
// state the fake Temporal reports.

let f: RestFixture;
let base: string;

beforeAll(async () => {
  f = await restFixture({ logFollow: { pollMs: 10, statusMs: 10, keepAliveMs: 50 } });
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => { await f.app.close(); });

let n = 0;
/** A fresh push of release/1.x whose build hello/amd64 is in `state` (live), and its log URL and file. */
function runningPush(state: BuildStatus['state']): { push: PushRef; url: string; file: string; setState: (s: BuildStatus['state']) => void } {
  const commit = (++n).toString(16).padStart(40, '0');
  const push = { tree: 'ports', branch: 'release/1.x', commit };
  const status = pushStatus(push, { state: 'building', finishedAt: undefined });
  const setState = (s: BuildStatus['state']) => {
    status.builds = status.builds.map((b) => (b.arch === 'amd64' ? { ...b, state: s } : b));
    f.control.live.set(status.workflowId, { ...status });
  };
  setState(state);
  return { push, url: `${base}/api/logs/ports/${seg(push.branch)}/${commit}/hello/amd64`, file: f.layout.buildLog(push, 'hello', 'amd64'), setState };
}

interface SseEvent { event?: string; id?: string; data?: string }

/** An SSE client that keeps every event; `closed` resolves when the server ends the stream. */
function follow(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  let raw = '';
  let status = 0;
  let contentType = '';
  let request!: http.ClientRequest;
  const closed = new Promise<void>((resolve, reject) => {
    request = http.get(url, { headers }, (res) => {
      status = res.statusCode ?? 0;
      contentType = String(res.headers['content-type']);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        let end: number;
        while ((end = raw.indexOf('\n\n')) !== -1) {
          const block = raw.slice(0, end);
          raw = raw.slice(end + 2);
          const event: SseEvent = {};
          for (const line of block.split('\n')) {
            const m = /^(event|id|data): ?(.*)$/.exec(line);
            if (m) event[m[1] as keyof SseEvent] = m[2];
          }
          if (event.event || event.data) events.push(event);
        }
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    request.on('error', reject);
  });
  const text = () => events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data!).text as string).join('');
  return { events, closed, text, status: () => status, contentType: () => contentType, abort: () => request.destroy() };
}

const until = (what: string, check: () => boolean, ms = 5_000) => pollUntil(what, check, ms, 5);

/** Open file descriptors of this process on `file`. */
function openHandlesOn(file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try { return fs.readlinkSync(`/proc/self/fd/${fd}`) === file; } catch { return false; }
  }).length;
}

describe('following a build log', () => {
  it('sends what the log has, then what is appended, then `end` once the build is done', async () => {
    const { url, file, setState, push } = runningPush('building');
    writeLog(f.layout, push, 'hello', 'amd64', 'first line\n');
    const client = follow(`${url}?follow=1`);
    await until('the existing content', () => client.text() === 'first line\n');
    expect(client.status()).toBe(200);
    expect(client.contentType()).toBe('text/event-stream; charset=utf-8');

    fs.appendFileSync(file, 'second ');
    await until('the first append', () => client.text() === 'first line\nsecond ');
    fs.appendFileSync(file, 'line\r\n\u001b[1mbold\u001b[0m\n');
    await until('the second append', () => client.text().endsWith('bold\u001b[0m\n'));

    fs.appendFileSync(file, 'last words\n');
    setState('succeeded');
    await client.closed;
    expect(client.text()).toBe(fs.readFileSync(file, 'utf8'));
    const end = client.events[client.events.length - 1];
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data!)).toEqual({ state: 'succeeded', pushState: 'building' });
    // Each log event says where it is: ids are the byte offset after it.
    const logs = client.events.filter((e) => e.event === 'log');
    expect(Number(logs[logs.length - 1].id)).toBe(fs.statSync(file).size);
    for (const e of logs) expect(Number(e.id) - JSON.parse(e.data!).offset).toBe(Buffer.byteLength(JSON.parse(e.data!).text));
  });

  it('follows on Accept: text/event-stream too', async () => {
    const { url, push, setState } = runningPush('building');
    writeLog(f.layout, push, 'hello', 'amd64', 'hello\n');
    const client = follow(url, { accept: 'text/event-stream' });
    await until('content', () => client.text() === 'hello\n');
    setState('failed');
    await client.closed;
    expect(JSON.parse(client.events[client.events.length - 1].data!).state).toBe('failed');
  });

  it('waits for the log of a build that has not started', async () => {
    const { url, push, setState } = runningPush('waiting');
    const client = follow(`${url}?follow=1`);
    await new Promise((r) => setTimeout(r, 50));
    expect(client.text()).toBe('');
    setState('building');
    writeLog(f.layout, push, 'hello', 'amd64', 'started\n');
    await until('the new log', () => client.text() === 'started\n');
    setState('succeeded');
    await client.closed;
  });

  it('sends a finished build\'s log and ends at once', async () => {
    const push = { tree: 'ports', branch: 'main', commit: COMMITS.d };
    writeRecord(f.layout, pushStatus(push));
    writeLog(f.layout, push, 'hello', 'amd64', 'all done\n');
    const client = follow(`${base}/api/logs/ports/main/${COMMITS.d}/hello/amd64?follow=1`);
    await client.closed;
    expect(client.text()).toBe('all done\n');
    expect(client.events.map((e) => e.event)).toEqual(['log', 'end']);
  });

  it('answers LOG_UNKNOWN when there is no log and none is coming', async () => {
    const res = await f.app.inject({ method: 'GET', url: `/api/logs/ports/main/${COMMITS.d}/nothing/amd64?follow=1` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('LOG_UNKNOWN');
  });

  it('resumes from Last-Event-ID, and starts at ?tail lines', async () => {
    const { url, push, setState } = runningPush('building');
    writeLog(f.layout, push, 'hello', 'amd64', 'one\ntwo\nthree\n');
    setState('succeeded');
    const resumed = follow(`${url}?follow=1`, { 'last-event-id': '4' });
    await resumed.closed;
    expect(resumed.text()).toBe('two\nthree\n');
    const tail = follow(`${url}?follow=1&tail=1`);
    await tail.closed;
    expect(tail.text()).toBe('three\n');
  });

  it('never splits a character between events', async () => {
    const { url, push, file, setState } = runningPush('building');
    const euro = Buffer.from('€'); // 3 bytes
    writeLog(f.layout, push, 'hello', 'amd64', '');
    fs.appendFileSync(file, Buffer.concat([Buffer.from('price: '), euro.subarray(0, 1)]));
    const client = follow(`${url}?follow=1`);
    await until('the complete part', () => client.text() === 'price: ');
    await new Promise((r) => setTimeout(r, 30));
    fs.appendFileSync(file, Buffer.concat([euro.subarray(1), Buffer.from('5\n')]));
    await until('the rest', () => client.text() === 'price: €5\n');
    setState('succeeded');
    await client.closed;
    expect(client.text()).not.toContain('\ufffd');
  });

  it('sends keep-alive comments while nothing happens', async () => {
    const { url, push, setState } = runningPush('building');
    writeLog(f.layout, push, 'hello', 'amd64', '');
    let raw = '';
    const req = http.get(`${url}?follow=1`, (res) => { res.setEncoding('utf8'); res.on('data', (c: string) => { raw += c; }); });
    await until('a keep-alive', () => raw.includes(': keep-alive\n\n'));
    setState('succeeded');
    req.destroy();
  });

  it('lets go of the file and its timers when the client goes away', async () => {
    const { url, push, file } = runningPush('building');
    writeLog(f.layout, push, 'hello', 'amd64', 'some output\n');
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const client = follow(`${url}?follow=1`);
    await until('content', () => client.text() === 'some output\n');
    expect(openHandlesOn(file)).toBe(1);
    client.abort();
    await until('the file to be closed', () => openHandlesOn(file) === 0);
    await until('the timers to be cleared', () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length <= timersBefore);
  });

  it('ends open follows when the server closes', async () => {
    const g = await restFixture({ logFollow: { pollMs: 10, statusMs: 10, keepAliveMs: 1_000 } });
    await g.app.listen({ host: '127.0.0.1', port: 0 });
    const push = { tree: 'ports', branch: 'main', commit: COMMITS.a };
    const status = pushStatus(push, { state: 'building', builds: [{ ...pushStatus(push).builds[0], state: 'building' }] });
    g.control.live.set(status.workflowId, status);
    const file = writeLog(g.layout, push, 'hello', 'amd64', 'going on\n');
    const client = follow(`http://127.0.0.1:${(g.app.server.address() as AddressInfo).port}/api/logs/ports/main/${COMMITS.a}/hello/amd64?follow=1`);
    await until('content', () => client.text() === 'going on\n');
    await g.app.close();
    await client.closed;
    expect(openHandlesOn(file)).toBe(0);
  });
});
