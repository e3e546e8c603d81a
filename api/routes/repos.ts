import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KilnConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import { formatIO } from '../../activities/formats/registry';

// GET/HEAD /repos/<tree>/<url-encoded branch>/<path>: the published repository of a configured branch, served from
// its `current` snapshot. `current` is resolved once per request, so one answer never mixes two snapshots, and a switch
// (rename of the symlink) takes effect at the next request.

export interface RepoRoutesOptions {
  config: KilnConfig;
}

type Params = { tree: string; branch: string; '*': string };

/** One year: by-hash indices are named by their content (a new content is a new name). */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Indices and signatures change with every publish: always revalidate. */
const REVALIDATE = 'no-cache';

export async function repoRoutes(app: FastifyInstance, opts: RepoRoutesOptions): Promise<void> {
  const layout = new DataLayout(opts.config.dataDir);

  /** The published directory of a configured branch, or undefined (unknown tree or branch: the same 404). */
  function repoDir(params: { tree: string; branch: string }): string | undefined {
    const tree = opts.config.trees.find((t) => t.name === params.tree);
    if (!tree || !tree.branches.includes(params.branch)) return undefined;
    return layout.repo(tree.name, params.branch);
  }

  app.route<{ Params: { tree: string; branch: string } }>({
    method: ['GET', 'HEAD'],
    url: '/repos/:tree/:branch',
    handler: async (request, reply) => {
      if (!repoDir(request.params)) return notFound(reply, `no published repository for ${describe(request.params)}`);
      return reply.redirect(`${pathOf(request)}/`, 301);
    },
  });

  app.route<{ Params: Params }>({
    method: ['GET', 'HEAD'],
    url: '/repos/:tree/:branch/*',
    handler: async (request, reply) => {
      const segments = repoPathSegments(request.params['*']);
      const dir = repoDir(request.params);
      if (!dir) return notFound(reply, `no published repository for ${describe(request.params)}`);

      let snapshot: string;
      try {
        snapshot = await fs.promises.realpath(path.join(dir, 'current'));
      } catch (err) {
        if (isMissing(err)) return notFound(reply, `${describe(request.params)} has not been published yet`);
        throw err;
      }

      const wanted = request.params['*'];
      let real: string;
      try {
        real = await fs.promises.realpath(path.join(snapshot, ...segments));
      } catch (err) {
        if (isMissing(err)) return notFound(reply, `no file ${wanted} in ${describe(request.params)}`);
        throw err;
      }
      // Pool files are hard links into the store, inside the snapshot or in the branch's shared pool (the snapshot's
      // `pool` is Kiln's link to it); a symlink into the store is served too, one leading anywhere else is not.
      // Neither is anything but files and folders (a FIFO would block open()).
      const store = await fs.promises.realpath(layout.store).catch(() => undefined);
      const sharedPool = formatIO(opts.config.trees.find((t) => t.name === request.params.tree)?.format).snapshotIndex.sharedPool;
      const pool = sharedPool ? await fs.promises.realpath(path.join(dir, sharedPool)).catch(() => undefined) : undefined;
      const kind = await fs.promises.stat(real);
      const allowed = isInside(real, snapshot) || (store && isInside(real, store)) || (pool && isInside(real, pool));
      if (!allowed || !(kind.isFile() || kind.isDirectory())) {
        return notFound(reply, `no file ${wanted} in ${describe(request.params)}`);
      }

      const handle = await fs.promises.open(real, 'r');
      let handedOver = false;
      try {
        const stat = await handle.stat();
        if (stat.isDirectory()) {
          if (wanted !== '' && !wanted.endsWith('/')) return reply.redirect(`${pathOf(request)}/`, 301);
          await sendListing(request, reply, real, segments);
          return reply;
        }
        if (!stat.isFile()) return notFound(reply, `no file ${wanted} in ${describe(request.params)}`);
        handedOver = sendFile(request, reply, handle, stat, segments);
        return reply;
      } finally {
        if (!handedOver) await handle.close();
      }
    },
  });
}

