import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KilnConfig } from '../../domain/config';
import { DataLayout, type PushRef } from '../../domain/data-layout';
import { KilnError } from '../../domain/errors';
import { webhookRequester } from '../../domain/push';
import { publishedCheck, type PublishedCheck } from '../data/published-commit';
import { DeliveryRecord, isUsableDeliveryId, type DeliveryClaim } from '../intake/delivery-record';
import { handleWebhook, type PushEvent, type WebhookProvider } from '../webhooks';

export type PushIntake = (push: PushRef, requestedBy: string) => Promise<{ workflowId: string }>;

export interface WebhookRouteOptions {
  config: KilnConfig;
  intake: PushIntake;
  /** Default: the delivery IDs under the data dir. */
  deliveries?: DeliveryRecord;
  /** Default: the branch's current snapshot and the tree's mirror. */
  published?: PublishedCheck;
}

const PROVIDERS: readonly WebhookProvider[] = ['gitlab', 'github', 'gitea', 'forgejo'];

/** GitHub caps its payloads at 25 MB; no forge sends more for a push. Checked from Content-Length before reading. */
export const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;

type WebhookRequest = FastifyRequest<{ Params: { tree: string; provider?: WebhookProvider } }>;

/**
 * POST /webhooks/<tree>[/<provider>]: a forge's push event. 202 with the push workflow's ID when it starts (or had
 * started: a redelivery maps to the same ID), 200 "duplicate" for a delivery ID already acted on, 200 "ignored" for
 * tags, deletions, pings, other branches and commits already published (or older than the published one), 401 for a
 * bad signature, 400 for a malformed body; 404 for an unknown tree, 401 for a tree without a webhook secret and 413
 * for an oversized body, all three answered before the body is read. Only a verified push of a configured branch
 * starts anything.
 */
export async function webhookRoutes(app: FastifyInstance, opts: WebhookRouteOptions): Promise<void> {
  const layout = new DataLayout(opts.config.dataDir);
  const deliveries = opts.deliveries ?? new DeliveryRecord(layout);
  const published = opts.published ?? publishedCheck(layout);

  // Signatures are over the exact bytes sent: keep every body raw in this plugin's scope. The parser's limit also
  // stops a chunked body (no Content-Length) at the limit while it streams.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));

  // Before any byte of the body is read: an anonymous caller cannot make the API buffer 25 MiB for a tree that does
  // not exist, nor announce more than the limit. The connection is closed rather than drained.
  app.addHook('onRequest', async (request: WebhookRequest, reply) => {
    const name = (request.params as { tree?: string }).tree;
    const declared = Number(request.headers['content-length'] ?? 0);
    const tree = opts.config.trees.find((t) => t.name === name);
    if (!tree) {
      void reply.header('connection', 'close');
      // Anyone can call this URL: an unknown tree is named back, but the configured ones are not listed.
      throw new KilnError('TREE_UNKNOWN', `no tree named "${name}" takes webhooks here`);
    }
    if (!tree.webhook?.secret) {
      void reply.header('connection', 'close');
      throw new KilnError('WEBHOOK_SIGNATURE_INVALID', 'this tree has no webhook secret configured, so it accepts no webhooks');
    }
    if (declared > WEBHOOK_BODY_LIMIT) {
      void reply.header('connection', 'close');
      throw new KilnError('WEBHOOK_BODY_TOO_LARGE', `the body is ${declared} bytes; webhooks may be at most ${WEBHOOK_BODY_LIMIT}`);
    }
  });

  const schema = {
    params: {
      type: 'object',
      required: ['tree'],
      properties: { tree: { type: 'string', maxLength: 63 }, provider: { type: 'string', enum: [...PROVIDERS] } },
    },
  };

  app.post<{ Params: { tree: string; provider?: WebhookProvider } }>('/webhooks/:tree', { schema }, handler);
  app.post<{ Params: { tree: string; provider?: WebhookProvider } }>('/webhooks/:tree/:provider', { schema }, handler);

  async function handler(request: WebhookRequest, reply: FastifyReply) {
    const tree = opts.config.trees.find((t) => t.name === request.params.tree)!;
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
    // Verified from here on (handleWebhook checked the signature): the delivery ID may be recorded.
    const deliveryId = result.deliveryId !== undefined && isUsableDeliveryId(result.deliveryId) ? result.deliveryId : undefined;
    const claim = deliveryId === undefined ? undefined : await claimDelivery(request, tree.name, deliveryId);
    if (claim?.duplicate) {
      request.log.info({ tree: tree.name, deliveryId }, 'webhook duplicate');
      return reply.status(200).send({ status: 'duplicate', deliveryId, reason: `delivery ${deliveryId} was received before: nothing new started` });
    }
    try {
      const answer = await accept(request, tree.name, result);
      // Recorded before the answer goes out: a forge (or a test) that has the answer finds the record written. A
      // failed write loses only the restart-proof copy of this ID (memory still has it).
      await claim?.done().catch((err: unknown) => request.log.error({ err, deliveryId }, 'cannot record the webhook delivery'));
      return reply.status(answer.status).send(answer.body);
    } catch (err) {
      claim?.release();
      throw err;
    }
  }

  /**
   * An unreadable record (permissions, a broken disk) must not stop every webhook: the push goes ahead without
   * deduplication, which the push workflow's ID (same commit, same workflow) and the published-commit check back up.
   */
  async function claimDelivery(request: WebhookRequest, tree: string, deliveryId: string): Promise<DeliveryClaim | undefined> {
    try {
      return await deliveries.claim(tree, deliveryId);
    } catch (err) {
      request.log.error({ err, tree, deliveryId }, 'cannot read the webhook delivery record; going ahead without it');
      return undefined;
    }
  }

  async function accept(request: WebhookRequest, treeName: string, result: PushEvent): Promise<{ status: 200 | 202; body: object }> {
    const push = { tree: treeName, branch: result.branch, commit: result.commit };
    const current = await published(push);
    if (current !== undefined) {
      const reason = current === push.commit
        ? `commit ${push.commit} is already published on branch "${push.branch}"`
        : `commit ${push.commit} is older than the published ${current} of branch "${push.branch}": a webhook never goes back (an operator can push it or roll back)`;
      request.log.warn({ ...push, published: current }, 'webhook of a published or older commit ignored');
      return { status: 200, body: { status: 'ignored', reason } };
    }
    const { workflowId } = await opts.intake(push, webhookRequester(result.pusher));
    request.log.info({ ...push, workflowId, deliveryId: result.deliveryId }, 'push accepted');
    return { status: 202, body: { status: 'accepted', push, workflowId } };
  }
}
