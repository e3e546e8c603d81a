// Decompressing a package a build made, as a stream, without trusting it: the format is chosen by magic bytes (not
// the file name), the decompressor is the distribution's CLI in a child process (Node 20 has no zstd), and both
// the output size and the time taken are capped, so a compression bomb costs a bounded amount of work.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { ResultRejected } from '../../../domain/formats/result-rejected';

export type Compression = 'zstd' | 'gzip' | 'xz';

export interface DecompressLimits {
  /** Most decompressed bytes read before the package is refused. */
  maxBytes: number;
  /** Most milliseconds the whole read may take. */
  timeoutMs: number;
}

const MAGIC: Array<[Compression, number[]]> = [
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
];

export async function detectCompression(file: string): Promise<Compression> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(6);
    const { bytesRead } = await fd.read(head, 0, head.length, 0);
    for (const [kind, magic] of MAGIC) {
      if (bytesRead >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
    }
  } finally {
    await fd.close();
  }
  throw new ResultRejected('the package is not zstd, gzip or xz compressed');
}

/**
 * The decompressed bytes of `file`, chunk by chunk. Ends with a ResultRejected when the data is corrupt, too large
 * or too slow; stopping early (a consumer that has read enough) kills the child.
 */
export async function* decompress(file: string, kind: Compression, limits: DecompressLimits): AsyncGenerator<Buffer> {
  // `--`: the path is never read as an option. (Passing an open fd as stdin instead raced with closing it: the
  // child sometimes read nothing and exited 0.)
  const child = spawn(kind, ['-dc', '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Listen before the first await: a small package is decompressed, and 'close' emitted, before the next tick.
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  const { stdout, stderr: errors } = child;
  if (!stdout || !errors) throw new Error('the decompressor has no output pipes');
  let stderr = '';
  errors.setEncoding('utf8').on('data', (s: string) => { if (stderr.length < 2000) stderr += s; });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, limits.timeoutMs);
  let total = 0;
  try {
    for await (const chunk of stdout) {
      total += (chunk as Buffer).length;
      if (total > limits.maxBytes) throw new ResultRejected(`the package decompresses to more than ${limits.maxBytes} bytes`);
      yield chunk as Buffer;
    }
    const { code, error } = await exited;
    if (error) throw new Error(`cannot run ${kind} to read the package: ${error.message}`);
    if (timedOut) throw new ResultRejected(`reading the package took over ${limits.timeoutMs} ms`);
    if (code !== 0) throw new ResultRejected(`the package is not valid ${kind} data: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
