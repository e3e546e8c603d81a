import * as crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { TOKEN_PATTERN } from '../auth/token-file';
import type { TokenVerifier } from '../auth/token-verifier';
import { formRefused } from './ui-error';

// Signing in to the web UI: the operator pastes an API token once; it is kept in an HttpOnly, SameSite=Strict cookie
// and checked with the API's verifier on every request (a revoked token signs out at once). Forms that act carry a
// CSRF token derived from the session's API token (HMAC), and the request's Origin must be this site's.

export const SESSION_COOKIE = 'kiln_session';
/** How long a browser keeps the session cookie. */
const SESSION_SECONDS = 12 * 60 * 60;
export const CSRF_FIELD = '_csrf';

export interface Operator {
  /** The token's name (never the token). */
  name: string;
  /** The value forms carry in `_csrf`. */
  csrf: string;
  /** The API token, to call the API's actions with: never rendered. */
  token: string;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

function csrfOf(token: string): string {
  return crypto.createHmac('sha256', token).update('kiln-ui-csrf/v1').digest('base64url');
}

export class UiSessions {
  private readonly secure: boolean;
  private readonly origins: Set<string>;
  private readonly resolved = new WeakMap<FastifyRequest, Promise<Operator | undefined>>();

  constructor(private readonly verifier: TokenVerifier, publicUrl: string) {
    this.secure = publicUrl.startsWith('https:');
    this.origins = new Set([new URL(publicUrl).origin]);
  }

  /** The signed-in operator of a request, or undefined (no cookie, or a token that is no longer valid). */
  operator(request: FastifyRequest): Promise<Operator | undefined> {
    let found = this.resolved.get(request);
    if (!found) {
      found = this.resolve(request);
      this.resolved.set(request, found);
    }
    return found;
  }

  /** The identity of a token pasted into the login form, or undefined. Only a well-formed token goes into a cookie. */
  async verify(token: string): Promise<string | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    return (await this.verifier.verify(token))?.name;
  }

  /** Set-Cookie value of a new session, for a token `verify` accepted (so it is cookie-safe). */
  sessionCookie(token: string): string {
    return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_SECONDS}${this.secure ? '; Secure' : ''}`;
  }

  clearCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.secure ? '; Secure' : ''}`;
  }

  /**
   * A form POST comes from this site: its Origin (when the browser sends one) is ours, Sec-Fetch-Site (when sent)
   * is same-origin, and, when there is a session, `_csrf` matches it. FORM_REFUSED (403) otherwise.
   */
  checkForm(request: FastifyRequest, operator: Operator | undefined, form: Record<string, string>): void {
    const origin = request.headers.origin;
    if (origin !== undefined && !this.allowedOrigin(request, origin)) throw formRefused('the form was sent from another site');
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw formRefused('the form was sent from another site');
    if (operator) {
      const sent = Buffer.from(form[CSRF_FIELD] ?? '');
      const expected = Buffer.from(operator.csrf);
      if (sent.length !== expected.length || !crypto.timingSafeEqual(sent, expected)) {
        throw formRefused('the form is out of date or was not made by this site: reload the page and try again');
      }
    }
  }

  private allowedOrigin(request: FastifyRequest, origin: string): boolean {
    if (this.origins.has(origin)) return true;
    const host = request.headers.host;
    return host !== undefined && origin === `${request.protocol}://${host}`;
  }

  private async resolve(request: FastifyRequest): Promise<Operator | undefined> {
    const token = parseCookies(request.headers.cookie)[SESSION_COOKIE];
    if (!token) return undefined;
    const identity = await this.verifier.verify(token);
    return identity && { name: identity.name, csrf: csrfOf(token), token };
  }
}
