import { beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken, tokenFile } from '../../../api/auth/token-file';
import { restFixture, type RestFixture } from './rest-fixture';

// GET /api/session: whose the token is; `kiln login` checks a token with it before saving it.

let f: RestFixture;
beforeAll(async () => { f = await restFixture(); });

const session = (headers: Record<string, string> = {}) => f.app.inject({ method: 'GET', url: '/api/session', headers });

describe('GET /api/session', () => {
  it('names the token\'s holder, never the token', async () => {
    const res = await session(f.auth);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: 'ci' });
  });

  it.each([
    ['no token', {}, 'TOKEN_MISSING'],
    ['a wrong token', { authorization: `Bearer kiln_${'A'.repeat(43)}` }, 'TOKEN_INVALID'],
    ['another scheme', { authorization: 'Basic Y2k6eA==' }, 'TOKEN_INVALID'],
  ])('answers %s with 401 %s', async (_what, headers, code) => {
    const res = await session(headers);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe(code);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="kiln"/);
  });

  it('stops answering for a revoked token', async () => {
    const { token } = await createToken(tokenFile(f.dataDir), 'laptop');
    expect((await session({ authorization: `Bearer ${token}` })).json()).toEqual({ name: 'laptop' });
    await revokeToken(tokenFile(f.dataDir), 'laptop');
    expect((await session({ authorization: `Bearer ${token}` })).statusCode).toBe(401);
  });
});
