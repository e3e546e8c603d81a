import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './api-client';
import { ApiError, EXIT, isTransient } from './cli-error';
import { SseParser } from './sse-parser';

// `kiln logs --follow`: the log route's Server-Sent Events (`log` {offset, text}, then `end` {state, pushState}).
// A connection that drops before `end` is opened again with Last-Event-ID, so the text goes on where it stopped.

export interface LogEnd {
  /** The build's state when the log stopped growing. */
  state: string;
  pushState: string;
}

export interface FollowOptions {
  /** Start with the last N lines. */
  tail?: number;
  /** The pause before reconnecting. */
  pollMs: number;
  /** Reconnections in a row that brought nothing before giving up. Default 10. */
  maxReconnects?: number;
  onText(text: string, offset: number): void;
  /** Told when a dropped connection is opened again. */
  onReconnect?(attempt: number, why: string): void;
}

export async function followLog(client: ApiClient, logPath: string, opts: FollowOptions): Promise<LogEnd> {
  const maxReconnects = opts.maxReconnects ?? 10;
  let lastId: string | undefined;
  let failures = 0;
  for (;;) {
    let why: string;
    try {
      const headers: Record<string, string> = lastId === undefined ? {} : { 'last-event-id': lastId };
      const res = await client.stream(logPath, { follow: '1', tail: lastId === undefined ? opts.tail : undefined }, headers);
      const end = await readEvents(res, (id) => { lastId = id; failures = 0; }, opts.onText);
      if (end) return end;
      why = 'the connection closed before the log ended';
    } catch (err) {
      if (!isTransient(err) && !(err instanceof TypeError)) throw err; // TypeError: the body's stream broke off
      if (++failures > maxReconnects) throw err;
      why = err instanceof Error ? err.message : String(err);
      opts.onReconnect?.(failures, why);
      await sleep(opts.pollMs);
      continue;
    }
    if (++failures > maxReconnects) throw new ApiError('KILN_UNREACHABLE', `following ${logPath}: ${why}, ${maxReconnects} times in a row`);
    opts.onReconnect?.(failures, why);
    await sleep(opts.pollMs);
  }
}

/** Reads one connection's events: the `end` event's data, or undefined when the stream stopped without one. */
async function readEvents(res: Response, onId: (id: string) => void, onText: FollowOptions['onText']): Promise<LogEnd | undefined> {
  if (!res.body) return undefined;
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return undefined;
      for (const event of parser.feed(decoder.decode(value, { stream: true }))) {
        if (event.event === 'log') {
          const { offset, text } = JSON.parse(event.data) as { offset: number; text: string };
          onText(text, offset);
          if (event.id !== '') onId(event.id);
        } else if (event.event === 'end') {
          return JSON.parse(event.data) as LogEnd;
        } else if (event.event === 'error') {
          const error = JSON.parse(event.data) as { code?: string; message?: string };
          throw new ApiError(error.code ?? 'INTERNAL', error.message ?? 'following the log failed', 500, EXIT.unreachable);
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
