import type { FastifyInstance } from 'fastify';
import { freeBytes } from '../../activities/store/disk-space';

export interface HealthChecks {
  temporal(): Promise<void>;
  docker(): Promise<void>;
}

interface CheckResult {
  ok: boolean;
  error?: string;
}

/** The data dir's free space against the threshold below which builds wait (build.minFreeMb). */
interface DataDirResult extends CheckResult {
  freeBytes?: number;
  minFreeBytes: number;
}

async function dataDirCheck(dir: string, minFreeMb: number): Promise<DataDirResult> {
  const minFreeBytes = minFreeMb * 1048576;
  try {
    const free = await freeBytes(dir);
    if (free >= minFreeBytes) return { ok: true, freeBytes: free, minFreeBytes };
    return {
      ok: false, freeBytes: free, minFreeBytes,
      error: `the data dir has ${Math.floor(free / 1048576)} MiB free, below build.minFreeMb (${minFreeMb} MiB): builds wait until there is room`,
    };
  } catch (err) {
    return { ok: false, minFreeBytes, error: `cannot measure the data dir's free space: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** A check that has not answered by then counts as failed: /healthz itself must answer promptly. */
export const HEALTH_CHECK_TIMEOUT_MS = 5_000;

async function run(check: () => Promise<void>, timeoutMs: number): Promise<CheckResult & { ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true, ms: performance.now() - started };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err), ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /healthz: 200 when Temporal and Docker (or the checks `names` lists, config `api.healthChecks`) answer, and the data
 * dir (`dataDir`, when given) has room for builds to start; 503 naming what does not. Each check's latency goes in the standard `Server-Timing` header (`temporal;dur=1.8, docker;dur=0.6`,
 * milliseconds), beside an unchanged body.
 */
export function healthRoutes(
  app: FastifyInstance,
  checks: HealthChecks,
  options: { timeoutMs?: number; names?: ReadonlyArray<keyof HealthChecks>; dataDir?: { dir: string; minFreeMb: number } } = {},
): void {
  const timeoutMs = options.timeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
  const names = options.names ?? ['temporal', 'docker'];
  app.get('/healthz', {
    // Probed every few seconds: no request log lines per probe (errors still log).
    logLevel: 'warn',
    schema: {
      response: {
        '2xx': { $ref: 'health#' },
        '5xx': { $ref: 'health#' },
      },
    },
  }, async (_request, reply) => {
    const [results, dataDir] = await Promise.all([
      Promise.all(names.map((name) => run(checks[name], timeoutMs))),
      options.dataDir ? dataDirCheck(options.dataDir.dir, options.dataDir.minFreeMb) : undefined,
    ]);
    const ok = results.every((r) => r.ok) && (dataDir?.ok ?? true);
    const timing = names.map((name, i) => `${name};dur=${results[i].ms.toFixed(1)};desc="${results[i].ok ? 'ok' : 'failed'}"`).join(', ');
    const body: Record<string, CheckResult> = Object.fromEntries(names.map((name, i) => {
      const { ms: _ms, ...result } = results[i];
      return [name, result];
    }));
    if (dataDir) body.dataDir = dataDir;
    return reply.status(ok ? 200 : 503).header('server-timing', timing).header('cache-control', 'no-store')
      .send({ ok, checks: body });
  });
}

export const healthSchema = {
  $id: 'health',
  type: 'object',
  required: ['ok', 'checks'],
  properties: {
    ok: { type: 'boolean' },
    checks: {
      type: 'object',
      properties: {
        ...Object.fromEntries(['temporal', 'docker'].map((name) => [name, {
          type: 'object',
          required: ['ok'],
          properties: { ok: { type: 'boolean' }, error: { type: 'string' } },
        }])),
        dataDir: {
          type: 'object',
          required: ['ok', 'minFreeBytes'],
          properties: { ok: { type: 'boolean' }, error: { type: 'string' }, freeBytes: { type: 'number' }, minFreeBytes: { type: 'number' } },
        },
      },
    },
  },
} as const;
