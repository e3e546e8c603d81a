import { once } from 'node:events';
import { startEventStream } from '../sse';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PushRef } from '../../domain/data-layout';
import { KilnError } from '../../domain/errors';
import type { ApiRouteOptions } from '../app';
import { configuredBranch } from '../data/branches';
import { buildLogFile, followLog, openLog, readTail } from '../data/build-logs';
import { buildMayWrite, pushStatusOf, type PushStatusView } from '../data/push-view';
import { errorResponses, PARAM } from './openapi';
import { parseByteRange } from './repos';

type LogParams = { tree: string; branch: string; commit: string; source: string; arch: string };
type LogQuery = { tail?: number; follow?: '1' | 'true' | '0' | 'false' };

export interface LogFollowTimings {
  /** How often a followed log is looked at for new bytes. Default 500 ms. */
  pollMs?: number;
  /** How often the push is asked whether the build still runs. Default 2 s. */
  statusMs?: number;
  /** Comment lines that keep proxies from closing a quiet stream. Default 15 s. */
  keepAliveMs?: number;
}

const TEXT = 'text/plain; charset=utf-8';

/**
 * GET /api/logs/<tree>/<branch>/<commit>/<source>/<arch>: a build's log. Whole, a byte range (`Range`), the last lines
 * (`?tail=N`), or followed (`?follow=1` or `Accept: text/event-stream`): Server-Sent Events with what the log has,
 * then what is appended, then `event: end` once the build no longer runs.
 */
