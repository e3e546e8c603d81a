import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { RESULT_FILE_NAME, ResultRejected, quoteUntrusted } from '../../domain/formats/result-rejected';

export interface ResultLimits {
  maxFiles: number;
  maxBytes: number;
}

export interface ExtractedResult {
  name: string;
  /** Absolute path of the copy the host made: a regular file it created itself (O_EXCL), mode 0644. */
  file: string;
  size: number;
}

const BLOCK = 512;

/**
 * Take a build's results from the tar stream the engine makes of its out folder (`GET /containers/{id}/archive`),
 * without ever creating anything but plain files the host names itself: links, devices, FIFOs, sockets, nested
 * folders, bad names, too many or too large files all reject the build. Nothing the build made is followed or
 * mounted; setuid and setgid bits never survive (the host writes every file 0644).
 */
export async function extractResults(tar: Readable, root: string, into: string, limits: ResultLimits): Promise<ExtractedResult[]> {
  await fs.promises.mkdir(into, { recursive: true, mode: 0o700 });
  const results: ExtractedResult[] = [];
  let total = 0;
  let buffer = Buffer.alloc(0);
  let paxPath: string | undefined;
  let ended = false;
  const iterator = tar[Symbol.asyncIterator]();

  // Reads exactly n bytes (or fewer at the end of the stream).
  async function read(n: number): Promise<Buffer> {
    while (buffer.length < n) {
      const next = await iterator.next();
      if (next.done) break;
      buffer = Buffer.concat([buffer, next.value as Buffer]);
    }
    const chunk = buffer.subarray(0, n);
    buffer = buffer.subarray(chunk.length);
    return chunk;
  }

  async function copyTo(fd: fs.promises.FileHandle | undefined, size: number): Promise<void> {
    let left = size;
    while (left > 0) {
      const chunk = await read(Math.min(left, 1 << 20));
      if (chunk.length === 0) throw new ResultRejected('the result archive ended inside a file');
      if (fd) await fd.write(chunk);
      left -= chunk.length;
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) await read(pad);
  }

  try {
    for (;;) {
      const header = await read(BLOCK);
      if (header.length < BLOCK || header.every((b) => b === 0)) { ended = true; break; }
      const type = String.fromCharCode(header[156] || 0x30);
      const size = parseOctal(header.subarray(124, 136));
      const rawName = paxPath ?? tarName(header);
      paxPath = undefined;
      if (type === 'x') {
        // A PAX header names the next entry when its name is long or not ASCII; only `path` and `size` matter.
        const records = (await read(size)).toString('utf8');
        await read((BLOCK - (size % BLOCK)) % BLOCK);
        paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(records)?.[1];
        if (/(?:^|\n)\d+ size=/.test(records)) throw new ResultRejected('a result file is too large for the archive format');
        continue;
      }
      const relative = rawName.replace(/\/+$/, '');
      if (relative === root && type === '5') continue; // the out folder itself
      const prefix = `${root}/`;
      const name = relative.startsWith(prefix) ? relative.slice(prefix.length) : relative;
      if (type !== '0' && type !== '\0' && type !== '7') {
        throw new ResultRejected(`result ${quoteUntrusted(name)} is a ${ENTRY_KINDS[type] ?? `tar entry of type ${quoteUntrusted(type)}`}, not a regular file`);
      }
      if (!relative.startsWith(prefix) || !RESULT_FILE_NAME.test(name)) {
        throw new ResultRejected(`result file name ${quoteUntrusted(name)} is not allowed (letters, digits, "+", "_", ".", "~", "-"; no leading dot; no folders)`);
      }
      if (results.length >= limits.maxFiles) throw new ResultRejected(`the build left more than ${limits.maxFiles} result files`);
      total += size;
      if (total > limits.maxBytes) throw new ResultRejected(`the build's results are over ${Math.round(limits.maxBytes / 1048576)} MiB`);
      const file = path.join(into, name);
      // O_EXCL|O_NOFOLLOW: a second entry of the same name, or anything already at that path, is an error.
      const fd = await fs.promises.open(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644)
        .catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') throw new ResultRejected(`result ${quoteUntrusted(name)} appears twice`);
          throw err;
        });
      try {
        await copyTo(fd, size);
      } finally {
        await fd.close();
      }
      results.push({ name, file, size });
    }
  } finally {
    if (!ended) await iterator.return?.();
    tar.destroy();
  }
  return results;
}

const ENTRY_KINDS: Record<string, string> = {
  1: 'hard link', 2: 'symbolic link', 3: 'character device', 4: 'block device', 5: 'folder', 6: 'FIFO',
  L: 'long-name record', K: 'long-link record', S: 'sparse file',
};

function tarName(header: Buffer): string {
  const field = (from: number, to: number) => {
    const raw = header.subarray(from, to);
    const nul = raw.indexOf(0);
    return raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
  };
  const name = field(0, 100);
  const prefix = header.subarray(257, 263).toString('latin1').startsWith('ustar') ? field(345, 500) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function parseOctal(field: Buffer): number {
  // Base-256 sizes (files over 8 GiB) are refused: no result may be that large.
  if (field[0] & 0x80) throw new ResultRejected('a result file is too large');
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]*$/.test(text)) throw new ResultRejected('the result archive is malformed');
  return text ? parseInt(text, 8) : 0;
}
