import type { FastifyInstance } from 'fastify';
import { treesOverview } from '../data/trees';
import type { ApiRouteOptions } from '../app';
import { errorResponses } from './openapi';

const branchSchema = {
  type: 'object',
  required: ['name', 'suite', 'repositoryUrl'],
  properties: {
    name: { type: 'string' },
    suite: { type: 'string', description: 'The APT suite (`dists/<suite>`) the branch publishes to.' },
    repositoryUrl: { type: 'string', description: 'The `deb` URL of the published repository.' },
    snapshot: {
      type: 'object',
      description: 'The published snapshot (`current`); absent before the first publish.',
      required: ['number', 'commit', 'createdAt'],
      properties: { number: { type: 'integer' }, commit: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } },
    },
    lastPush: {
      type: 'object',
      description: 'The newest push of the branch; absent before the first.',
      required: ['workflowId', 'commit', 'state', 'startedAt', 'url'],
      properties: {
        workflowId: { type: 'string' }, commit: { type: 'string' }, state: { type: 'string' }, startedAt: { type: 'integer' },
        finishedAt: { type: 'integer' }, url: { type: 'string' },
      },
    },
  },
} as const;

/** GET /api/trees: every configured tree, and per branch its published snapshot and its last push. */
export async function treeRoutes(app: FastifyInstance, opts: ApiRouteOptions): Promise<void> {
  app.get('/api/trees', {
    onRequest: opts.readGuard,
    schema: {
      tags: ['trees'],
      summary: 'Configured trees and branches, with what is published and what was pushed last',
      security: opts.readSecurity,
      response: {
        200: {
          type: 'object',
          description: 'Every configured tree, in configuration order.',
          required: ['trees'],
          properties: {
            trees: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name', 'format', 'distribution', 'architectures', 'branches'],
                properties: {
                  name: { type: 'string' },
                  format: { type: 'string' },
                  distribution: { type: 'string' },
                  architectures: { type: 'array', items: { type: 'string' } },
                  branches: { type: 'array', items: branchSchema },
                },
              },
            },
          },
        },
        ...errorResponses(401),
      },
    },
  }, async () => ({ trees: await treesOverview(opts.config, opts.records, opts.snapshots) }));
}
