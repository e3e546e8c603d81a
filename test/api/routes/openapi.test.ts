import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../domain/errors';
import { restFixture, type RestFixture } from './rest-fixture';

// GET /api/openapi.json: an OpenAPI 3 document of every route; GET /api/docs: Swagger UI over it.

type Operation = {
  summary?: string; tags?: string[]; security?: unknown[]; parameters?: Array<{ in: string; name: string }>;
  requestBody?: { required?: boolean }; responses: Record<string, unknown>;
};
type Doc = { openapi: string; info: { title: string }; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

let f: RestFixture;
let doc: Doc;
const routes: Array<{ method: string; url: string; hidden: boolean }> = [];

beforeAll(async () => {
  f = await restFixture({ readsRequireToken: true });
  f.app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, hidden: Boolean((route.schema as { hide?: boolean } | undefined)?.hide) });
    }
  });
  const res = await f.app.inject({ method: 'GET', url: '/api/openapi.json' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  doc = JSON.parse(res.body);
});

/** `/api/pushes/:tree/:branch` → `/api/pushes/{tree}/{branch}`; a wildcard is `{*}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{*}');

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3 document', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toBe('Kiln API');
  });

  it('has every route the app serves, with its methods', () => {
    const served = routes.filter((r) => !r.hidden && r.method !== 'HEAD');
    expect(served.length).toBeGreaterThan(15);
    for (const route of served) {
      expect(doc.paths[openApiPath(route.url)], `${route.method} ${route.url}`).toBeDefined();
      expect(doc.paths[openApiPath(route.url)][route.method.toLowerCase()], `${route.method} ${route.url}`).toBeDefined();
    }
  });

  it.each([
    ['get', '/api/trees'],
    ['get', '/api/pushes'],
    ['get', '/api/pushes/{tree}/{branch}/{commit}'],
    ['post', '/api/pushes'],
    ['post', '/api/pushes/{tree}/{branch}/{commit}/cancel'],
    ['post', '/api/pushes/{tree}/{branch}/{commit}/retry'],
    ['get', '/api/logs/{tree}/{branch}/{commit}/{source}/{arch}'],
    ['get', '/api/repos/{tree}/{branch}/snapshots'],
    ['get', '/api/repos/{tree}/{branch}/snapshots/{n}'],
    ['get', '/api/repos/{tree}/{branch}/diff'],
    ['post', '/api/repos/{tree}/{branch}/rollback'],
    ['get', '/api/repos/{tree}/{branch}/rollbacks/{id}'],
    ['get', '/api/session'],
  ])('describes %s %s: summary, tag, token, parameters, answers', (method, url) => {
    const op = doc.paths[url][method];
    expect(op.summary).toBeTruthy();
    expect(op.tags?.length).toBe(1);
    // This server needs tokens for reads too.
    expect(op.security).toEqual([{ bearer: [] }]);
    for (const name of [...url.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
      expect(op.parameters?.find((p) => p.in === 'path' && p.name === name), name).toBeDefined();
    }
    expect(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s))).toBe(true);
    expect(op.responses['401']).toBeDefined();
    if (url.includes('{')) expect(op.responses['404']).toBeDefined();
  });

  it('says which bodies may be left out', () => {
    expect(doc.paths['/api/pushes'].post.requestBody?.required).toBe(true);
    for (const url of ['/api/pushes/{tree}/{branch}/{commit}/cancel', '/api/pushes/{tree}/{branch}/{commit}/retry', '/api/repos/{tree}/{branch}/rollback']) {
      expect(doc.paths[url].post.requestBody?.required, url).toBe(false);
      expect(doc.paths[url].post).not.toHaveProperty('x-kiln-optional-body');
    }
  });

  it('lists the query parameters', () => {
    const names = (url: string) => doc.paths[url].get.parameters?.filter((p) => p.in === 'query').map((p) => p.name);
    expect(names('/api/pushes')).toEqual(['tree', 'branch', 'state', 'limit', 'cursor']);
    expect(names('/api/logs/{tree}/{branch}/{commit}/{source}/{arch}')).toEqual(['tail', 'follow']);
    expect(names('/api/repos/{tree}/{branch}/diff')).toEqual(['from', 'to']);
  });

  it('resolves every $ref, and names the error codes', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of new Set(refs)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
    }
    const error = doc.components.schemas['kiln-error'] as { properties: { error: { properties: { code: { enum: string[] } } } } };
    expect(error.properties.error.properties.code.enum).toEqual(Object.keys(ERROR_CODES));
  });

  it('is public, like the docs page, even when reads need a token', async () => {
    expect((await f.app.inject({ method: 'GET', url: '/api/trees' })).statusCode).toBe(401);
    const page = await f.app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const spec = await f.app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(spec.json().paths).toEqual(doc.paths);
    const assets = await f.app.inject({ method: 'GET', url: '/api/docs/static/swagger-ui-bundle.js' });
    expect(assets.statusCode).toBe(200);
  });

  it('does not put the docs page\'s policy on API answers', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/api/trees', headers: f.auth });
    expect(res.headers['content-security-policy']).toBeUndefined();
  });
});
