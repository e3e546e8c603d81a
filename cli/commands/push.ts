import { parseArgs } from 'node:util';
import { API_OPTIONS, positionals, type Command, type CommandContext } from '../command';
import { EXIT } from '../cli-error';
import { LiveGrid, ProgressPrinter, type Progress } from '../progress';
import { branchOf, checkCommit } from '../push-ref';
import { outcomeReport, pushPublished, shellWord } from '../push-report';
import { waitForPush } from '../push-wait';

interface Accepted {
  status: 'accepted';
  workflowId: string;
  url: string;
  temporalUrl: string;
  push: { tree: string; branch: string; commit: string };
}

export const pushCommand: Command = {
  name: 'push',
  synopsis: [['push <tree> [--branch B] [--commit SHA] [--wait]', 'build and publish a commit (default: the branch\'s head); --wait follows it']],
  help: `usage: kiln push <tree> [--branch B] [--commit SHA] [--wait] [--json]

Start a push: build the commit (default: the branch's head now) of the branch (default: the tree's first) and, once
every build on every arch succeeded, publish it. Needs an API token.

  --wait   follow the builds until the push is decided: a grid in a terminal, else one line per change;
           exit 0 when it is built and published, 1 when it failed (every failure listed with its log),
           was cancelled or superseded, or publishing failed
  --json   the API's answer (with --wait: the decided push) as JSON on stdout; progress goes to stderr`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({
      args: argv, allowPositionals: true,
      options: { ...API_OPTIONS, branch: { type: 'string' }, commit: { type: 'string' }, wait: { type: 'boolean' } },
    });
    const [tree] = positionals(args, ['tree']);
    const commit = checkCommit(values.commit);
    const client = ctx.client(values);
    const branch = await branchOf(client, tree, values.branch);
    const accepted = await client.post<Accepted>('/api/pushes', { tree, branch, commit });
    const { out } = ctx;
    if (!values.wait) {
      if (out.json) out.document(accepted);
      else printAccepted(ctx, accepted);
      return EXIT.ok;
    }
    if (!out.json) printAccepted(ctx, accepted);
    const progress = progressOf(ctx);
    const push = await waitForPush(client, accepted.push, { pollMs: ctx.pollMs, onStatus: (status) => progress.update(status) });
    if (out.json) out.document(push);
    else for (const line of outcomeReport(push, client)) out.line(line);
    return pushPublished(push) ? EXIT.ok : EXIT.failed;
  },
};

function printAccepted(ctx: CommandContext, accepted: Accepted): void {
  const { tree, branch, commit } = accepted.push;
  ctx.out.line(`push ${accepted.workflowId}: accepted`);
  ctx.out.line(`  status:      kiln status ${tree} --branch ${shellWord(branch)} --commit ${commit}`);
  ctx.out.line(`  Temporal UI: ${accepted.temporalUrl}`);
}

/** A grid redrawn in place when a person watches stdout; lines otherwise (and on stderr with --json). */
function progressOf(ctx: CommandContext): Progress {
  const { io, out } = ctx;
  if (io.isTTY && !out.json) return new LiveGrid((text) => out.raw(text), () => ({ columns: io.columns, rows: io.rows }));
  return new ProgressPrinter((line) => out.progress(line));
}