/**
 * The path below the repository root as safe segments, or a 400 (REQUEST_INVALID) for anything that is not a plain
 * relative path: `..` or `.` segments, an absolute path, NUL or other control characters, backslashes, and
 * percent-encodings left after the router's one decoding (`%2e%2e`, `%2f`, `%00`, `%5c`: a double-encoded attempt).
 * The router has decoded the wildcard once, so `%2F` arrives as `/` and `%2e%2e` as `..`.
 */
export function repoPathSegments(rest: string): string[] {
  if (/[\x00-\x1f\x7f]/.test(rest)) throw badPath('control characters');
  if (rest.startsWith('/')) throw badPath('an absolute path');
  if (rest.includes('\\')) throw badPath('a backslash');
  if (/%(2e|2f|5c|00)/i.test(rest)) throw badPath('an encoded dot, slash or NUL');
  const segments = rest.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) throw badPath('a "." or ".." segment');
  return segments;
}

/** The error handler (api/error-handler.ts) answers a 4xx error as `{ error: { code: 'REQUEST_INVALID', message } }`. */
function badPath(what: string): Error {
  return Object.assign(new Error(`the repository path must be a plain relative path, not ${what}`), { statusCode: 400 });
}

/** The shape of api/error-handler.ts's not-found answer. */
function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.status(404).header('cache-control', REVALIDATE).send({ error: { code: 'NOT_FOUND', message } });
}

