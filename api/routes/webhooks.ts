import type { FastifyInstance } from 'fastify';
import type { KilnConfig } from '../../domain/config';
import type { PushRef } from '../../domain/data-layout';
import { KilnError } from '../../domain/errors';
import { handleWebhook, type WebhookProvider } from '../webhooks';

export type PushIntake = (push: PushRef, requestedBy: string) => Promise<{ workflowId: string }>;

const PROVIDERS: readonly WebhookProvider[] = ['gitlab', 'github', 'gitea', 'forgejo'];

/**
 * POST /webhooks/<tree>[/<provider>]: a forge's push event. 202 with the push workflow's ID when it starts (or had
 * started: a redelivery maps to the same ID), 200 "ignored" for tags, deletions, pings and other branches, 401 for a
 * bad signature, 400 for a malformed body; only a verified push of a configured branch starts anything.
 */
export async function webhookRoutes(app: FastifyInstance, opts: { config: KilnConfig; intake: PushIntake }): Promise<void> {
  // Signatures are over the exact bytes sent: keep every body raw in this plugin's scope.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 25 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  const schema = {
    params: {
      type: 'object',
      required: ['tree'],
      properties: { tree: { type: 'string', maxLength: 63 }, provider: { type: 'string', enum: [...PROVIDERS] } },
    },
  };

  app.post<{ Params: { tree: string; provider?: WebhookProvider } }>('/webhooks/:tree', { schema }, handler);
  app.post<{ Params: { tree: string; provider?: WebhookProvider } }>('/webhooks/:tree/:provider', { schema }, handler);

  async function handler(
    this: FastifyInstance,
    request: import('fastify').FastifyRequest<{ Params: { tree: string; provider?: WebhookProvider } }>,
    reply: import('fastify').FastifyReply,
  ) {
    // Anyone can call this URL: an unknown tree is named back, but the configured ones are not listed.
    const tree = opts.config.trees.find((t) => t.name === request.params.tree);
    if (!tree) throw new KilnError('TREE_UNKNOWN', `no tree named "${request.params.tree}" takes webhooks here`);
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (rawBody.length === 0) throw new KilnError('WEBHOOK_PAYLOAD_INVALID', 'the request has no body');
    const result = handleWebhook({
      provider: request.params.provider,
      headers: request.headers,
      rawBody,
      secret: tree.webhook?.secret,
      branches: tree.branches,
    });
    if (result.kind === 'ignored') {
      request.log.info({ tree: tree.name, reason: result.reason }, 'webhook ignored');
      return reply.status(200).send({ status: 'ignored', reason: result.reason });
    }
    const push = { tree: tree.name, branch: result.branch, commit: result.commit };
    const { workflowId } = await opts.intake(push, `webhook${result.pusher ? `:${result.pusher}` : ''}`);
    request.log.info({ ...push, workflowId }, 'push accepted');
    return reply.status(202).send({ status: 'accepted', push, workflowId });
  }
}
