import type { FastifyInstance } from 'fastify';

export interface HealthChecks {
  temporal(): Promise<void>;
  docker(): Promise<void>;
}

interface CheckResult {
  ok: boolean;
  error?: string;
}

async function run(check: () => Promise<void>): Promise<CheckResult> {
  try {
    await check();
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** /healthz: 200 when Temporal and Docker both answer, 503 naming what does not. */
export function healthRoutes(app: FastifyInstance, checks: HealthChecks): void {
  app.get('/healthz', {
    schema: {
      response: {
        '2xx': { $ref: 'health#' },
        '5xx': { $ref: 'health#' },
      },
    },
  }, async (_request, reply) => {
    const [temporal, docker] = await Promise.all([run(checks.temporal), run(checks.docker)]);
    const ok = temporal.ok && docker.ok;
    return reply.status(ok ? 200 : 503).send({ ok, checks: { temporal, docker } });
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
      properties: Object.fromEntries(['temporal', 'docker'].map((name) => [name, {
        type: 'object',
        required: ['ok'],
        properties: { ok: { type: 'boolean' }, error: { type: 'string' } },
      }])),
    },
  },
} as const;
