import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ArtifactStore, BlobRefused } from '../../activities/store/artifact-store';
import { KilnError } from '../../domain/errors';
import type { TokenGuard } from '../auth/require-token';
import type { ApiRouteOptions } from '../app';
import { errorResponses } from './openapi';

// The build workers' blob exchange: content-addressed bytes (recipes, WIP packages, build results, logs) by SHA-256,
// so that a build worker needs no filesystem shared with the orchestrator. Only worker tokens get in; nothing but
// the store's files named by a digest is ever served.

type BlobParams = { digest: string };

const DIGEST = { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The blob\'s SHA-256, 64 lowercase hex digits.' } as const;

export async function blobRoutes(app: FastifyInstance, opts: ApiRouteOptions & { workerGuard: TokenGuard }): Promise<void> {
  const store = new ArtifactStore(opts.layout.store);
  const maxBytes = opts.config.api.blobMaxMb * 1048576;
  // The body is the blob, streamed to the store as it arrives (never buffered whole): whatever its content type.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.get<{ Params: BlobParams }>('/api/blobs/sha256/:digest', {
    onRequest: opts.workerGuard,
    schema: {
      tags: ['blobs'],
      summary: 'A blob by its SHA-256 (build workers only; HEAD: whether it is stored, and its size)',
      security: [{ bearer: [] }],
      params: { type: 'object', required: ['digest'], properties: { digest: DIGEST } },
      response: {
        200: { description: 'The blob (application/octet-stream); ETag is its digest.', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        ...errorResponses(400, 401, 403, 404),
      },
    },
  }, async (request, reply) => {
    const { digest } = request.params;
    let handle: fs.promises.FileHandle;
    try {
      // O_NOFOLLOW: the store holds files only; nothing in it can make this serve another one.
      handle = await fs.promises.open(store.pathOf(digest), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP') throw new KilnError('BLOB_UNKNOWN', `no blob sha256:${digest} is stored`);
      throw err;
    }
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw new KilnError('BLOB_UNKNOWN', `no blob sha256:${digest} is stored`);
    }
    // A blob a worker asks for is in use: the store's garbage collection keeps what was used lately (gc/collect.ts).
    const now = new Date();
    await handle.utimes(now, now).catch(() => undefined);
    void reply.type('application/octet-stream').header('content-length', stat.size).header('etag', `"sha256:${digest}"`)
      .header('cache-control', 'private, max-age=31536000, immutable');
    // HEAD (fastify's, from this route) sends these headers and drops the stream unread.
    return reply.send(handle.createReadStream());
  });

  app.put<{ Params: BlobParams }>('/api/blobs/sha256/:digest', {
    onRequest: opts.workerGuard,
    schema: {
      tags: ['blobs'],
      summary: 'Upload a blob under its SHA-256 (build workers only)',
      description: 'The body is the blob. Its digest is checked while it streams to the store; only a blob with the '
        + 'digest the URL names, within `api.blobMaxMb`, is kept (renamed into place whole). Idempotent: a blob already '
        + 'stored answers 200 and is not written again.',
      security: [{ bearer: [] }],
      params: { type: 'object', required: ['digest'], properties: { digest: DIGEST } },
      response: {
        200: { description: 'Already stored.', $ref: 'kiln-blob#' },
        201: { description: 'Stored.', $ref: 'kiln-blob#' },
        ...errorResponses(400, 401, 403, 413),
      },
    },
  }, async (request, reply) => {
    const { digest } = request.params;
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      void reply.header('connection', 'close');
      throw new KilnError('BLOB_TOO_LARGE', `the blob is ${declared} bytes, over api.blobMaxMb (${opts.config.api.blobMaxMb} MiB)`);
    }
    const body = request.body as Readable | undefined;
    if (!body || typeof (body as Readable).pipe !== 'function') throw new KilnError('REQUEST_INVALID', 'the request has no body');
    try {
      const stored = await store.addStream(body, digest, maxBytes);
      request.log.info({ digest, size: stored.size, created: stored.created, worker: request.apiToken?.name }, 'blob stored');
      return reply.status(stored.created ? 201 : 200).send({ digest, size: stored.size, created: stored.created });
    } catch (err) {
      if (!(err instanceof BlobRefused)) throw err;
      // The rest of the body is not read: the connection goes with the answer.
      void reply.header('connection', 'close');
      throw new KilnError(err.reason === 'digest' ? 'BLOB_DIGEST_MISMATCH' : 'BLOB_TOO_LARGE', err.message);
    }
  });
}
