import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../../domain/errors';
import { PUSH_STATES } from '../data/push-records';

// The REST API's description: the JSON schemas its routes share (registered once, referenced as `<id>#`), the
// OpenAPI 3 document built from every route's schema (GET /api/openapi.json) and Swagger UI over it (GET /api/docs).

const BUILD_STATES = ['waiting', 'building', 'succeeded', 'failed', 'cancelled', 'blocked'];

const errorSchema = {
  $id: 'kiln-error',
  type: 'object',
  description: 'Every error: a stable code (docs/ERRORS.md) and a message for people.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', enum: Object.keys(ERROR_CODES) }, message: { type: 'string' } },
    },
  },
} as const;

const buildCountsSchema = {
  $id: 'kiln-build-counts',
  type: 'object',
  required: ['total', ...BUILD_STATES],
  properties: Object.fromEntries(['total', ...BUILD_STATES].map((s) => [s, { type: 'integer' }])),
} as const;

const publishResultSchema = {
  $id: 'kiln-publish-result',
  type: 'object',
  required: ['outcome', 'targets'],
  properties: {
    outcome: { type: 'string', enum: ['published', 'skipped', 'failed'] },
    snapshot: { type: 'integer' },
    commit: { type: 'string' },
    targets: {
      type: 'array',
      items: {
        type: 'object',
        required: ['target', 'ok'],
        properties: { target: { type: 'integer' }, ok: { type: 'boolean' }, detail: { type: 'string' }, error: { type: 'string' } },
      },
    },
    error: { $ref: 'kiln-failure#' },
    reason: { type: 'string' },
  },
} as const;

const failureSchema = {
  $id: 'kiln-failure',
  type: 'object',
  required: ['type', 'message'],
  properties: { type: { type: 'string' }, message: { type: 'string' } },
} as const;

const pushSummarySchema = {
  $id: 'kiln-push-summary',
  type: 'object',
  required: ['workflowId', 'tree', 'branch', 'commit', 'state', 'requestedBy', 'startedAt', 'builds', 'url'],
  properties: {
    workflowId: { type: 'string' },
    tree: { type: 'string' },
    branch: { type: 'string' },
    commit: { type: 'string' },
    state: { type: 'string', enum: [...PUSH_STATES] },
    requestedBy: { type: 'string' },
    startedAt: { type: 'integer', description: 'Milliseconds since the epoch.' },
    finishedAt: { type: 'integer' },
    supersededBy: { type: 'string' },
    recordedAt: { type: 'string', format: 'date-time' },
    builds: { $ref: 'kiln-build-counts#' },
    publish: {
      type: 'object',
      required: ['outcome'],
      properties: { outcome: { type: 'string', enum: ['published', 'skipped', 'failed'] }, snapshot: { type: 'integer' } },
    },
    url: { type: 'string', description: 'The push in this API.' },
  },
} as const;

const artifactSchema = {
  type: 'object',
  required: ['file', 'sha256', 'size', 'package', 'version', 'architecture'],
  properties: {
    file: { type: 'string' }, sha256: { type: 'string' }, size: { type: 'integer' }, package: { type: 'string' },
    version: { type: 'string' }, architecture: { type: 'string' },
  },
} as const;

const buildSchema = {
  $id: 'kiln-build',
  type: 'object',
  required: ['id', 'source', 'version', 'arch', 'state', 'attempt', 'logUrl'],
  properties: {
    id: { type: 'string' },
    source: { type: 'string' },
    version: { type: 'string' },
    arch: { type: 'string' },
    state: { type: 'string', enum: BUILD_STATES },
    attempt: { type: 'integer' },
    startedAt: { type: 'integer' },
    finishedAt: { type: 'integer' },
    durationMs: { type: 'integer' },
    key: { type: 'string' },
    cached: { type: 'boolean' },
    error: { $ref: 'kiln-failure#' },
    blockedBy: { type: 'array', items: { type: 'string' } },
    note: { type: 'string', description: 'Why a started build does not run yet (for example: waiting for disk space).' },
    artifacts: { type: 'array', items: artifactSchema },
    installTest: {
      type: 'object',
      description: 'The build\'s install test (its packages installed in fresh containers, its recipe\'s tests run), once the push reached that stage.',
      required: ['state', 'attempt'],
      properties: {
        state: { type: 'string', enum: ['waiting', 'testing', 'passed', 'failed', 'cancelled'] },
        attempt: { type: 'integer' },
        startedAt: { type: 'integer' },
        finishedAt: { type: 'integer' },
        error: { $ref: 'kiln-failure#' },
        summary: {
          type: 'object',
          properties: {
            installed: { type: 'array', items: { type: 'string' } },
            passed: { type: 'array', items: { type: 'string' } },
            failed: { type: 'array', items: { type: 'string' } },
            skipped: {
              type: 'array',
              items: { type: 'object', required: ['name', 'reason'], properties: { name: { type: 'string' }, reason: { type: 'string' } } },
            },
          },
        },
      },
    },
    logUrl: { type: 'string', description: 'The build log; the install test appends to it.' },
  },
} as const;

