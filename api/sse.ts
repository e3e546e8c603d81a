import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * Take the response over for Server-Sent Events: headers that keep proxies from buffering or caching it, and a
 * reconnect delay for the browser. `connection: 'close'` when the stream's end is the connection's end.
 */
export function startEventStream(reply: FastifyReply, connection: 'close' | 'keep-alive'): ServerResponse {
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'x-accel-buffering': 'no',
    connection,
  });
  raw.write('retry: 3000\n\n');
  return raw;
}
