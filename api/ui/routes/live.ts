import { startEventStream } from '../../sse';
import type { FastifyInstance } from 'fastify';
import { KilnError } from '../../../domain/errors';
import { configuredBranch } from '../../data/branches';
import { pushDetail, pushStatusOf } from '../../data/push-view';
import type { WatchState } from '../push-watch';
import { checkCommit, readerContext, type Ui } from '../ui-context';

// GET /ui/events/pushes/<tree>/<branch>/<commit>: Server-Sent Events for the live grid. `push` events carry the push
// (the API's push JSON) whenever it changes (polled once a second, shared by every page following that push);
// `end` comes once the push no longer runs, and the stream closes. A page that goes away stops its share of the poll.

type PushParams = { tree: string; branch: string; commit: string };

export function liveRoutes(app: FastifyInstance, ui: Ui): void {
  const keepAliveMs = ui.live?.keepAliveMs ?? 15_000;

  app.get<{ Params: PushParams }>('/ui/events/pushes/:tree/:branch/:commit', { schema: { hide: true } }, async (request, reply) => {
    await readerContext(ui, request);
    const { tree, branch, commit } = request.params;
    configuredBranch(ui.config, tree, branch);
    checkCommit(commit);
    const push = { tree, branch, commit };
    const load = async (): Promise<WatchState> => {
      const view = await pushStatusOf(ui.records, ui.control, push);
      return view ? { json: JSON.stringify(pushDetail(ui.config, view)), ended: !view.running } : { ended: true };
    };
    if (!(await pushStatusOf(ui.records, ui.control, push))) {
      throw new KilnError('PUSH_UNKNOWN', `no push of ${tree}/${branch} at ${commit} is known`);
    }

    const raw = startEventStream(reply, 'keep-alive');
    let closed = false;
    let unsubscribe = () => {};
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), keepAliveMs);
    const finish = () => {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      raw.off('close', finish);
      unsubscribe();
      raw.end();
    };
    raw.on('close', finish);
    // Gone already (before the listener was there): nothing to follow.
    if (raw.destroyed) return finish();
    unsubscribe = ui.watches.subscribe(`${tree}\n${branch}\n${commit}`, load, {
      update: (json) => { if (!closed) raw.write(`event: push\ndata: ${json}\n\n`); },
      end: () => {
        if (!closed) raw.write('event: end\ndata: {}\n\n');
        finish();
      },
      // The server closes: no `end`, so that the page's EventSource reconnects once the server is back.
      stop: finish,
    });
  });
}
