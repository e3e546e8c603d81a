import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DeleteObjectsCommand, ListObjectsV2Command, S3Client, S3ServiceException, type _Object,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { PublishTarget } from '../../../domain/config';
import type { MirrorLayout } from '../../formats/format-io';
import { PublishTargetError, excerpt } from './target-error';

// A published snapshot into an S3 bucket under a prefix Kiln owns, in the order that keeps readers consistent, as
// the rsync target does: (1) package files and keys the bucket lacks, (2) the indexes, the signed Release files last
// (InRelease at the very end: apt reads it first), (3) only then deletion of what the snapshot no longer has. S3 has
// no atomic rename of many keys; with by-hash indexes (kept across snapshots) a reader that took the old InRelease
// still finds the indexes it names until the deletion pass.

export type S3Target = Extract<PublishTarget, { kind: 's3' }>;

export interface S3Options {
  log?: (line: string) => void;
  signal?: AbortSignal;
  layout: MirrorLayout;
  /** Package files of the snapshot (paths relative to it). Under a shared pool folder, only these are sent. */
  packageFiles: ReadonlyArray<{ path: string; size: number }>;
  /** The snapshot's link to the branch's shared pool (apt: `pool`): not walked, it holds older snapshots' files. */
  sharedPool?: string;
  /** Uploads at once; default 4. */
  concurrency?: number;
  /** A client for tests; default: one made from the target. */
  client?: S3Client;
}

export interface S3Result {
  uploaded: number;
  /** Package files already in the bucket at that size (their names never change content). */
  kept: number;
  deleted: number;
}

interface LocalFile {
  /** Relative to the snapshot, `/`-separated. */
  rel: string;
  abs: string;
  size: number;
  /** A package file: its name fixes its content, so a key of the same size is the same file. */
  pkg: boolean;
}

