import type { FastifyInstance, FastifyRequest } from 'fastify';
import { pushWorkflowId, rollbackRequestId } from '../../domain/workflow-ids';
import { KilnError } from '../../domain/errors';
import type { ApiRouteOptions } from '../app';
import { requestedBy } from '../auth/require-token';
import { configuredBranch } from '../data/branches';
import { pushUrl, rollbackUrl, temporalWorkflowUrl } from '../data/links';
import type { PushControl } from '../data/push-control';
import { BEARER, errorResponses, PARAM } from './openapi';
import { gcReportSchema } from './gc-schema';
import { pushParamsSchema, type PushParams } from './pushes';

// The actions: start a push, cancel or retry one, roll a branch back. Each needs a token (checked before anything
// else, so an anonymous caller learns nothing from validation errors), and is recorded as `api:<token name>`.

const accepted = {
  type: 'object',
  description: 'Accepted: Temporal has the request; `url` (the push, or the rollback) and `temporalUrl` show how it goes.',
  required: ['status', 'workflowId', 'temporalUrl'],
  properties: {
    status: { type: 'string', enum: ['accepted'] },
    workflowId: { type: 'string' },
    temporalUrl: { type: 'string' },
    url: { type: 'string', description: 'The push, or the rollback, in this API.' },
    push: {
      type: 'object',
      required: ['tree', 'branch', 'commit'],
      properties: { tree: { type: 'string' }, branch: { type: 'string' }, commit: { type: 'string' } },
    },
  },
} as const;

