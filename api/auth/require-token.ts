import type { FastifyReply, FastifyRequest } from 'fastify';
import { KilnError } from '../../domain/errors';
import type { TokenKind } from './token-file';
import type { TokenIdentity, TokenVerifier } from './token-verifier';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireToken on the routes that need a token: who called (a token's name, never the token). */
    apiToken?: TokenIdentity;
  }
}

/** The token of an `Authorization: Bearer <token>` header; undefined without the header, null for another scheme. */
export function bearerToken(header: string | undefined): string | undefined | null {
  if (header === undefined || header.trim() === '') return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/** A route hook (onRequest, or any later one): resolves when the request may go on, throws otherwise. */
export type TokenGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * A hook answering 401 TOKEN_MISSING / TOKEN_INVALID (with `WWW-Authenticate: Bearer`) unless the request
 * carries a valid token. Neither the token nor the header is ever logged or echoed.
 */
export function requireToken(verifier: TokenVerifier, kind: TokenKind = 'operator'): TokenGuard {
  return async function checkToken(request: FastifyRequest, reply: FastifyReply) {
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      void reply.header('www-authenticate', 'Bearer realm="kiln"');
      throw new KilnError('TOKEN_MISSING', 'this request needs an API token: send "Authorization: Bearer <token>" (kiln tokens create <name>)');
    }
    const identity = token === null ? undefined : await verifier.verify(token, kind);
    if (!identity && token && await verifier.verify(token, kind === 'operator' ? 'worker' : 'operator')) {
      throw new KilnError('TOKEN_FORBIDDEN', kind === 'operator'
        ? 'a build worker\'s token cannot do this: it only exchanges blobs (make an operator token: kiln tokens create <name>)'
        : 'this is the build workers\' blob exchange: it takes a worker token (kiln tokens create --worker <name>)');
    }
    if (!identity) {
      void reply.header('www-authenticate', 'Bearer realm="kiln", error="invalid_token"');
      throw new KilnError('TOKEN_INVALID', token === null
        ? 'the Authorization header must be "Bearer <token>"'
        : 'the API token is not valid (mistyped or revoked)');
    }
    request.apiToken = identity;
  };
}

/** The web UI's sign-in cookie (api/ui/session.ts): it holds the operator's API token. */
const SESSION_COOKIE = /(?:^|;\s*)kiln_session=([^;\s]+)/;

/**
 * The guard of reads when they need a token: a bearer token as for actions, or, for GET and HEAD without an
 * Authorization header, the web UI's sign-in cookie, so that a signed-in browser's EventSource (which cannot send
 * headers) can follow a build log. The cookie is SameSite=Strict: other sites' pages never send it.
 */
export function requireReadToken(verifier: TokenVerifier): TokenGuard {
  const bearer = requireToken(verifier);
  return async function checkReadToken(request: FastifyRequest, reply: FastifyReply) {
    const cookie = SESSION_COOKIE.exec(request.headers.cookie ?? '')?.[1];
    if (request.headers.authorization === undefined && cookie && (request.method === 'GET' || request.method === 'HEAD')) {
      const identity = await verifier.verify(cookie);
      if (identity) {
        request.apiToken = identity;
        return;
      }
    }
    return bearer(request, reply);
  };
}

/** What an action records as its requester: `api:<token name>`. */
export function requestedBy(request: FastifyRequest): string {
  return `api:${request.apiToken?.name ?? 'anonymous'}`;
}
