import type { FastifyInstance } from 'fastify';
import type { ApiRouteOptions } from '../app';
import { configuredBranch } from '../data/branches';
import { snapshotUrl } from '../data/links';
import { errorResponses, PARAM } from './openapi';

type BranchParams = { tree: string; branch: string };

const branchParams = {
  type: 'object',
  required: ['tree', 'branch'],
  properties: { tree: PARAM.tree, branch: PARAM.branch },
} as const;

const versionChange = {
  type: 'object',
  required: ['source', 'version'],
  properties: { source: { type: 'string' }, version: { type: 'string' } },
} as const;

const binarySchema = {
  type: 'object',
  required: ['package', 'version', 'architecture', 'source', 'file', 'size', 'sha256'],
  properties: {
    package: { type: 'string' }, version: { type: 'string' }, architecture: { type: 'string' }, source: { type: 'string' },
    file: { type: 'string' }, size: { type: 'integer' }, sha256: { type: 'string' },
  },
} as const;

/** GET /api/repos/<tree>/<branch>/snapshots[/<n>] and .../diff: a branch's published snapshots, from their manifests. */
export async function repositoryRoutes(app: FastifyInstance, opts: ApiRouteOptions): Promise<void> {
  app.get<{ Params: BranchParams }>('/api/repos/:tree/:branch/snapshots', {
    onRequest: opts.readGuard,
    schema: {
      tags: ['repositories'],
      summary: 'The snapshots kept of a branch\'s repository, newest first',
      security: opts.readSecurity,
      params: branchParams,
      response: {
        200: {
          type: 'object',
          description: 'The snapshots kept, newest first.',
          required: ['snapshots'],
          properties: {
            current: { type: 'integer', description: 'The snapshot apt gets now; absent before the first publish.' },
            snapshots: { type: 'array', items: { $ref: 'kiln-snapshot-summary#' } },
          },
        },
        ...errorResponses(400, 401, 404),
      },
    },
  }, async (request) => {
    const { tree, branch } = request.params;
    configuredBranch(opts.config, tree, branch);
    const snapshots = await opts.snapshots.list(tree, branch);
    return {
      current: snapshots.find((s) => s.current)?.number,
      snapshots: snapshots.map((s) => ({ ...s, url: snapshotUrl(tree, branch, s.number) })),
    };
  });

  app.get<{ Params: BranchParams & { n: number } }>('/api/repos/:tree/:branch/snapshots/:n', {
    onRequest: opts.readGuard,
    schema: {
      tags: ['repositories'],
      summary: 'One snapshot: its source packages, and the binary packages of each arch',
      security: opts.readSecurity,
      params: { ...branchParams, required: [...branchParams.required, 'n'], properties: { ...branchParams.properties, n: PARAM.snapshot } },
      response: {
        200: {
          type: 'object',
          description: 'The snapshot\'s manifest, summarized.',
          required: ['number', 'commit', 'createdAt', 'suite', 'publishedFor', 'current', 'sources', 'url', 'arches', 'packages', 'binaries'],
          properties: {
            number: { type: 'integer' },
            commit: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
            suite: { type: 'string' },
            publishedFor: { type: 'string' },
            base: { type: 'integer' },
            rollbackOf: { type: 'integer' },
            current: { type: 'boolean' },
            sources: { type: 'integer' },
            url: { type: 'string' },
            arches: { type: 'array', items: { type: 'string' } },
            packages: {
              type: 'array',
              description: 'Source packages with their versions and the arches they were built on.',
              items: {
                type: 'object',
                required: ['source', 'version', 'arches'],
                properties: { source: { type: 'string' }, version: { type: 'string' }, arches: { type: 'array', items: { type: 'string' } } },
              },
            },
            binaries: {
              type: 'object',
              description: 'Per arch, what its Packages index lists (`Architecture: all` packages under every arch).',
              additionalProperties: { type: 'array', items: binarySchema },
            },
          },
        },
        ...errorResponses(400, 401, 404),
      },
    },
  }, async (request) => {
    const { tree, branch, n } = request.params;
    configuredBranch(opts.config, tree, branch);
    return { ...(await opts.snapshots.detail(tree, branch, n)), url: snapshotUrl(tree, branch, n) };
  });

  app.get<{ Params: BranchParams; Querystring: { from: number; to: number } }>('/api/repos/:tree/:branch/diff', {
    onRequest: opts.readGuard,
    schema: {
      tags: ['repositories'],
      summary: 'What changed between two snapshots, by source package',
      security: opts.readSecurity,
      params: branchParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to'],
        properties: { from: PARAM.snapshot, to: PARAM.snapshot },
      },
      response: {
        200: {
          type: 'object',
          description: 'Source packages added, removed and changed from `from` to `to`.',
          required: ['from', 'to', 'added', 'removed', 'changed'],
          properties: {
            from: { type: 'integer' },
            to: { type: 'integer' },
            added: { type: 'array', items: versionChange },
            removed: { type: 'array', items: versionChange },
            changed: {
              type: 'array',
              description: 'A new version, or the same version with other files (`rebuilt`).',
              items: {
                type: 'object',
                required: ['source', 'from', 'to'],
                properties: { source: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, rebuilt: { type: 'boolean' } },
              },
            },
          },
        },
        ...errorResponses(400, 401, 404),
      },
    },
  }, async (request) => {
    const { tree, branch } = request.params;
    configuredBranch(opts.config, tree, branch);
    return opts.snapshots.diff(tree, branch, request.query.from, request.query.to);
  });
}
