import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandler } from './error-handler';
import type { KilnConfig } from '../domain/config';
import { healthRoutes, healthSchema, type HealthChecks } from './routes/health';
import { repoRoutes } from './routes/repos';
import { webhookRoutes, type PushIntake } from './routes/webhooks';

export interface AppDeps {
  config: KilnConfig;
  health: HealthChecks;
  /** Starts (or finds) the push workflow; the real one signals the branch coordinator in Temporal. */
  intake: PushIntake;
  logger?: boolean;
}

/** The HTTP face of Kiln: built without listening, so tests drive it with inject(). */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 5 * 1024 * 1024 });
  app.addSchema(healthSchema);
  installErrorHandler(app);
  healthRoutes(app, deps.health);
  void app.register(webhookRoutes, { config: deps.config, intake: deps.intake });
  void app.register(repoRoutes, { config: deps.config });
  return app;
}