const pushDetailSchema = {
  $id: 'kiln-push',
  type: 'object',
  description: 'One push: its state, plan, arches, every build (with its log), publish result and Temporal UI link.',
  required: ['workflowId', 'tree', 'branch', 'commit', 'state', 'requestedBy', 'startedAt', 'source', 'running', 'arches', 'builds',
    'buildCounts', 'url', 'temporalUrl'],
  properties: {
    workflowId: { type: 'string' },
    tree: { type: 'string' },
    branch: { type: 'string' },
    commit: { type: 'string' },
    state: { type: 'string', enum: [...PUSH_STATES] },
    requestedBy: { type: 'string' },
    startedAt: { type: 'integer' },
    finishedAt: { type: 'integer' },
    supersededBy: { type: 'string' },
    source: { type: 'string', enum: ['live', 'record'], description: 'live: the running workflow answered; record: read from disk.' },
    running: { type: 'boolean' },
    recordedAt: { type: 'string', format: 'date-time' },
    liveError: { type: 'string', description: 'Why Temporal could not be asked (the answer then comes from the record).' },
    plan: {
      type: 'object',
      required: ['builds', 'unchanged', 'deleted', 'errors'],
      properties: {
        builds: { type: 'integer' },
        unchanged: { type: 'integer' },
        deleted: { type: 'array', items: { type: 'string' } },
        errors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['dir', 'code', 'message'],
            properties: { dir: { type: 'string' }, source: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
    arches: {
      type: 'array',
      items: {
        type: 'object',
        required: ['arch', 'workflowId', 'state'],
        properties: { arch: { type: 'string' }, workflowId: { type: 'string' }, state: { type: 'string' } },
      },
    },
    builds: { type: 'array', items: { $ref: 'kiln-build#' } },
    buildCounts: { $ref: 'kiln-build-counts#' },
    publish: { $ref: 'kiln-publish-result#' },
    url: { type: 'string' },
    temporalUrl: { type: 'string', description: 'The push workflow in the Temporal web UI.' },
    forgeCommitUrl: { type: 'string', description: 'The pushed commit on the tree\'s forge, where Kiln\'s commit status shows (trees with a `forge` only).' },
  },
} as const;

const snapshotSummarySchema = {
  $id: 'kiln-snapshot-summary',
  type: 'object',
  required: ['number', 'commit', 'createdAt', 'suite', 'publishedFor', 'current', 'sources', 'url'],
  properties: {
    number: { type: 'integer' },
    commit: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    suite: { type: 'string' },
    publishedFor: { type: 'string', description: 'The push or rollback workflow it was published for.' },
    base: { type: 'integer', description: 'The snapshot that was current when this one was made.' },
    rollbackOf: { type: 'integer', description: 'For a rollback: the snapshot whose content this one republishes.' },
    current: { type: 'boolean' },
    sources: { type: 'integer', description: 'How many source packages it holds.' },
    url: { type: 'string' },
  },
} as const;

const blobSchema = {
  $id: 'kiln-blob',
  type: 'object',
  required: ['digest', 'size', 'created'],
  properties: {
    digest: { type: 'string', description: 'The SHA-256 the blob is stored under.' },
    size: { type: 'integer' },
    created: { type: 'boolean', description: 'false: it was stored already (the upload changed nothing).' },
  },
} as const;

export const API_SCHEMAS = [
  errorSchema, failureSchema, buildCountsSchema, publishResultSchema, pushSummarySchema, buildSchema, pushDetailSchema,
  snapshotSummarySchema, blobSchema,
] as const;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'REQUEST_INVALID: a malformed parameter, query or body',
  401: 'TOKEN_MISSING or TOKEN_INVALID',
  403: 'TOKEN_FORBIDDEN: a token of the other kind (worker / operator)',
  413: 'BLOB_TOO_LARGE: over api.blobMaxMb',
  404: 'An unknown tree, branch, push, log, snapshot or rollback (TREE_UNKNOWN, BRANCH_UNKNOWN, PUSH_UNKNOWN, LOG_UNKNOWN, SNAPSHOT_UNKNOWN, ROLLBACK_UNKNOWN, NOT_FOUND)',
  409: 'PUSH_NOT_RUNNING: the push has finished',
  416: 'The range is outside the log',
  502: 'TREE_UNREACHABLE: the tree\'s git repository cannot be read',
  503: 'TEMPORAL_UNAVAILABLE',
};

/** Error answers of a route, by status: each is `{ error: { code, message } }`. */
export function errorResponses(...statuses: number[]): Record<number, { description: string; $ref: string }> {
  return Object.fromEntries(statuses.map((s) => [s, { description: ERROR_DESCRIPTIONS[s] ?? 'An error', $ref: 'kiln-error#' }]));
}

/** Path parameters, as JSON schemas (the branch arrives URL-decoded: `release%2F1.x` is `release/1.x`). */
export const PARAM = {
  tree: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$', description: 'A configured tree.' },
  branch: { type: 'string', minLength: 1, maxLength: 255, description: 'A configured branch, URL-encoded as one segment (`release%2F1.x`).' },
  commit: { type: 'string', pattern: '^[0-9a-f]{40}$', description: 'A full 40-digit hex commit id.' },
  source: { type: 'string', pattern: '^[a-z0-9][a-z0-9+.-]+$', maxLength: 100, description: 'A source package name.' },
  arch: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 32, description: 'An architecture of the tree.' },
  snapshot: { type: 'integer', minimum: 1, maximum: 999_999_999, description: 'A snapshot number.' },
} as const;

export const BEARER = [{ bearer: [] }];

/**
 * Registers the description on the app itself (not in a child scope: the document lists the routes of the scope it is
 * registered in). Call before any route is added, so every route is in the document.
 */
export function registerOpenApi(app: FastifyInstance, opts: { publicUrl: string; readsRequireToken: boolean }): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Kiln API',
        version: '1',
        description: 'Trees, pushes, build logs and published snapshots of a Kiln server, and the actions on them. '
          + 'Actions need `Authorization: Bearer <token>` (`kiln tokens create <name>`); '
          + (opts.readsRequireToken ? 'on this server reads do too. ' : 'reads are public on this server. ')
          + 'Errors are `{ "error": { "code", "message" } }` with a stable code. '
          + 'A branch is one path segment, URL-encoded: `release%2F1.x`.',
      },
      servers: [{ url: opts.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token made by `kiln tokens create <name>`.' } } },
      tags: [
        { name: 'trees', description: 'Configured trees and branches' },
        { name: 'pushes', description: 'Pushes and their builds' },
        { name: 'logs', description: 'Build logs' },
        { name: 'repositories', description: 'Published snapshots' },
        { name: 'actions', description: 'Start, cancel, retry, roll back (token needed)' },
        { name: 'session', description: 'The caller\'s API token' },
      ],
    },
    // Shared schemas keep their $id as their name under components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (documentObject) => markOptionalBodies((documentObject as { openapiObject: OpenApiDocument }).openapiObject),
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(app.swagger()));

  void app.register(swaggerUi, {
    routePrefix: '/api/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    staticCSP: true,
    // Its default would make browsers fetch the page's scripts over https, which a plain-http Kiln does not serve.
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });
}

type OpenApiDocument = { paths?: Record<string, Record<string, { requestBody?: { required?: boolean }; 'x-kiln-optional-body'?: boolean }>> };

/** Routes whose schema says `x-kiln-optional-body` take no body as `{}`: the document says the body is optional. */
function markOptionalBodies(document: OpenApiDocument): OpenApiDocument {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      if (!operation['x-kiln-optional-body']) continue;
      delete operation['x-kiln-optional-body'];
      if (operation.requestBody) operation.requestBody.required = false;
    }
  }
  return document;
}
