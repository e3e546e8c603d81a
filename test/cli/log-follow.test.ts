import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/api-client';
import { followLog, type LogEnd } from '../../cli/log-follow';

// Following a log over connections that drop: a fake fetch answers each connection with the events given, and
// records the Last-Event-ID each reconnection sent.

type Answer = string | Error | Response;

function fakeApi(answers: Answer[]) {
  const asked: Array<{ url: string; lastEventId?: string }> = [];
  const fetchFake = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    asked.push({ url: String(input), lastEventId: headers.get('last-event-id') ?? undefined });
    const answer = answers.shift();
    if (answer === undefined) throw new Error('asked once too often');
    if (answer instanceof Error) throw new TypeError('fetch failed', { cause: answer });
    if (answer instanceof Response) return answer;
    return new Response(answer, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }) as typeof fetch;
  return { client: new ApiClient('http://kiln.test', 'kiln_token', { fetch: fetchFake }), asked };
}

const log = (offset: number, text: string) => `id: ${offset + text.length}\nevent: log\ndata: ${JSON.stringify({ offset, text })}\n\n`;
const end = (state: string) => `event: end\ndata: ${JSON.stringify({ state, pushState: 'failed' })}\n\n`;

type Outcome = { end?: LogEnd; error?: Error & { code?: string } };

async function follow(answers: Answer[], opts: { tail?: number; maxReconnects?: number } = {}) {
  const { client, asked } = fakeApi(answers);
  let text = '';
  const reconnects: string[] = [];
  const result = await followLog(client, '/api/logs/t/main/c/hello/amd64', {
    pollMs: 1, ...opts, onText: (t) => { text += t; }, onReconnect: (_n, why) => reconnects.push(why),
  }).then(
    (e): Outcome => ({ end: e }),
    (err: unknown): Outcome => ({ error: err as Error & { code?: string } }),
  );
  return { ...result, text, asked, reconnects };
}

describe('followLog', () => {
  it('reads log events until the end event', async () => {
    const r = await follow([`retry: 3000\n\n${log(0, 'one\n')}${log(4, 'two\n')}${end('succeeded')}`], { tail: 5 });
    expect(r.end).toEqual({ state: 'succeeded', pushState: 'failed' });
    expect(r.text).toBe('one\ntwo\n');
    expect(r.asked).toEqual([{ url: 'http://kiln.test/api/logs/t/main/c/hello/amd64?follow=1&tail=5', lastEventId: undefined }]);
  });

  it('reconnects with Last-Event-ID when the stream ends early, without the tail', async () => {
    const r = await follow([log(0, 'hello\n'), `${log(6, 'world\n')}${end('failed')}`], { tail: 5 });
    expect(r.end?.state).toBe('failed');
    expect(r.text).toBe('hello\nworld\n');
    expect(r.asked.map((a) => a.lastEventId)).toEqual([undefined, '6']);
    expect(r.asked[1].url).toBe('http://kiln.test/api/logs/t/main/c/hello/amd64?follow=1');
    expect(r.reconnects).toEqual(['the connection closed before the log ended']);
  });

  it('reconnects when Kiln does not answer for a moment', async () => {
    const r = await follow([new Error('ECONNREFUSED'), new Response('{"error":{"code":"TEMPORAL_UNAVAILABLE","message":"x"}}', { status: 503 }), end('succeeded')]);
    expect(r.end?.state).toBe('succeeded');
    expect(r.reconnects).toHaveLength(2);
  });

  it('gives up after so many reconnections that brought nothing', async () => {
    const r = await follow(['', '', '', ''], { maxReconnects: 2 });
    expect(r.error?.code).toBe('KILN_UNREACHABLE');
    expect(r.asked).toHaveLength(3);
  });

  it('does not retry what the API refused', async () => {
    const r = await follow([new Response('{"error":{"code":"LOG_UNKNOWN","message":"no log"}}', { status: 404 })]);
    expect(r.error?.code).toBe('LOG_UNKNOWN');
    expect(r.asked).toHaveLength(1);
  });
});