/** A body that may be left out (or sent as `{}`): an empty body is taken as `{}`. */
const optionalBody = (properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, properties });
const OPTIONAL_BODY = { 'x-kiln-optional-body': true } as const;
async function emptyBodyIsEmptyObject(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

export async function actionRoutes(app: FastifyInstance, opts: ApiRouteOptions): Promise<void> {
  const { config } = opts;
  const control = (): PushControl => {
    if (!opts.control) throw new KilnError('TEMPORAL_UNAVAILABLE', 'this API runs without a Temporal client');
    return opts.control;
  };

  app.post<{ Body: { tree: string; branch: string; commit?: string } }>('/api/pushes', {
    onRequest: opts.actionGuard,
    schema: {
      tags: ['actions'],
      summary: 'Push: build and publish a commit of a branch (default: the branch\'s head now)',
      security: BEARER,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['tree', 'branch'],
        properties: { tree: PARAM.tree, branch: PARAM.branch, commit: PARAM.commit },
      },
      response: { 202: accepted, ...errorResponses(400, 401, 404, 502, 503) },
    },
  }, async (request, reply) => {
    const { tree, branch } = request.body;
    const treeConfig = configuredBranch(config, tree, branch);
    const commit = request.body.commit ?? await control().branchHead(treeConfig, branch);
    const push = { tree, branch, commit };
    const { workflowId } = await opts.intake(push, requestedBy(request));
    request.log.info({ ...push, workflowId, by: request.apiToken?.name }, 'push requested');
    return reply.status(202).send({ status: 'accepted', push, workflowId, url: pushUrl(push), temporalUrl: temporalWorkflowUrl(config, workflowId) });
  });

  /** Cancel and retry: signals to the running push; a finished one is PUSH_NOT_RUNNING, an unknown one PUSH_UNKNOWN. */
  async function signalPush(params: PushParams, send: (workflowId: string) => Promise<'sent' | 'not-running'>) {
    configuredBranch(config, params.tree, params.branch);
    const workflowId = pushWorkflowId(params.tree, params.branch, params.commit);
    if ((await send(workflowId)) === 'sent') return { status: 'accepted' as const, workflowId, url: pushUrl(params), temporalUrl: temporalWorkflowUrl(config, workflowId) };
    if (await opts.records.read(params)) throw new KilnError('PUSH_NOT_RUNNING', `${workflowId} has finished: push again to build it anew`);
    throw new KilnError('PUSH_UNKNOWN', `no push of ${params.tree}/${params.branch} at ${params.commit} is known`);
  }

  app.post<{ Params: PushParams; Body: { reason?: string } | undefined }>('/api/pushes/:tree/:branch/:commit/cancel', {
    onRequest: opts.actionGuard,
    preValidation: emptyBodyIsEmptyObject,
    schema: {
      tags: ['actions'],
      summary: 'Cancel a running push (its builds stop; nothing is published)',
      security: BEARER,
      ...OPTIONAL_BODY,
      params: pushParamsSchema,
      body: optionalBody({ reason: { type: 'string', maxLength: 500 } }),
      response: { 202: accepted, ...errorResponses(400, 401, 404, 409, 503) },
    },
  }, async (request, reply) => {
    const reason = request.body?.reason ?? `cancelled through the API by ${request.apiToken?.name ?? 'unknown'}`;
    const answer = await signalPush(request.params, (id) => control().cancel(id, reason));
    request.log.info({ workflowId: answer.workflowId, by: request.apiToken?.name }, 'push cancel requested');
    return reply.status(202).send(answer);
  });

  app.post<{ Params: PushParams; Body: { source?: string; arch?: string } | undefined }>('/api/pushes/:tree/:branch/:commit/retry', {
    onRequest: opts.actionGuard,
    preValidation: emptyBodyIsEmptyObject,
    schema: {
      tags: ['actions'],
      summary: 'Retry the failed builds of a push (or of one source package and/or arch), or its failed publish',
      security: BEARER,
      ...OPTIONAL_BODY,
      params: pushParamsSchema,
      body: optionalBody({ source: PARAM.source, arch: PARAM.arch }),
      response: { 202: accepted, ...errorResponses(400, 401, 404, 409, 503) },
    },
  }, async (request, reply) => {
    const { source, arch } = request.body ?? {};
    const tree = configuredBranch(config, request.params.tree, request.params.branch);
    if (arch !== undefined && !(tree.architectures as readonly string[]).includes(arch)) {
      throw new KilnError('REQUEST_INVALID', `tree "${tree.name}" does not build for ${arch} (it builds ${tree.architectures.join(', ')})`);
    }
    const answer = await signalPush(request.params, (id) => control().retry(id, { source, arch }));
    request.log.info({ workflowId: answer.workflowId, source, arch, by: request.apiToken?.name }, 'push retry requested');
    return reply.status(202).send(answer);
  });

  app.post<{ Params: { tree: string; branch: string }; Body: { to?: number } | undefined }>('/api/repos/:tree/:branch/rollback', {
    onRequest: opts.actionGuard,
    preValidation: emptyBodyIsEmptyObject,
    schema: {
      tags: ['actions'],
      summary: 'Roll a branch back: publish snapshot `to` (default: the one before the current) again, as a new snapshot',
      security: BEARER,
      ...OPTIONAL_BODY,
      params: { type: 'object', required: ['tree', 'branch'], properties: { tree: PARAM.tree, branch: PARAM.branch } },
      body: optionalBody({ to: PARAM.snapshot }),
      response: { 202: accepted, ...errorResponses(400, 401, 404, 503) },
    },
  }, async (request, reply) => {
    const { tree, branch } = request.params;
    configuredBranch(config, tree, branch);
    const to = request.body?.to;
    // The workflow would find these too, but only after it started: answer them now.
    if (to !== undefined) await opts.snapshots.manifest(tree, branch, to);
    else {
      const snapshots = await opts.snapshots.list(tree, branch);
      const current = snapshots.find((s) => s.current);
      if (!snapshots.some((s) => current === undefined || s.number < current.number)) {
        throw new KilnError('SNAPSHOT_UNKNOWN', `${tree}/${branch} has no snapshot older than the current one to roll back to`);
      }
    }
    const { workflowId } = await control().rollback({ tree, branch, to });
    request.log.info({ tree, branch, to, workflowId, by: request.apiToken?.name }, 'rollback requested');
    const id = rollbackRequestId(tree, branch, workflowId);
    return reply.status(202).send({
      status: 'accepted', workflowId, url: id === undefined ? undefined : rollbackUrl(tree, branch, id), temporalUrl: temporalWorkflowUrl(config, workflowId),
    });
  });

  app.post<{ Body: { dryRun?: boolean } | undefined }>('/api/gc', {
    onRequest: opts.actionGuard,
    preValidation: emptyBodyIsEmptyObject,
    schema: {
      tags: ['actions'],
      summary: 'Collect garbage in the data dir now (or, with dryRun, say what would go and how much); waits for it',
      security: BEARER,
      ...OPTIONAL_BODY,
      body: optionalBody({ dryRun: { type: 'boolean', description: 'Only report; remove nothing.' } }),
      response: { 200: gcReportSchema, ...errorResponses(400, 401, 503) },
    },
  }, async (request) => {
    const dryRun = request.body?.dryRun === true;
    const temporal = control();
    if (!temporal.collectGarbage) throw new KilnError('TEMPORAL_UNAVAILABLE', 'this API runs without a Temporal client that can collect garbage');
    request.log.info({ dryRun, by: request.apiToken?.name }, 'garbage collection requested');
    return temporal.collectGarbage(dryRun);
  });
}
