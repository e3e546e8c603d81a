import { ApiError, EXIT } from './cli-error';

// The REST API over fetch: JSON in and out, the token as a bearer header (never in a URL or a message), errors
// `{"error": {"code", "message"}}` turned into ApiError with the code and HTTP status; no answer at all is
// KILN_UNREACHABLE.

export type Query = Record<string, string | number | undefined>;

export interface ApiClientOptions {
  /** Where the URL came from ("$KILN_API_URL", a file), for messages. */
  urlFrom?: string;
  /** How long a request may take (not a stream). Default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  constructor(baseUrl: string, private readonly token: string | undefined, private readonly options: ApiClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? fetch;
  }

  /** The absolute URL of a path the API hands out (`/api/...`). */
  absolute(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
  }

  async get<T>(path: string, query?: Query): Promise<T> {
    return json<T>(await this.request('GET', path, { query }));
  }

  /** `untimed`: for an action the API answers only once it is done (garbage collection). */
  async post<T>(path: string, body?: unknown, options: { untimed?: boolean } = {}): Promise<T> {
    return json<T>(await this.request('POST', path, { body, untimed: options.untimed }));
  }

  async text(path: string, query?: Query): Promise<string> {
    return (await this.request('GET', path, { query, accept: 'text/plain' })).text();
  }

  /** A response whose body the caller reads as it comes (no time limit): Server-Sent Events. */
  stream(path: string, query: Query, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    return this.request('GET', path, { query, accept: 'text/event-stream', headers, signal, untimed: true });
  }

  private async request(method: string, path: string, opts: {
    query?: Query; body?: unknown; accept?: string; headers?: Record<string, string>; signal?: AbortSignal; untimed?: boolean;
  }): Promise<Response> {
    const url = new URL(this.absolute(path));
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json', 'user-agent': 'kiln-cli', ...opts.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const signals = [opts.signal, opts.untimed ? undefined : AbortSignal.timeout(timeoutMs)].filter((s): s is AbortSignal => s !== undefined);
    let res: Response;
    try {
      res = await this.fetch(url, {
        method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
      });
    } catch (err) {
      throw this.unreachable(err, timeoutMs);
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  private unreachable(err: unknown, timeoutMs: number): ApiError {
    const from = this.options.urlFrom ? ` (the URL is from ${this.options.urlFrom})` : '';
    if (err instanceof Error && err.name === 'TimeoutError') {
      return new ApiError('KILN_UNREACHABLE', `Kiln at ${this.baseUrl} did not answer within ${timeoutMs / 1000} s${from}`);
    }
    const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
    const why = cause?.code || cause?.message || (err instanceof Error ? err.message : String(err));
    return new ApiError('KILN_UNREACHABLE', `cannot reach Kiln at ${this.baseUrl}: ${why}${from}; is it running?`);
  }
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError('HTTP_ERROR', `${res.url} answered ${res.status} with something that is not JSON: is this a Kiln API?`, res.status, EXIT.unreachable);
  }
}

/** The API's `{error: {code, message}}`, or (a proxy's page, say) the status alone. */
async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  if (typeof error?.code === 'string' && typeof error.message === 'string') return new ApiError(error.code, error.message, res.status);
  const code = res.status === 502 || res.status === 503 || res.status === 504 ? 'KILN_UNREACHABLE' : 'HTTP_ERROR';
  return new ApiError(code, `${res.url} answered ${res.status} ${res.statusText}`.trim(), res.status);
}
