import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import { KilnError } from '../../domain/errors';

// Build logs on disk (logs/<tree>/<branch, encoded>/<commit>/<source>/<arch>.log), appended to by the build worker
// (a retry appends to the same file). Reading them: whole, a byte range, the last lines, or followed as they grow.

/** A Debian source package name (Policy §5.6.1), which is also what may appear as one path segment here. */
export const SOURCE_NAME_PATTERN = /^[a-z0-9][a-z0-9+.-]+$/;
export const ARCH_PATTERN = /^[a-z0-9][a-z0-9_-]*$/; // pacman: x86_64

/** The log file of a build: names are checked first, so no parameter can lead outside the logs folder. */
export function buildLogFile(layout: DataLayout, push: PushRef, source: string, arch: string): string {
  if (!SOURCE_NAME_PATTERN.test(source)) throw new KilnError('REQUEST_INVALID', `"${source}" is not a source package name`);
  if (!ARCH_PATTERN.test(arch)) throw new KilnError('REQUEST_INVALID', `"${arch}" is not an architecture name`);
  if (!/^[0-9a-f]{40}$/.test(push.commit)) throw new KilnError('REQUEST_INVALID', `"${push.commit}" is not a 40-digit hex commit id`);
  return layout.buildLog(push, source, arch);
}

/** The open log and its size, or undefined when there is no log (yet). The caller closes the handle. */
export async function openLog(file: string): Promise<{ handle: fs.promises.FileHandle; size: number } | undefined> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new KilnError('LOG_UNKNOWN', 'the build log is not a file');
    return { handle, size: stat.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

const CHUNK = 64 * 1024;

/**
 * The last `lines` lines of the first `size` bytes of an open log (a final line without a newline counts as one),
 * reading backwards, at most `maxBytes`. `start` is where the returned bytes begin in the file.
 */
export async function readTail(handle: fs.promises.FileHandle, size: number, lines: number, maxBytes = 8 * 1024 * 1024): Promise<{ start: number; data: Buffer }> {
  const parts: Buffer[] = [];
  let start = size;
  // A newline that ends the file ends the last line; it does not start an empty one.
  let newlines = 0;
  let skipFinal = true;
  while (start > 0 && size - start < maxBytes) {
    const length = Math.min(CHUNK, start, maxBytes - (size - start));
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, start - length);
    const piece = buf.subarray(0, bytesRead);
    for (let i = piece.length - 1; i >= 0; i--) {
      if (piece[i] !== 0x0a) { skipFinal = false; continue; }
      if (skipFinal) { skipFinal = false; continue; }
      if (++newlines === lines) {
        parts.unshift(piece.subarray(i + 1));
        return { start: start - length + i + 1, data: Buffer.concat(parts) };
      }
    }
    parts.unshift(piece);
    start -= length;
  }
  return { start, data: Buffer.concat(parts) };
}

/** How many bytes of `buf` end on a UTF-8 character boundary (an incomplete last character waits for the next read). */
export function completeUtf8Length(buf: Buffer): number {
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const byte = buf[buf.length - back];
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? buf.length - back : buf.length;
  }
  return buf.length;
}

export interface FollowOptions {
  /** Byte offset to start at (0: the whole log). */
  from: number;
  /** Ends the follow (client gone, server closing): the file is closed and no timer is left. */
  signal: AbortSignal;
  /** How often the file is looked at for new bytes. */
  pollMs: number;
  /** Asked at most every `checkMs`: false once the log can no longer grow; what is on disk then is sent, and the follow ends. */
  mayGrow: () => Promise<boolean>;
  checkMs: number;
}

/**
 * The log from `from` on, then its new bytes as they are appended, in pieces that end on character boundaries.
 * Waits for a log that does not exist yet. Ends when `mayGrow` says so (after sending the rest) or on abort.
 */
export async function* followLog(file: string, opts: FollowOptions): AsyncGenerator<{ start: number; data: Buffer }, 'ended' | 'aborted'> {
  let offset = opts.from;
  let pending = Buffer.alloc(0);
  let opened: { handle: fs.promises.FileHandle } | undefined;
  let lastCheck = -Infinity;
  try {
    for (;;) {
      if (opts.signal.aborted) return 'aborted';
      // Asked before reading, so that once the answer is "no", the read below gets everything there will be.
      const now = Date.now();
      const ending = now - lastCheck >= opts.checkMs ? (lastCheck = now, !(await opts.mayGrow())) : false;
      if (opts.signal.aborted) return 'aborted';
      opened ??= await openLog(file);
      if (opened) {
        const { size } = await opened.handle.stat();
        while (offset + pending.length < size) {
          const length = Math.min(CHUNK, size - offset - pending.length);
          const buf = Buffer.alloc(length);
          const { bytesRead } = await opened.handle.read(buf, 0, length, offset + pending.length);
          if (bytesRead === 0) break;
          const data = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
          const complete = ending && offset + data.length >= size ? data.length : completeUtf8Length(data);
          pending = data.subarray(complete);
          if (complete > 0) {
            yield { start: offset, data: data.subarray(0, complete) };
            offset += complete;
          }
          if (opts.signal.aborted) return 'aborted';
        }
      }
      if (ending) {
        if (pending.length > 0) yield { start: offset, data: pending };
        return 'ended';
      }
      try {
        await sleep(opts.pollMs, undefined, { signal: opts.signal });
      } catch {
        return 'aborted';
      }
    }
  } finally {
    await opened?.handle.close();
  }
}
