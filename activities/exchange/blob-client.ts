import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import type { BlobRef } from '../../domain/build-exchange';

/** How a build worker reaches Kiln's API: its base URL and the worker token (read from a file, never argv). */
export interface ExchangeEndpoint {
  apiUrl: string;
  token: string;
}

/**
 * The build worker's side of the blob exchange (`/api/blobs/sha256/<digest>`) and of log shipping. Every download
 * is checked against its digest while it streams; an upload is skipped when the store already has the blob.
 * Network and 5xx errors throw plain errors (the activity retries); answers that will not change (401, 403, 413,
 * a digest the API refused) throw non-retryable failures.
 */
export class BlobClient {
  private readonly base: string;

  constructor(private readonly endpoint: ExchangeEndpoint) {
    this.base = endpoint.apiUrl.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.endpoint.token}`, ...extra };
  }

  /** Download a blob into `file` (created exclusively, 0600): the digest and size are checked; a mismatch leaves nothing. */
  async download(ref: BlobRef, file: string, signal?: AbortSignal): Promise<void> {
    const response = await this.request(`/api/blobs/sha256/${ref.sha256}`, { method: 'GET', signal });
    if (!response.body) throw new Error(`blob sha256:${ref.sha256}: the API sent no body`);
    const out = await fs.promises.open(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    const hash = crypto.createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>) as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > ref.size) throw new Error(`blob sha256:${ref.sha256} is longer than its ${ref.size} bytes`);
        hash.update(chunk);
        await out.write(chunk);
      }
      const digest = hash.digest('hex');
      if (size !== ref.size || digest !== ref.sha256) throw new Error(`blob sha256:${ref.sha256} arrived as ${size} bytes with digest sha256:${digest}`);
    } catch (err) {
      await out.close();
      await fs.promises.rm(file, { force: true });
      throw err;
    }
    await out.close();
  }

  /** Whether the store has the blob (HEAD). */
  async has(sha256: string, signal?: AbortSignal): Promise<boolean> {
    const response = await this.request(`/api/blobs/sha256/${sha256}`, { method: 'HEAD', signal }, [404]);
    return response.status === 200;
  }

  /** Upload a local file under its digest (skipped when stored already). */
  async upload(file: string, ref: BlobRef, signal?: AbortSignal): Promise<void> {
    if (await this.has(ref.sha256, signal)) return;
    const body = Readable.toWeb(fs.createReadStream(file)) as unknown as RequestInit['body'];
    await this.request(`/api/blobs/sha256/${ref.sha256}`, {
      method: 'PUT', body, signal, headers: { 'content-type': 'application/octet-stream', 'content-length': String(ref.size) },
      // Node's fetch streams a request body only in half-duplex mode.
      duplex: 'half',
    } as RequestInit);
  }

  /** The size of a build's log on the server: where this worker's lines start. */
  async logSize(logPath: string, signal?: AbortSignal): Promise<number> {
    return sizeOf(await this.request(`/api/worker/logs/${logPath}`, { method: 'GET', signal }));
  }

  /**
   * Append bytes to a build's log at `offset` (its size on the server as this worker knows it): idempotent, a
   * resent chunk the server has already appended is not appended twice. Answers the log's size after the call. A
   * conflicting offset (another worker writes this log: this one was given up as dead) answers 409.
   */
  async appendLog(logPath: string, offset: number, bytes: Buffer, signal?: AbortSignal): Promise<number> {
    return sizeOf(await this.request(`/api/worker/logs/${logPath}?offset=${offset}`, {
      method: 'POST', body: bytes, signal, headers: { 'content-type': 'application/octet-stream' },
    }));
  }

  /** What the API tells a worker about its arch: the builder images it needs and how many builds to run. */
  async workerSetup(arch: string, signal?: AbortSignal): Promise<{ images: string[]; concurrency: number }> {
    const response = await this.request(`/api/worker/setup?arch=${encodeURIComponent(arch)}`, { method: 'GET', signal });
    return await response.json() as { images: string[]; concurrency: number };
  }

  private async request(path: string, init: RequestInit, okStatuses: number[] = []): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, { ...init, headers: this.headers(init.headers as Record<string, string> | undefined) });
    } catch (err) {
      if (init.signal?.aborted) throw init.signal.reason;
      throw new Error(`cannot reach Kiln's API at ${this.base} (${(err as Error).cause ? String((err as { cause: unknown }).cause) : String(err)}); retrying`);
    }
    if (response.ok || okStatuses.includes(response.status)) return response;
    const text = init.method === 'HEAD' ? '' : await response.text().catch(() => '');
    let code = '';
    let message = text.slice(0, 500);
    try {
      const body = JSON.parse(text) as { code?: string; message?: string };
      code = body.code ?? '';
      message = body.message ?? message;
    } catch { /* not JSON: keep the text */ }
    const what = `${init.method} ${path.split('?')[0]}: ${response.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    // Authorization and limits do not change by retrying; the rest (5xx, a conflicting log offset) may.
    if ([400, 401, 403, 404, 413, 422].includes(response.status)) {
      throw ApplicationFailure.nonRetryable(`Kiln's API refused ${what}`, 'WorkerExchangeRefused');
    }
    throw Object.assign(new Error(`Kiln's API answered ${what}; retrying`), { status: response.status });
  }
}

async function sizeOf(response: Response): Promise<number> {
  const answer = await response.json() as { size?: unknown };
  if (typeof answer.size !== 'number') throw new Error('the API answered without the log\'s size');
  return answer.size;
}

/** Read a worker token file: one line, the token. Never printed. */
export function readWorkerToken(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the worker token file ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}): make one with kiln tokens create --worker <name> on the Kiln server`);
  }
  const token = text.trim();
  if (!token || /\s/.test(token)) throw new Error(`the worker token file ${file} must hold one token on one line`);
  return token;
}
