import { parseArgs } from 'node:util';
import { pushUrl } from '../../api/data/links';
import { API_OPTIONS, positionals, type Command, type CommandContext } from '../command';
import { EXIT } from '../cli-error';
import { resolvePush } from '../push-ref';
import { shellWord } from '../push-report';

// retry and cancel: signals to a running push, through the API's action routes.

interface Accepted { status: 'accepted'; workflowId: string; url: string; temporalUrl: string }

export const retryCommand: Command = {
  name: 'retry',
  synopsis: [['retry <tree> [--branch B] [--commit SHA] [--package P] [--arch A]', 'retry failed builds (or a failed publish)']],
  help: `usage: kiln retry <tree> [--branch B] [--commit SHA] [--package P] [--arch A] [--json]

Retry the failed builds of a push (default: the branch's latest push), or of one source package and/or arch; a push
whose publishing failed publishes again. Needs an API token. Follow it with kiln status (or kiln logs --follow).`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({
      args: argv, allowPositionals: true,
      options: { ...API_OPTIONS, branch: { type: 'string' }, commit: { type: 'string' }, package: { type: 'string' }, arch: { type: 'string' } },
    });
    const [tree] = positionals(args, ['tree']);
    const client = ctx.client(values);
    const push = await resolvePush(client, { tree, branch: values.branch, commit: values.commit });
    const answer = await client.post<Accepted>(`${pushUrl(push)}/retry`, { source: values.package, arch: values.arch });
    const scope = values.package || values.arch ? ` (${[values.package, values.arch].filter(Boolean).join('/')})` : '';
    return done(ctx, answer, `retry requested for ${answer.workflowId}${scope}`, push);
  },
};

export const cancelCommand: Command = {
  name: 'cancel',
  synopsis: [['cancel <tree> [--branch B] [--commit SHA] [--reason TEXT]', 'cancel a running push']],
  help: `usage: kiln cancel <tree> [--branch B] [--commit SHA] [--reason TEXT] [--json]

Cancel a running push (default: the branch's latest push): its builds stop and nothing is published. Needs an API
token. The reason is recorded (default: who cancelled, by the token's name).`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({
      args: argv, allowPositionals: true,
      options: { ...API_OPTIONS, branch: { type: 'string' }, commit: { type: 'string' }, reason: { type: 'string' } },
    });
    const [tree] = positionals(args, ['tree']);
    const client = ctx.client(values);
    const push = await resolvePush(client, { tree, branch: values.branch, commit: values.commit });
    const answer = await client.post<Accepted>(`${pushUrl(push)}/cancel`, values.reason === undefined ? {} : { reason: values.reason });
    return done(ctx, answer, `cancel requested for ${answer.workflowId}`, push);
  },
};

function done(ctx: CommandContext, answer: Accepted, said: string, push: { tree: string; branch: string; commit: string }): number {
  if (ctx.out.json) ctx.out.document(answer);
  else {
    ctx.out.line(said);
    ctx.out.line(`  status: kiln status ${push.tree} --branch ${shellWord(push.branch)} --commit ${push.commit}`);
  }
  return EXIT.ok;
}
