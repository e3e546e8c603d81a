import type { FastifyInstance } from 'fastify';
import { findTree } from '../../domain/config';
import type { PushState } from '../../domain/push';
import { KilnError } from '../../domain/errors';
import type { ApiRouteOptions } from '../app';
import { configuredBranch } from '../data/branches';
import { pushUrl } from '../data/links';
import { PUSH_STATES } from '../data/push-records';
import { pushDetail, pushStatusOf } from '../data/push-view';
import { errorResponses, PARAM } from './openapi';

type ListQuery = { tree?: string; branch?: string; state?: PushState; limit?: number; cursor?: string };
export type PushParams = { tree: string; branch: string; commit: string };

export const pushParamsSchema = {
  type: 'object',
  required: ['tree', 'branch', 'commit'],
  properties: { tree: PARAM.tree, branch: PARAM.branch, commit: PARAM.commit },
} as const;

/** GET /api/pushes (newest first, paged) and GET /api/pushes/<tree>/<branch>/<commit> (one push, every build). */
export async function pushRoutes(app: FastifyInstance, opts: ApiRouteOptions): Promise<void> {
  app.get<{ Querystring: ListQuery }>('/api/pushes', {
    onRequest: opts.readGuard,
    schema: {
      tags: ['pushes'],
      summary: 'Pushes from their records, newest first',
      description: 'Filter by tree, branch (needs tree) and state; page with `limit` and the `nextCursor` of the previous page.',
      security: opts.readSecurity,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          tree: PARAM.tree,
          branch: PARAM.branch,
          state: { type: 'string', enum: [...PUSH_STATES] },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          cursor: { type: 'string', minLength: 1, maxLength: 1024, description: 'The `nextCursor` of the previous page.' },
        },
      },
      response: {
        200: {
          type: 'object',
          description: 'A page of pushes, newest first.',
          required: ['pushes'],
          properties: {
            pushes: { type: 'array', items: { $ref: 'kiln-push-summary#' } },
            nextCursor: { type: 'string', description: 'Present when there are more pushes.' },
          },
        },
        ...errorResponses(400, 401, 404),
      },
    },
  }, async (request) => {
    const { tree, branch, state, limit, cursor } = request.query;
    if (tree === undefined) {
      if (branch !== undefined) throw new KilnError('REQUEST_INVALID', 'a branch filter needs a tree too (?tree=<tree>&branch=<branch>)');
    } else if (branch === undefined) findTree(opts.config, tree);
    else configuredBranch(opts.config, tree, branch);
    const page = await opts.records.list({ tree, branch, state, limit, cursor });
    return { pushes: page.pushes.map((p) => ({ ...p, url: pushUrl(p) })), nextCursor: page.nextCursor };
  });

  app.get<{ Params: PushParams }>('/api/pushes/:tree/:branch/:commit', {
    onRequest: opts.readGuard,
    schema: {
      tags: ['pushes'],
      summary: 'One push: live from its workflow while it runs, else from its record',
      security: opts.readSecurity,
      params: pushParamsSchema,
      response: { 200: { $ref: 'kiln-push#' }, ...errorResponses(400, 401, 404) },
    },
  }, async (request) => {
    const { tree, branch, commit } = request.params;
    configuredBranch(opts.config, tree, branch);
    const view = await pushStatusOf(opts.records, opts.control, { tree, branch, commit });
    if (!view) throw new KilnError('PUSH_UNKNOWN', `no push of ${tree}/${branch} at ${commit} is known`);
    if (view.liveError) request.log.warn({ tree, branch, commit, error: view.liveError }, 'live push status unavailable; answered from the record');
    return pushDetail(opts.config, view);
  });
}
