import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { builderImageTag } from '../../domain/builder-image';
import { KilnError } from '../../domain/errors';
import type { TokenGuard } from '../auth/require-token';
import type { ApiRouteOptions } from '../app';
import { configuredBranch } from '../data/branches';
import { buildLogFile } from '../data/build-logs';
import { errorResponses, PARAM } from './openapi';

// What a build worker on another machine needs besides blobs: where its builds' logs go (appended as they grow, so
// the UI follows them live) and what its arch builds with. Worker tokens only.

type LogParams = { tree: string; branch: string; commit: string; source: string; arch: string };
const MAX_APPEND = 4 * 1048576;

export async function workerRoutes(app: FastifyInstance, opts: ApiRouteOptions & { workerGuard: TokenGuard }): Promise<void> {
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_APPEND }, (_request, body, done) => done(null, body));
  // One append at a time per log file (this process is the only writer of logs: the orchestrator writes its lines
  // before a build's worker starts and after it ended).
  const queues = new Map<string, Promise<unknown>>();
  const serially = <T>(file: string, work: () => Promise<T>): Promise<T> => {
    const next = (queues.get(file) ?? Promise.resolve()).catch(() => undefined).then(work);
    queues.set(file, next);
    return next.finally(() => { if (queues.get(file) === next) queues.delete(file); });
  };

  const logSchema = {
    type: 'object', required: ['tree', 'branch', 'commit', 'source', 'arch'],
    properties: { tree: PARAM.tree, branch: PARAM.branch, commit: PARAM.commit, source: PARAM.source, arch: PARAM.arch },
  } as const;
  const logOf = (p: LogParams): { file: string; maxBytes: number } => {
    const tree = configuredBranch(opts.config, p.tree, p.branch);
    if (!(tree.architectures as readonly string[]).includes(p.arch)) throw new KilnError('REQUEST_INVALID', `"${p.arch}" is not an architecture of tree ${tree.name}`);
    return { file: buildLogFile(opts.layout, { tree: p.tree, branch: p.branch, commit: p.commit }, p.source, p.arch), maxBytes: 4 * tree.build.logMaxMb * 1048576 + 16 * 1048576 };
  };

  app.get<{ Params: LogParams }>('/api/worker/logs/:tree/:branch/:commit/:source/:arch', {
    onRequest: opts.workerGuard,
    // Workers call these every second per build: their requests are not worth a log line each (errors still are).
    logLevel: 'warn',
    schema: {
      tags: ['worker'], summary: 'The size of a build log (build workers only): where a worker\'s lines will start',
      security: [{ bearer: [] }], params: logSchema,
      response: { 200: { type: 'object', properties: { size: { type: 'integer' } } }, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => ({ size: await sizeOf(logOf(request.params).file) }));

  app.post<{ Params: LogParams; Querystring: { offset: number } }>('/api/worker/logs/:tree/:branch/:commit/:source/:arch', {
    onRequest: opts.workerGuard,
    logLevel: 'warn',
    schema: {
      tags: ['worker'],
      summary: 'Append to a build log (build workers only)',
      description: 'The body (at most 4 MiB) is appended when `offset` is the log\'s size; a chunk the log already ends '
        + 'with at that offset (a resent request) is not appended again. Anything else is LOG_OFFSET_CONFLICT (409). '
        + 'Answers the log\'s size.',
      security: [{ bearer: [] }], params: logSchema,
      querystring: { type: 'object', required: ['offset'], properties: { offset: { type: 'integer', minimum: 0 } } },
      response: { 200: { type: 'object', properties: { size: { type: 'integer' } } }, ...errorResponses(400, 401, 403, 404, 409, 413) },
    },
  }, async (request) => {
    const { file, maxBytes } = logOf(request.params);
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const offset = request.query.offset;
    return serially(file, async () => {
      const size = await sizeOf(file);
      if (offset + body.length <= size && (body.length === 0 || offset < size)) {
        // Already appended (the answer to an earlier send was lost): the same bytes must be there.
        if (!(await holds(file, offset, body))) throw new KilnError('LOG_OFFSET_CONFLICT', `the log holds other bytes at ${offset}`);
        return { size };
      }
      if (offset !== size) throw new KilnError('LOG_OFFSET_CONFLICT', `the log is ${size} bytes long; an append at ${offset} does not continue it`);
      if (size + body.length > maxBytes) throw new KilnError('LOG_TOO_LARGE', `the log would pass ${Math.round(maxBytes / 1048576)} MiB`);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      const handle = await fs.promises.open(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o644);
      try {
        await handle.write(body);
      } finally {
        await handle.close();
      }
      return { size: size + body.length };
    });
  });

  app.get<{ Querystring: { arch: string } }>('/api/worker/setup', {
    onRequest: opts.workerGuard,
    schema: {
      tags: ['worker'], summary: 'What a build worker of an arch builds with (build workers only)',
      description: 'The builder images the arch\'s trees use (the worker checks it has each) and how many builds it runs at once.',
      security: [{ bearer: [] }],
      querystring: { type: 'object', required: ['arch'], properties: { arch: PARAM.arch } },
      response: {
        200: { type: 'object', properties: { images: { type: 'array', items: { type: 'string' } }, concurrency: { type: 'integer' } } },
        ...errorResponses(400, 401, 403),
      },
    },
  }, async (request) => {
    const { arch } = request.query;
    const trees = opts.config.trees.filter((t) => (t.architectures as readonly string[]).includes(arch));
    if (trees.length === 0) throw new KilnError('REQUEST_INVALID', `no configured tree builds ${arch} (configured: ${[...new Set(opts.config.trees.flatMap((t) => t.architectures))].join(', ')})`);
    return {
      images: [...new Set(trees.map((t) => builderImageTag(t.distribution, arch, undefined, t.format)))],
      concurrency: Math.max(...trees.map((t) => t.build.concurrency)),
    };
  });
}

async function sizeOf(file: string): Promise<number> {
  try {
    const stat = await fs.promises.lstat(file);
    if (!stat.isFile()) throw new KilnError('LOG_UNKNOWN', 'the build log is not a file');
    return stat.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

async function holds(file: string, offset: number, bytes: Buffer): Promise<boolean> {
  if (bytes.length === 0) return true;
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const buffer = Buffer.alloc(bytes.length);
    await handle.read(buffer, 0, bytes.length, offset);
    return buffer.equals(bytes);
  } finally {
    await handle.close();
  }
}
