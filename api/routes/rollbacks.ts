import type { FastifyInstance } from 'fastify';
import { KilnError } from '../../domain/errors';
import { rollbackWorkflowId } from '../../domain/workflow-ids';
import type { ApiRouteOptions } from '../app';
import { configuredBranch } from '../data/branches';
import { rollbackUrl, temporalWorkflowUrl } from '../data/links';
import { errorResponses, PARAM } from './openapi';

type RollbackParams = { tree: string; branch: string; id: string };

/** The last segment of a rollback's workflow ID, as `POST .../rollback` hands it out (in its `url`). */
export const ROLLBACK_ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$', description: 'A rollback of the branch: the last segment of its workflow ID.' } as const;

const rollbackSchema = {
  type: 'object',
  description: 'The rollback: running, succeeded (with the snapshot it published) or failed (with why).',
  required: ['workflowId', 'tree', 'branch', 'id', 'state', 'url', 'temporalUrl'],
  properties: {
    workflowId: { type: 'string' },
    tree: { type: 'string' },
    branch: { type: 'string' },
    id: { type: 'string' },
    state: { type: 'string', enum: ['running', 'succeeded', 'failed'] },
    result: { $ref: 'kiln-publish-result#' },
    error: { $ref: 'kiln-failure#' },
    url: { type: 'string', description: 'This rollback in this API.' },
    temporalUrl: { type: 'string', description: 'The rollback workflow in the Temporal web UI.' },
  },
} as const;

/** GET /api/repos/<tree>/<branch>/rollbacks/<id>: how a rollback went, from its workflow (`kiln rollback --wait`). */
export async function rollbackRoutes(app: FastifyInstance, opts: ApiRouteOptions): Promise<void> {
  app.get<{ Params: RollbackParams }>('/api/repos/:tree/:branch/rollbacks/:id', {
    onRequest: opts.readGuard,
    schema: {
      tags: ['repositories'],
      summary: 'One rollback: running, or what it published, or why it failed',
      security: opts.readSecurity,
      params: { type: 'object', required: ['tree', 'branch', 'id'], properties: { tree: PARAM.tree, branch: PARAM.branch, id: ROLLBACK_ID } },
      response: { 200: rollbackSchema, ...errorResponses(400, 401, 404, 503) },
    },
  }, async (request) => {
    const { tree, branch, id } = request.params;
    configuredBranch(opts.config, tree, branch);
    if (!opts.control) throw new KilnError('TEMPORAL_UNAVAILABLE', 'this API runs without a Temporal client that can see rollbacks');
    const workflowId = rollbackWorkflowId(tree, branch, id);
    const outcome = await opts.control.rollbackOutcome(workflowId);
    if (outcome.state === 'unknown') {
      throw new KilnError('ROLLBACK_UNKNOWN', `no rollback ${id} of ${tree}/${branch} is known (Temporal forgets finished workflows after its retention period)`);
    }
    return { workflowId, tree, branch, id, ...outcome, url: rollbackUrl(tree, branch, id), temporalUrl: temporalWorkflowUrl(opts.config, workflowId) };
  });
}
