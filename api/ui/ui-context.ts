import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KilnConfig } from '../../domain/config';
import type { DataLayout } from '../../domain/data-layout';
import { KilnError } from '../../domain/errors';
import type { TokenVerifier } from '../auth/token-verifier';
import { COMMIT_PATTERN, type PushRecords } from '../data/push-records';
import type { PushControl } from '../data/push-control';
import type { Snapshots } from '../data/snapshots';
import type { PageContext } from './layout';
import type { PushWatches } from './push-watch';
import { signInRequired } from './ui-error';
import type { UiSessions } from './session';

// What the web UI's routes share, and the few helpers every one of them uses.

export interface UiRouteOptions {
  config: KilnConfig;
  layout: DataLayout;
  records: PushRecords;
  snapshots: Snapshots;
  /** Live status of running pushes (absent: pushes are shown from their records). */
  control?: PushControl;
  /** The API's token verifier: signing in to the UI takes an API token. */
  tokens: TokenVerifier;
  /** The live grid's timings (tests shorten them). */
  live?: { pollMs?: number; keepAliveMs?: number };
}

export interface Ui extends UiRouteOptions {
  sessions: UiSessions;
  watches: PushWatches;
}

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
    + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

export function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.status(status).headers(HTML_HEADERS).send(body);
}

/** The page's context; when reads need a token (`api.readsRequireToken`), a signed-in operator or 401. */
export async function readerContext(ui: Ui, request: FastifyRequest): Promise<PageContext> {
  const operator = await ui.sessions.operator(request);
  if (!operator && ui.config.api.readsRequireToken) throw signInRequired('this Kiln shows its pushes and repositories to signed-in users only');
  return { operator: operator && { name: operator.name, csrf: operator.csrf }, url: request.url };
}

export function checkCommit(commit: string): void {
  if (!COMMIT_PATTERN.test(commit)) throw new KilnError('REQUEST_INVALID', `"${commit}" is not a 40-digit hex commit id`);
}

/** A parsed form body as string fields only (a JSON body, or anything else, yields no stray types). */
export function formFields(body: unknown): Record<string, string> {
  if (!body || typeof body !== 'object') return {};
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** One query-string value: a non-empty string, else undefined (a repeated parameter is not one value). */
export function queryValue(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
