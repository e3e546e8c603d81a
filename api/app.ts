import Ajv from 'ajv';
import Fastify, { type FastifyInstance, type FastifySchemaCompiler } from 'fastify';
import { installErrorHandler } from './error-handler';
import type { KilnConfig } from '../domain/config';
import { DataLayout } from '../domain/data-layout';
import { requireReadToken, requireToken, type TokenGuard } from './auth/require-token';
import { tokenFile } from './auth/token-file';
import { FileTokenVerifier, type TokenVerifier } from './auth/token-verifier';
import type { PushControl } from './data/push-control';
import { PushRecords } from './data/push-records';
import { Snapshots } from './data/snapshots';
import { actionRoutes } from './routes/actions';
import { blobRoutes } from './routes/blobs';
import { healthRoutes, healthSchema, type HealthChecks } from './routes/health';
import { dataDirMinFreeMb } from '../domain/config/disk-guard';
import { logRoutes, type LogFollowTimings } from './routes/logs';
import { metricsRoutes } from './routes/metrics';
import { API_SCHEMAS, BEARER, registerOpenApi } from './routes/openapi';
import { pushRoutes } from './routes/pushes';
import { repoRoutes } from './routes/repos';
import { repositoryRoutes } from './routes/repositories';
import { rollbackRoutes } from './routes/rollbacks';
import { sessionRoutes } from './routes/session';
import { treeRoutes } from './routes/trees';
import { uiRoutes, type UiRouteOptions } from './routes/ui';
import { workerRoutes } from './routes/worker';
import { webhookRoutes, type PushIntake, type WebhookRouteOptions } from './routes/webhooks';

export interface AppDeps {
  config: KilnConfig;
  health: HealthChecks;
  /** Starts (or finds) the push workflow; the real one signals the branch coordinator in Temporal. */
  intake: PushIntake;
  /**
   * Temporal and git for the REST API: live push status, cancel, retry, rollback, a branch's head (the real one:
   * `temporalPushControl`). Absent: pushes are shown from their records, and those actions answer TEMPORAL_UNAVAILABLE.
   */
  control?: PushControl;
  /** Checks API tokens; default: `<dataDir>/api-tokens.json`, re-read when it changes. */
  tokens?: TokenVerifier;
  /** Timings of followed build logs (tests shorten them). */
  logFollow?: LogFollowTimings;
  /** Timings of the web UI's live push pages (tests shorten them). */
  uiLive?: UiRouteOptions['live'];
  /** Webhook intake's delivery record and published-commit check (default: under the data dir). */
  webhooks?: Pick<WebhookRouteOptions, 'deliveries' | 'published'>;
  logger?: boolean;
}

/** What the REST API's route plugins share. */
export interface ApiRouteOptions {
  config: KilnConfig;
  layout: DataLayout;
  records: PushRecords;
  snapshots: Snapshots;
  intake: PushIntake;
  control?: PushControl;
  /** onRequest hook of actions: a valid token, or 401. */
  actionGuard: TokenGuard;
  /** onRequest hook of reads: the same when `api.readsRequireToken`, else nothing. */
  readGuard: TokenGuard;
  /** The OpenAPI `security` of reads. */
  readSecurity: Array<Record<string, string[]>>;
}

/** The HTTP face of Kiln: built without listening, so tests drive it with inject(). */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 5 * 1024 * 1024 });
  for (const schema of [healthSchema, ...API_SCHEMAS]) app.addSchema(schema);
  installErrorHandler(app);

  const { config } = deps;
  const tokens = deps.tokens ?? new FileTokenVerifier(tokenFile(config.dataDir));
  const actionGuard = requireToken(tokens);
  const layout = new DataLayout(config.dataDir);
  const api: ApiRouteOptions = {
    config,
    layout,
    records: new PushRecords(config, layout),
    snapshots: new Snapshots(layout),
    intake: deps.intake,
    control: deps.control,
    actionGuard,
    readGuard: config.api.readsRequireToken ? requireReadToken(tokens) : async () => undefined,
    readSecurity: config.api.readsRequireToken ? BEARER : [],
  };

  // First, so that every route after it is in the OpenAPI document.
  registerOpenApi(app, { publicUrl: config.api.publicUrl, readsRequireToken: config.api.readsRequireToken });
  void app.register(async (scope) => healthRoutes(scope, deps.health, {
    names: config.api.healthChecks, dataDir: { dir: config.dataDir, minFreeMb: dataDirMinFreeMb(config) },
  }));
  void app.register(webhookRoutes, { config, intake: deps.intake, ...deps.webhooks });
  void app.register(repoRoutes, { config });
  void app.register(metricsRoutes, { config, guard: api.readGuard });
  // The web UI (its routes are hidden from the OpenAPI document); it checks operators' tokens with the same verifier.
  void app.register(uiRoutes, { ...api, tokens, live: deps.uiLive });
  void app.register(async (rest) => {
    rest.setValidatorCompiler(restValidatorCompiler());
    void rest.register(treeRoutes, api);
    void rest.register(pushRoutes, api);
    void rest.register(actionRoutes, api);
    void rest.register(logRoutes, { ...api, follow: deps.logFollow });
    void rest.register(repositoryRoutes, api);
    void rest.register(rollbackRoutes, api);
    void rest.register(sessionRoutes, api);
  });
  // Build workers' blob exchange: worker tokens only (an operator's token is refused, and a worker's works nowhere else).
  const workerGuard = requireToken(tokens, 'worker');
  void app.register(blobRoutes, { ...api, workerGuard });
  void app.register(async (worker) => {
    worker.setValidatorCompiler(restValidatorCompiler());
    void worker.register(workerRoutes, { ...api, workerGuard });
  });
  return app;
}

/**
 * Validation of the REST API: a JSON body is taken as sent (no type coercion: `{"to": "2"}` is not a number, and a
 * field the schema does not know is an error, not silently dropped); path and query strings are converted to the
 * numbers and booleans their schemas say. Fastify's default would coerce and trim bodies too.
 */
function restValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const body = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false });
  const strings = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false });
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : strings).compile(schema as object);
}
