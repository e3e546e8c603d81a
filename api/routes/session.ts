import type { FastifyInstance } from 'fastify';
import type { ApiRouteOptions } from '../app';
import { BEARER, errorResponses } from './openapi';

/**
 * GET /api/session: whose the request's token is. Checks a token without acting (`kiln login` verifies one with it
 * before saving it); the same guard as the actions, so it answers exactly when an action would accept the token.
 */
export async function sessionRoutes(app: FastifyInstance, opts: ApiRouteOptions): Promise<void> {
  app.get('/api/session', {
    onRequest: opts.actionGuard,
    schema: {
      tags: ['session'],
      summary: 'Whose the API token is: answers for a valid token, 401 otherwise',
      security: BEARER,
      response: {
        200: {
          type: 'object',
          description: 'The token is valid.',
          required: ['name'],
          properties: { name: { type: 'string', description: 'The token\'s name (`kiln tokens create <name>`); never the token.' } },
        },
        ...errorResponses(401),
      },
    },
  }, async (request) => ({ name: request.apiToken?.name ?? '' }));
}