export async function logRoutes(app: FastifyInstance, opts: ApiRouteOptions & { follow?: LogFollowTimings }): Promise<void> {
  const pollMs = opts.follow?.pollMs ?? 500;
  const statusMs = opts.follow?.statusMs ?? 2_000;
  const keepAliveMs = opts.follow?.keepAliveMs ?? 15_000;
  const follows = new Map<AbortController, Promise<void>>();
  // Open streams would keep the server from closing: end them (and wait until they have) first.
  app.addHook('preClose', async () => {
    for (const aborter of follows.keys()) aborter.abort();
    await Promise.all(follows.values());
  });

  app.get<{ Params: LogParams; Querystring: LogQuery }>('/api/logs/:tree/:branch/:commit/:source/:arch', {
    onRequest: opts.readGuard,
    schema: {
      tags: ['logs'],
      summary: 'A build log: whole, a byte range, the last lines, or followed as Server-Sent Events',
      description: 'Plain text, with `Range: bytes=...` support. `?tail=N`: the last N lines. `?follow=1` or '
        + '`Accept: text/event-stream`: Server-Sent Events; each `log` event\'s data is `{"offset","text"}` (offset: '
        + 'byte position of the text in the log) and its id is the byte position after it, so a reconnecting client '
        + '(`Last-Event-ID`) resumes where it was; `end` comes once the build no longer runs (its data: '
        + '`{"state","pushState"}`), and the stream closes. A build that is retried appends to its log: follow it again.',
      security: opts.readSecurity,
      params: {
        type: 'object',
        required: ['tree', 'branch', 'commit', 'source', 'arch'],
        properties: { tree: PARAM.tree, branch: PARAM.branch, commit: PARAM.commit, source: PARAM.source, arch: PARAM.arch },
      },
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          tail: { type: 'integer', minimum: 1, maximum: 100_000, description: 'Only the last N lines (with follow: start there).' },
          follow: { type: 'string', enum: ['1', 'true', '0', 'false'], description: '1 (or true): Server-Sent Events, as the log grows; 0 (or false): plain text even when the client accepts events.' },
        },
      },
      response: {
        200: {
          description: 'The log (text/plain), or its events (text/event-stream).',
          content: { 'text/plain': { schema: { type: 'string' } }, 'text/event-stream': { schema: { type: 'string' } } },
        },
        206: { description: 'The requested byte range.', content: { 'text/plain': { schema: { type: 'string' } } } },
        ...errorResponses(400, 401, 404, 416),
      },
    },
  }, async (request, reply) => {
    const { tree, branch, commit, source, arch } = request.params;
    const treeConfig = configuredBranch(opts.config, tree, branch);
    if (!(treeConfig.architectures as readonly string[]).includes(arch)) {
      throw new KilnError('LOG_UNKNOWN', `tree "${tree}" does not build for ${arch} (it builds ${treeConfig.architectures.join(', ')})`);
    }
    const push: PushRef = { tree, branch, commit };
    const file = buildLogFile(opts.layout, push, source, arch);
    const { follow: followParam } = request.query;
    const sse = followParam === undefined ? /\btext\/event-stream\b/.test(request.headers.accept ?? '') : followParam === '1' || followParam === 'true';
    if (sse && request.method === 'GET') return follow(request, reply, push, file);

    const opened = await openLog(file);
    if (!opened) throw new KilnError('LOG_UNKNOWN', `no log of ${source} on ${arch} in ${tree}/${branch} at ${commit} (the build has not started, or is not part of the push)`);
    let handedOver = false;
    try {
      reply.header('content-type', TEXT).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').header('accept-ranges', 'bytes');
      if (request.query.tail !== undefined) {
        const { data } = await readTail(opened.handle, opened.size, request.query.tail);
        return reply.send(data);
      }
      const range = parseByteRange(request.headers.range, opened.size);
      if (range.kind === 'unsatisfiable') {
        reply.header('content-range', `bytes */${opened.size}`);
        throw Object.assign(new Error(`the range ${request.headers.range} is outside the log's ${opened.size} bytes`), { statusCode: 416 });
      }
      const start = range.kind === 'range' ? range.start : 0;
      const end = range.kind === 'range' ? range.end : opened.size - 1;
      if (range.kind === 'range') reply.status(206).header('content-range', `bytes ${start}-${end}/${opened.size}`);
      if (end < start) return reply.send(Buffer.alloc(0));
      reply.header('content-length', String(end - start + 1));
      handedOver = true;
      return reply.send(opened.handle.createReadStream({ start, end, autoClose: true }));
    } finally {
      if (!handedOver) await opened.handle.close();
    }
  });

  async function follow(request: FastifyRequest<{ Querystring: LogQuery }>, reply: FastifyReply, push: PushRef, file: string): Promise<void> {
    const { source, arch } = request.params as LogParams;
    let view: PushStatusView | undefined = await pushStatusOf(opts.records, opts.control, push);
    let from = 0;
    const lastEventId = request.headers['last-event-id'];
    const opened = await openLog(file);
    try {
      if (!opened && !buildMayWrite(view, source, arch)) {
        throw new KilnError('LOG_UNKNOWN', `no log of ${source} on ${arch} in ${push.tree}/${push.branch} at ${push.commit}, and none is being written`);
      }
      if (typeof lastEventId === 'string' && /^\d{1,15}$/.test(lastEventId)) from = Number(lastEventId);
      else if (opened && request.query.tail !== undefined) from = (await readTail(opened.handle, opened.size, request.query.tail)).start;
    } finally {
      await opened?.handle.close();
    }

    // The connection ends with the stream: nothing is left for the server to wait for when it closes.
    const raw = startEventStream(reply, 'close');
    const aborter = new AbortController();
    let finished!: () => void;
    follows.set(aborter, new Promise<void>((resolve) => { finished = resolve; }));
    const onClose = () => aborter.abort();
    raw.on('close', onClose);
    if (raw.destroyed) aborter.abort(); // gone before the listener was there
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), keepAliveMs);
    try {
      const chunks = followLog(file, {
        from,
        signal: aborter.signal,
        pollMs,
        checkMs: statusMs,
        mayGrow: async () => {
          view = await pushStatusOf(opts.records, opts.control, push);
          return buildMayWrite(view, source, arch);
        },
      });
      for await (const chunk of chunks) {
        const event = `id: ${chunk.start + chunk.data.length}\nevent: log\ndata: ${JSON.stringify({ offset: chunk.start, text: chunk.data.toString('utf8') })}\n\n`;
        if (!raw.write(event)) await once(raw, 'drain', { signal: aborter.signal }).catch(() => undefined);
      }
      if (!aborter.signal.aborted) {
        const build = view?.status.builds?.find((b) => b.source === source && b.arch === arch);
        raw.write(`event: end\ndata: ${JSON.stringify({ state: build?.state ?? 'unknown', pushState: view?.status.state ?? 'unknown' })}\n\n`);
      }
    } catch (err) {
      request.log.error({ err, file }, 'following a build log failed');
      if (!aborter.signal.aborted) raw.write(`event: error\ndata: ${JSON.stringify({ code: 'INTERNAL', message: 'following the log failed; the server log has the details' })}\n\n`);
    } finally {
      clearInterval(keepAlive);
      raw.off('close', onClose);
      raw.end();
      follows.delete(aborter);
      finished();
    }
  }
}
