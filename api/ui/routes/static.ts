import type { FastifyInstance } from 'fastify';
import { ASSETS } from '../assets/assets';
import { badgeSvg } from '../badge';
import { branchStatus } from '../branch-status';
import type { Ui } from '../ui-context';

// The stylesheet and script (content-hashed URLs, cached for a year) and the branch status badges (never cached).

const HIDDEN = { schema: { hide: true } };

export function staticRoutes(app: FastifyInstance, ui: Ui): void {
  app.get<{ Params: { file: string } }>('/ui/assets/:file', HIDDEN, async (request, reply) => {
    const asset = ASSETS.get(`/ui/assets/${request.params.file}`);
    if (!asset) return reply.status(404).header('content-type', 'text/plain; charset=utf-8').send('no such asset\n');
    return reply
      .header('content-type', asset.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(asset.body);
  });

  /** /badge/<tree>/<branch, url-encoded>.svg: "kiln | published #7", "kiln | building", "kiln | failed", ... */
  app.get<{ Params: { tree: string; file: string } }>('/badge/:tree/:file', HIDDEN, async (request, reply) => {
    void reply
      .header('content-type', 'image/svg+xml; charset=utf-8')
      .header('cache-control', 'no-cache, no-store, must-revalidate')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    const { tree, file } = request.params;
    const branch = file.endsWith('.svg') ? file.slice(0, -'.svg'.length) : undefined;
    const treeConfig = ui.config.trees.find((t) => t.name === tree);
    if (branch === undefined || !treeConfig || !treeConfig.branches.includes(branch)) {
      return reply.status(404).send(badgeSvg('kiln', 'unknown branch', 'idle'));
    }
    if (ui.config.api.readsRequireToken && !(await ui.sessions.operator(request))) {
      return reply.status(401).send(badgeSvg('kiln', 'sign in', 'idle'));
    }
    const [snapshot, lastPush] = await Promise.all([ui.snapshots.current(tree, branch), ui.records.latest(tree, branch)]);
    const status = branchStatus({ snapshot, lastPush });
    return reply.send(badgeSvg('kiln', status.message, status.tone));
  });
}
