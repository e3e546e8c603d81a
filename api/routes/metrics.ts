import * as path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KilnConfig } from '../../domain/config';
import { processMetrics } from '../../domain/observability/kiln-metrics';
import { PROMETHEUS_CONTENT_TYPE, Registry } from '../../domain/observability/metrics';
import { pushRecordMetrics } from '../../domain/observability/push-records';
import { freeBytes } from '../../activities/store/disk-space';
import { dataDirMinFreeMb } from '../../domain/config/disk-guard';

// GET /metrics: the API process's own metrics, plus pushes and builds by state counted from the push records on disk,
// so one scrape of the API answers "builds by state and arch" even where no worker is scraped. Build timings and
// in-progress counts live in the workers (each serves its own /metrics with --metrics-port).

export interface MetricsRoutesOptions {
  config: KilnConfig;
  /** An onRequest hook, e.g. the API's read guard when reads require a token (Prometheus sends `authorization`). */
  guard?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

export async function metricsRoutes(app: FastifyInstance, opts: MetricsRoutesOptions): Promise<void> {
  const registry = new Registry();
  processMetrics(registry);
  // records/<tree>/<branch>/<commit>.json: the push records (DataLayout.pushRecord).
  pushRecordMetrics(registry, path.join(opts.config.dataDir, 'records'));
  dataDirMetrics(registry, opts.config);

  app.get('/metrics', {
    // Not part of the REST API's OpenAPI document: it is for Prometheus.
    schema: { hide: true } as Record<string, unknown>,
    // Scraped every few seconds: no "incoming request"/"request completed" pair per scrape (errors still log).
    logLevel: 'warn',
    ...(opts.guard ? { onRequest: opts.guard } : {}),
  }, async (_request, reply) => {
    const text = await registry.render();
    return reply.type(PROMETHEUS_CONTENT_TYPE).header('cache-control', 'no-store').send(text);
  });
}

/** kiln_data_dir_free_bytes and the threshold below which builds wait, measured at each scrape. */
function dataDirMetrics(registry: Registry, config: KilnConfig): void {
  const free = registry.gauge({ name: 'kiln_data_dir_free_bytes', help: 'Bytes free (for unprivileged writers) on the file system of the data dir.' });
  const min = registry.gauge({
    name: 'kiln_data_dir_min_free_bytes',
    help: 'Below this much free space on the data dir builds wait (the smallest build.minFreeMb of the config; 0: never).',
  });
  min.set({}, dataDirMinFreeMb(config) * 1048576);
  registry.onCollect(async () => {
    free.set({}, await freeBytes(config.dataDir).catch(() => Number.NaN));
  });
}
