import { parseArgs } from 'node:util';
import type { PushSummary } from '../../api/data/push-records';
import { API_OPTIONS, integerOption, positionals, type Command } from '../command';
import { EXIT, usageError } from '../cli-error';
import { shellWord } from '../push-report';

export const pushesCommand: Command = {
  name: 'pushes',
  synopsis: [['pushes [<tree>] [--branch B] [--state S] [--limit N] [--cursor C]', 'pushes, newest first']],
  help: `usage: kiln pushes [<tree>] [--branch B] [--state S] [--limit N] [--cursor C] [--json]

Pushes from their records, newest first (GET /api/pushes), of every tree or of one (and one branch).

  --state S    only pushes in this state: planning, building, failed, publishing, succeeded, cancelling,
               cancelled, superseded
  --limit N    at most N (1-500, default 50)
  --cursor C   the next page (the cursor the previous page ended with)
  --json       the page as the API gives it: {pushes, nextCursor}`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({
      args: argv, allowPositionals: true,
      options: { ...API_OPTIONS, branch: { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    });
    const [tree] = positionals(args, ['tree'], 1);
    if (values.branch !== undefined && tree === undefined) throw usageError('--branch needs a tree: kiln pushes <tree> --branch B');
    const limit = integerOption('limit', values.limit);
    const client = ctx.client(values);
    const page = await client.get<{ pushes: PushSummary[]; nextCursor?: string }>('/api/pushes', {
      tree, branch: values.branch, state: values.state, limit, cursor: values.cursor,
    });
    const { out } = ctx;
    if (out.json) {
      out.document(page);
      return EXIT.ok;
    }
    if (page.pushes.length === 0) out.line('no pushes');
    for (const p of page.pushes) {
      const built = `${p.builds.succeeded}/${p.builds.total} built`;
      const published = p.publish?.outcome === 'published' ? `, snapshot ${p.publish.snapshot}` : p.publish ? `, publish ${p.publish.outcome}` : '';
      out.line(`${p.state.padEnd(11)} ${`${p.tree}/${p.branch}`.padEnd(20)} ${p.commit.slice(0, 12)}  ${new Date(p.startedAt).toISOString()}  ${built}${published}`);
    }
    if (page.nextCursor !== undefined) {
      const again = ['kiln pushes', tree, values.branch && `--branch ${shellWord(values.branch)}`, values.state && `--state ${values.state}`,
        limit && `--limit ${limit}`, `--cursor ${shellWord(page.nextCursor)}`].filter(Boolean).join(' ');
      out.line(`more: ${again}`);
    }
    return EXIT.ok;
  },
};
