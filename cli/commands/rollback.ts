import { parseArgs } from 'node:util';
import type { PublishResult } from '../../domain/publish/publish';
import type { ApiClient } from '../api-client';
import { API_OPTIONS, integerOption, positionals, type Command } from '../command';
import { CliError, EXIT } from '../cli-error';
import { pollApi } from '../poll';
import { branchOf } from '../push-ref';

interface Accepted { status: 'accepted'; workflowId: string; url?: string; temporalUrl: string }

/** GET /api/repos/<tree>/<branch>/rollbacks/<id>. */
export interface RollbackView {
  workflowId: string;
  tree: string;
  branch: string;
  id: string;
  state: 'running' | 'succeeded' | 'failed';
  result?: PublishResult;
  error?: { type: string; message: string };
  url: string;
  temporalUrl: string;
}

export const rollbackCommand: Command = {
  name: 'rollback',
  synopsis: [['rollback <tree> [--branch B] [--to N] [--wait]', 'publish snapshot N again (default: the one before current)']],
  help: `usage: kiln rollback <tree> [--branch B] [--to N] [--wait] [--json]

Roll a branch's repository back: publish snapshot N's packages again as a new snapshot, freshly signed (default: the
snapshot before the current one). Needs an API token.

  --wait   until it is published: prints "published snapshot M (commit C)"; exit 0, or 1 when it failed
  --json   the API's answer (with --wait: the rollback's outcome) as JSON`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({
      args: argv, allowPositionals: true,
      options: { ...API_OPTIONS, branch: { type: 'string' }, to: { type: 'string' }, wait: { type: 'boolean' } },
    });
    const [tree] = positionals(args, ['tree']);
    const to = integerOption('to', values.to);
    const client = ctx.client(values);
    const branch = await branchOf(client, tree, values.branch);
    const seg = encodeURIComponent;
    const accepted = await client.post<Accepted>(`/api/repos/${seg(tree)}/${seg(branch)}/rollback`, to === undefined ? {} : { to });
    const { out } = ctx;
    if (!values.wait) {
      if (out.json) out.document(accepted);
      else {
        out.line(`rollback ${accepted.workflowId}: accepted`);
        if (accepted.url) out.line(`  outcome:     ${client.absolute(accepted.url)}`);
        out.line(`  Temporal UI: ${accepted.temporalUrl}`);
      }
      return EXIT.ok;
    }
    if (!accepted.url) throw new CliError('HTTP_ERROR', 'this Kiln API does not tell how a rollback went (no url in its answer): it is older than this CLI', EXIT.unreachable);
    if (!out.json) out.line(`rollback ${accepted.workflowId}: accepted, waiting for it`);
    const view = await waitForRollback(client, accepted.url, ctx.pollMs);
    const published = view.state === 'succeeded' && view.result?.outcome === 'published';
    if (out.json) out.document(view);
    else if (published) out.line(`${tree}/${branch}: published snapshot ${view.result?.snapshot} (commit ${view.result?.commit})`);
    else if (view.state === 'failed') out.line(`${tree}/${branch}: rollback failed: ${view.error?.type}: ${view.error?.message}`);
    else out.line(`${tree}/${branch}: rollback ${view.result?.outcome ?? 'ended'}: ${view.result?.reason ?? view.result?.error?.message ?? 'nothing was published'}`);
    return published ? EXIT.ok : EXIT.failed;
  },
};

/** Asks until the rollback is no longer running (Kiln not answering for a while is taken, see pollApi). */
function waitForRollback(client: ApiClient, url: string, pollMs: number): Promise<RollbackView> {
  return pollApi(async () => {
    const view = await client.get<RollbackView>(url);
    return view.state === 'running' ? undefined : view;
  }, pollMs);
}
