import { parseArgs } from 'node:util';
import { pushUrl } from '../../api/data/links';
import type { PushDetail } from '../../api/data/push-view';
import { API_OPTIONS, positionals, type Command } from '../command';
import { EXIT } from '../cli-error';
import { renderGrid } from '../grid';
import { summaryLine } from '../progress';
import { resolvePush } from '../push-ref';
import { failureReport, outcomeReport, pushDecided } from '../push-report';

export const statusCommand: Command = {
  name: 'status',
  synopsis: [['status <tree> [--branch B] [--commit SHA]', 'one push: every package × arch (default: the branch\'s latest push)']],
  help: `usage: kiln status <tree> [--branch B] [--commit SHA] [--json]

One push: its state, every build (package × arch) with its time, failures with their logs, what was published.
Default branch: the tree's first; default commit: the branch's latest push. Exit 0 whatever the push's state.

  --json   the push as the API gives it (GET /api/pushes/<tree>/<branch>/<commit>)`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({
      args: argv, allowPositionals: true, options: { ...API_OPTIONS, branch: { type: 'string' }, commit: { type: 'string' } },
    });
    const [tree] = positionals(args, ['tree']);
    const client = ctx.client(values);
    const ref = await resolvePush(client, { tree, branch: values.branch, commit: values.commit });
    const push = await client.get<PushDetail>(pushUrl(ref));
    if (ctx.out.json) {
      ctx.out.document(push);
      return EXIT.ok;
    }
    const started = new Date(push.startedAt).toISOString();
    const finished = push.finishedAt !== undefined ? `, finished ${new Date(push.finishedAt).toISOString()}` : '';
    const lines = [`${push.workflowId}: ${summaryLine(push)}`, `  requested by ${push.requestedBy}, started ${started}${finished}`];
    if (push.builds.length > 0) lines.push('', ...renderGrid(push.builds, { arches: push.arches.map((a) => a.arch).sort(), now: Date.now() }).map((l) => `  ${l}`), '');
    if (pushDecided(push)) lines.push(...outcomeReport(push, client));
    else lines.push(...failureReport(push, client));
    lines.push(`  Temporal UI: ${push.temporalUrl}`);
    for (const line of lines) ctx.out.line(line);
    return EXIT.ok;
  },
};