/** The rsync filter patterns of a MirrorLayout (`/dists/***`, `/*\/*.db`) as one predicate on relative paths. */
export function indexMatcher(layout: MirrorLayout): (rel: string) => boolean {
  const patterns = layout.indexes.map((pattern) => {
    const body = pattern.replace(/^\//, '');
    let re = '';
    for (let i = 0; i < body.length; i++) {
      if (body.startsWith('***', i)) { re += '(?:/.*)?'; i += 2; continue; }
      const c = body[i];
      re += c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    // `dir/***` matches the folder and everything in it: the `/` before *** is part of the optional group.
    return new RegExp(`^${re.replace(/\/\(\?:\/\.\*\)\?$/, '(?:/.*)?')}$`);
  });
  return (rel) => patterns.some((p) => p.test(rel));
}

/** Which of the indexes go when: by-hash copies first, then the others, then Release files, InRelease last. */
export function indexRank(rel: string): number {
  const name = rel.split('/').pop() ?? '';
  if (rel.includes('/by-hash/')) return 0;
  if (name === 'InRelease') return 3;
  if (name === 'Release' || name.startsWith('Release.')) return 2;
  return 1;
}

function describe(target: S3Target): string {
  return `s3 to s3://${target.bucket}/${target.prefix}`;
}

function clientOf(target: S3Target): S3Client {
  return new S3Client({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    forcePathStyle: target.forcePathStyle,
    ...(target.credentials ? {
      credentials: {
        accessKeyId: target.credentials.accessKeyId.reveal().toString('utf8'),
        secretAccessKey: target.credentials.secretAccessKey.reveal().toString('utf8'),
      },
    } : {}),
    // Checksums only where S3 requires them: S3-compatible servers differ in the newer (CRC) ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** An S3 or network failure as a PublishTargetError: 5xx, throttling, timeouts and network errors may pass. */
function failure(name: string, what: string, err: unknown): PublishTargetError {
  if (err instanceof PublishTargetError) return err;
  if (err instanceof S3ServiceException) {
    const status = err.$metadata?.httpStatusCode;
    const retryable = status === undefined || status >= 500 || status === 429 || status === 408 || /Throttl|SlowDown|RequestTimeout/i.test(err.name);
    return new PublishTargetError('PUBLISH_TARGET_FAILED', `${name}: ${what}: ${err.name}${status ? ` (${status})` : ''}: ${excerpt(err.message, 300, 'start')}`, {
      target: name, reason: retryable ? 'remote' : 'destination', retryable, ...(status ? { status } : {}),
    });
  }
  const code = (err as { code?: string; name?: string }).code ?? (err as Error).name ?? 'Error';
  const timeout = /Timeout/i.test(code);
  return new PublishTargetError(timeout ? 'PUBLISH_TARGET_TIMEOUT' : 'PUBLISH_TARGET_FAILED', `${name}: ${what}: ${code}: ${excerpt((err as Error).message ?? String(err), 300, 'start')}`, {
    target: name, reason: timeout ? 'timeout' : 'network', retryable: true,
  });
}

/** Every file of the snapshot, following its own links (Kiln made them: into the store, the shared pool). */
function snapshotFiles(snapshotDir: string, options: S3Options): LocalFile[] {
  const files = new Map<string, LocalFile>();
  const walk = (rel: string) => {
    const abs = path.join(snapshotDir, rel);
    for (const entry of fs.readdirSync(abs)) {
      const childRel = rel === '' ? entry : `${rel}/${entry}`;
      if (rel === '' && entry === options.sharedPool) continue;
      const childAbs = path.join(abs, entry);
      const stat = fs.statSync(childAbs);
      if (stat.isDirectory()) walk(childRel);
      else if (stat.isFile()) files.set(childRel, { rel: childRel, abs: childAbs, size: stat.size, pkg: false });
    }
  };
  walk('');
  for (const f of options.packageFiles) {
    const rel = f.path.split(path.sep).join('/');
    const abs = path.join(snapshotDir, rel);
    files.set(rel, { rel, abs, size: fs.statSync(abs).size, pkg: true });
  }
  return [...files.values()];
}

function md5(file: string): string {
  return crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex');
}

/** A plain upload's ETag is the MD5 of the bytes; a multipart one's is not (`…-N`), so it never matches here. */
function sameContent(local: LocalFile, remote: _Object | undefined): boolean {
  if (!remote || remote.Size !== local.size) return false;
  if (local.pkg) return true;
  const etag = (remote.ETag ?? '').replace(/"/g, '');
  return /^[0-9a-f]{32}$/.test(etag) && etag === md5(local.abs);
}

function contentType(rel: string): string {
  if (rel.endsWith('.deb')) return 'application/vnd.debian.binary-package';
  if (rel.endsWith('.xz')) return 'application/x-xz';
  if (rel.endsWith('.gz')) return 'application/gzip';
  if (rel.endsWith('.zst')) return 'application/zstd';
  if (/(^|\/)(InRelease|Release|Packages|Sources)$/.test(rel) || rel.endsWith('.asc')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

async function inParallel<T>(items: readonly T[], limit: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const item = items[next++];
      await each(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

/**
 * Bring `s3://bucket/prefix` up to the snapshot in `snapshotDir` in three passes (see above). Throws
 * PublishTargetError (`retryable` set) or, when `signal` is aborted, its reason.
 */
export async function s3Target(target: S3Target, snapshotDir: string, options: S3Options): Promise<S3Result> {
  const name = describe(target);
  const { signal, log } = options;
  if (!fs.existsSync(path.join(snapshotDir, options.layout.marker))) {
    throw new PublishTargetError('PUBLISH_TARGET_FAILED', `${name}: ${snapshotDir} is not a published repository (no ${options.layout.marker})`, {
      target: name, reason: 'source', retryable: false,
    });
  }
  const client = options.client ?? clientOf(target);
  try {
    const remote = new Map<string, _Object>();
    try {
      let token: string | undefined;
      do {
        signal?.throwIfAborted();
        const page = await client.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: target.prefix, ContinuationToken: token }), { abortSignal: signal });
        for (const o of page.Contents ?? []) if (o.Key) remote.set(o.Key, o);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      signal?.throwIfAborted();
      throw failure(name, 'listing the bucket', err);
    }

    const files = snapshotFiles(snapshotDir, options);
    const isIndex = indexMatcher(options.layout);
    const indexes = files.filter((f) => isIndex(f.rel)).sort((a, b) => indexRank(a.rel) - indexRank(b.rel) || a.rel.localeCompare(b.rel));
    const others = files.filter((f) => !isIndex(f.rel));
    let uploaded = 0;
    let kept = 0;
    const put = async (f: LocalFile) => {
      signal?.throwIfAborted();
      const key = `${target.prefix}${f.rel}`;
      if (sameContent(f, remote.get(key))) { kept++; return; }
      const upload = new Upload({
        client,
        params: { Bucket: target.bucket, Key: key, Body: fs.createReadStream(f.abs), ContentLength: f.size, ContentType: contentType(f.rel) },
        partSize: 16 * 1024 * 1024,
        queueSize: 2,
      });
      const abort = () => { void upload.abort(); };
      signal?.addEventListener('abort', abort, { once: true });
      try {
        await upload.done();
      } catch (err) {
        signal?.throwIfAborted();
        throw failure(name, `uploading ${f.rel}`, err);
      } finally {
        signal?.removeEventListener('abort', abort);
      }
      uploaded++;
    };

    // 1. Package files and everything else that is not an index; nothing deleted.
    await inParallel(others, options.concurrency ?? 4, put);
    log?.(`${name}: pass 1: ${uploaded} files sent, ${kept} already there`);
    // 2. The indexes, one rank after the other: the Release files only once all they name is there.
    for (const rank of [0, 1, 2, 3]) {
      await inParallel(indexes.filter((f) => indexRank(f.rel) === rank), options.concurrency ?? 4, put);
    }
    log?.(`${name}: pass 2: indexes sent`);
    // 3. What the new snapshot no longer has.
    const wanted = new Set(files.map((f) => `${target.prefix}${f.rel}`));
    const stale = [...remote.keys()].filter((k) => !wanted.has(k));
    for (let i = 0; i < stale.length; i += 1000) {
      signal?.throwIfAborted();
      const batch = stale.slice(i, i + 1000);
      try {
        const answer = await client.send(new DeleteObjectsCommand({
          Bucket: target.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }), { abortSignal: signal });
        const errors = answer.Errors ?? [];
        if (errors.length > 0) {
          throw new PublishTargetError('PUBLISH_TARGET_FAILED', `${name}: ${errors.length} old objects could not be deleted (${errors[0].Key}: ${errors[0].Code})`, {
            target: name, reason: 'remote', retryable: true,
          });
        }
      } catch (err) {
        signal?.throwIfAborted();
        throw failure(name, 'deleting old objects', err);
      }
    }
    log?.(`${name}: pass 3: ${stale.length} deleted`);
    return { uploaded, kept, deleted: stale.length };
  } finally {
    if (!options.client) client.destroy();
  }
}
