import { parseArgs } from 'node:util';
import { buildLogUrl, pushUrl } from '../../api/data/links';
import type { PushDetail } from '../../api/data/push-view';
import type { PushRef } from '../../domain/data-layout';
import type { ApiClient } from '../api-client';
import { API_OPTIONS, integerOption, positionals, type Command } from '../command';
import { ApiError, EXIT, usageError } from '../cli-error';
import { followLog } from '../log-follow';
import { resolvePush } from '../push-ref';

export const logsCommand: Command = {
  name: 'logs',
  synopsis: [['logs <tree> <source> [--arch A] [--branch B] [--commit SHA] [--tail N] [--follow]', 'a build log; --follow: as it grows']],
  help: `usage: kiln logs <tree> <source> [--arch A] [--branch B] [--commit SHA] [--tail N] [--follow] [--json]

The build log of a source package in a push (default: the branch's latest push). --arch may be left out when the
push builds the package on one arch only.

  --tail N   only the last N lines (with --follow: start there)
  --follow   print what the log has, then what is appended, until the build ends (reconnecting when the
             connection drops); exit 0 when the build succeeded, 1 when it failed or was cancelled
  --json     {tree, branch, commit, source, arch, text}; with --follow one JSON object per line:
             {"event":"log","offset","text"} and last {"event":"end","state","pushState"}`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        ...API_OPTIONS, arch: { type: 'string' }, branch: { type: 'string' }, commit: { type: 'string' },
        tail: { type: 'string' }, follow: { type: 'boolean' },
      },
    });
    const [tree, source] = positionals(args, ['tree', 'source']);
    const tail = integerOption('tail', values.tail);
    const client = ctx.client(values);
    const push = await resolvePush(client, { tree, branch: values.branch, commit: values.commit });
    const arch = values.arch ?? await onlyArch(client, push, source);
    const logPath = buildLogUrl(push, source, arch);
    const { out } = ctx;

    if (!values.follow) {
      const text = await client.text(logPath, { tail });
      if (out.json) out.document({ ...push, source, arch, text });
      else out.raw(text);
      return EXIT.ok;
    }
    const end = await followLog(client, logPath, {
      tail,
      pollMs: ctx.pollMs,
      onText: (text, offset) => (out.json ? out.record({ event: 'log', offset, text }) : out.raw(text)),
      onReconnect: (attempt, why) => out.note(`kiln: ${why}; following again (${attempt})`),
    });
    if (out.json) out.record({ event: 'end', ...end });
    else out.note(`kiln: ${source}/${arch} ${end.state} (push ${end.pushState})`);
    return end.state === 'succeeded' ? EXIT.ok : EXIT.failed;
  },
};

/** The arch of the push's only build of `source`; asks for --arch when there are several. */
async function onlyArch(client: ApiClient, ref: PushRef, source: string): Promise<string> {
  const push = await client.get<PushDetail>(pushUrl(ref));
  const arches = push.builds.filter((b) => b.source === source).map((b) => b.arch);
  if (arches.length === 1) return arches[0];
  if (arches.length > 1) throw usageError(`${source} builds on ${arches.join(', ')} in ${push.workflowId}: choose one with --arch`);
  const sources = [...new Set(push.builds.map((b) => b.source))].sort();
  throw new ApiError('LOG_UNKNOWN', `${push.workflowId} has no build of ${source} (its builds: ${sources.join(', ') || 'none yet'})`, 404);
}