function describe(params: { tree: string; branch: string }): string {
  return `tree "${params.tree}" branch "${params.branch}"`;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

/** The request's path as sent (still encoded), without the query. */
function pathOf(request: FastifyRequest): string {
  const url = request.raw.url ?? request.url;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

const TEXT = 'text/plain; charset=utf-8';
const BINARY = 'application/octet-stream';
const TEXT_NAMES = new Set(['Release', 'InRelease', 'Packages', 'Sources', 'Index', 'SHA256SUMS', 'MD5SUMS']);
const BY_EXTENSION: Record<string, string> = {
  '.deb': BINARY,
  '.udeb': BINARY,
  '.ddeb': BINARY,
  '.gpg': BINARY,
  '.xz': 'application/x-xz',
  '.gz': 'application/gzip',
  '.bz2': 'application/x-bzip2',
  '.lzma': 'application/x-lzma',
  '.zst': 'application/zstd',
  '.asc': TEXT,
  '.minisig': TEXT,
  '.pub': TEXT,
  '.txt': TEXT,
  '.dsc': TEXT,
  '.changes': TEXT,
  '.buildinfo': TEXT,
  '.diff': TEXT,
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
};

export function repoContentType(name: string): string {
  if (TEXT_NAMES.has(name) || /^(Contents|Translation)-[^.]+$/.test(name)) return TEXT;
  return BY_EXTENSION[path.extname(name).toLowerCase()] ?? BINARY;
}

/**
 * Long-lived for by-hash files only; no-cache (revalidated by ETag) for the rest. Pool files too: they are named by
 * package, version and arch, and a source changed without a version bump is rebuilt into the same name.
 */
export function repoCacheControl(segments: readonly string[]): string {
  const name = segments[segments.length - 1] ?? '';
  if (/^(In)?Release/.test(name)) return REVALIDATE;
  if (segments[0] === 'dists' && segments.includes('by-hash')) return IMMUTABLE;
  return REVALIDATE;
}

export type ByteRange = { kind: 'none' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * One byte range of a `Range` header (RFC 9110 §14.1.2) against a file of `size` bytes. Anything but one bytes range
 * (other units, several ranges, bad syntax) is `none`: the whole file is sent, which the RFC allows.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange {
  if (!header) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'none' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (!Number.isSafeInteger(suffix)) return { kind: 'none' };
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? Infinity : Number(m[2]);
  if (!Number.isSafeInteger(start) || !(end === Infinity || Number.isSafeInteger(end)) || end < start) return { kind: 'none' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end: Math.min(end, size - 1) };
}

function etagOf(stat: fs.Stats): string {
  return `"${stat.ino.toString(16)}-${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** If-None-Match (weak comparison) wins over If-Modified-Since (RFC 9110 §13.2.2). */
function notModified(request: FastifyRequest, etag: string, mtimeMs: number): boolean {
  const inm = request.headers['if-none-match'];
  if (inm !== undefined) {
    const tags = inm.split(',').map((t) => t.trim().replace(/^W\//, ''));
    return tags.includes('*') || tags.includes(etag);
  }
  const ims = request.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && seconds(mtimeMs) <= seconds(since);
}

/** If-Range: the range applies only while the file is still the one the client has part of (strong match). */
function ifRangeHolds(request: FastifyRequest, etag: string, mtimeMs: number): boolean {
  const ifRange = request.headers['if-range'];
  if (ifRange === undefined) return true;
  if (typeof ifRange !== 'string') return false;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && seconds(date) === seconds(mtimeMs);
}

/** Headers and body of one file; true when the handle now belongs to the response stream (it closes it). */
function sendFile(request: FastifyRequest, reply: FastifyReply, handle: fs.promises.FileHandle, stat: fs.Stats, segments: string[]): boolean {
  const etag = etagOf(stat);
  reply
    .header('content-type', repoContentType(segments[segments.length - 1] ?? ''))
    .header('cache-control', repoCacheControl(segments))
    .header('last-modified', stat.mtime.toUTCString())
    .header('etag', etag)
    .header('accept-ranges', 'bytes');

  if (notModified(request, etag, stat.mtimeMs)) {
    reply.removeHeader('content-type');
    void reply.status(304).send();
    return false;
  }

  const range = ifRangeHolds(request, etag, stat.mtimeMs) ? parseByteRange(request.headers.range, stat.size) : { kind: 'none' as const };
  if (range.kind === 'unsatisfiable') {
    reply.header('content-range', `bytes */${stat.size}`);
    throw Object.assign(new Error(`the range ${request.headers.range} is outside the file's ${stat.size} bytes`), { statusCode: 416 });
  }
  const start = range.kind === 'range' ? range.start : 0;
  const end = range.kind === 'range' ? range.end : stat.size - 1;
  if (range.kind === 'range') reply.status(206).header('content-range', `bytes ${start}-${end}/${stat.size}`);
  reply.header('content-length', String(end - start + 1));

  if (request.method === 'HEAD' || stat.size === 0) {
    void reply.send();
    return false;
  }
  void reply.send(handle.createReadStream({ start, end, autoClose: true }));
  return true;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain HTML index of one directory of the snapshot (links relative, names escaped). */
async function sendListing(request: FastifyRequest, reply: FastifyReply, dir: string, segments: string[]): Promise<void> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  const names = await Promise.all(entries.map(async (e) => {
    const isDir = e.isDirectory() || (e.isSymbolicLink() && (await fs.promises.stat(path.join(dir, e.name)).catch(() => undefined))?.isDirectory());
    return isDir ? `${e.name}/` : e.name;
  }));
  names.sort();
  const title = escapeHtml(`/${segments.join('/')}${segments.length ? '/' : ''}`);
  const links = [...(segments.length ? ['../'] : []), ...names]
    .map((n) => `<li><a href="./${n.split('/').map(encodeURIComponent).join('/')}">${escapeHtml(n)}</a></li>`);
  const body = `<!doctype html>\n<html><head><meta charset="utf-8"><title>Index of ${title}</title></head>\n`
    + `<body><h1>Index of ${title}</h1>\n<ul>\n${links.join('\n')}\n</ul></body></html>\n`;
  reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', REVALIDATE);
  if (request.method === 'HEAD') void reply.header('content-length', String(Buffer.byteLength(body))).send();
  else void reply.send(body);
}
