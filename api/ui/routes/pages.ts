import type { FastifyInstance } from 'fastify';
import { findTree, suiteOf } from '../../../domain/config';
import { KilnError } from '../../../domain/errors';
import type { PushState } from '../../../domain/push';
import { configuredBranch } from '../../data/branches';
import { buildLogFile, openLog, readTail } from '../../data/build-logs';
import { buildLogUrl, repositoryUrl } from '../../data/links';
import { PUSH_STATES } from '../../data/push-records';
import { buildMayWrite, pushDetail, pushStatusOf } from '../../data/push-view';
import { treesOverview } from '../../data/trees';
import { feed, pushFeedEvents, rollbackFeedEvent } from '../events-feed';
import { installCommands } from '../install-commands';
import { publishedFingerprint } from '../../data/published-key';
import { buildLogPage } from '../pages/build-log';
import { dashboardPage } from '../pages/dashboard';
import { eventsPage } from '../pages/events';
import { pushPage } from '../pages/push';
import { pushesPage } from '../pages/pushes';
import { repositoryPage } from '../pages/repository';
import { checkCommit, queryValue, readerContext, sendHtml, type Ui } from '../ui-context';

// The pages that read: dashboard, pushes, one push, a build log, a repository, the events feed.

type PushParams = { tree: string; branch: string; commit: string };
const HIDDEN = { schema: { hide: true } };
/** A build log page shows this many last lines (and at most LOG_BYTES of them). */
const LOG_LINES = 1000;
const LOG_BYTES = 1024 * 1024;
const FEED_PUSHES = 200;
const FEED_EVENTS = 100;

export function pageRoutes(app: FastifyInstance, ui: Ui): void {
  const { config, records, snapshots, control } = ui;

  app.get('/', HIDDEN, async (request, reply) => {
    const ctx = await readerContext(ui, request);
    return sendHtml(reply, 200, dashboardPage(ctx, await treesOverview(config, records, snapshots)));
  });

  app.get<{ Querystring: Record<string, unknown> }>('/pushes', HIDDEN, async (request, reply) => {
    const ctx = await readerContext(ui, request);
    const [tree, branch, state, cursor] = [request.query.tree, request.query.branch, request.query.state, request.query.cursor].map(queryValue);
    if (tree !== undefined && branch !== undefined) configuredBranch(config, tree, branch);
    else if (tree !== undefined) findTree(config, tree);
    if (state !== undefined && !(PUSH_STATES as readonly string[]).includes(state)) {
      throw new KilnError('REQUEST_INVALID', `"${state}" is not a push state (${PUSH_STATES.join(', ')})`);
    }
    const page = await records.list({ tree, branch, state: state as PushState | undefined, cursor, limit: 50 });
    return sendHtml(reply, 200, pushesPage(ctx, config, { tree, branch, state }, page, cursor));
  });

  app.get<{ Params: PushParams; Querystring: Record<string, unknown> }>('/pushes/:tree/:branch/:commit', HIDDEN, async (request, reply) => {
    const ctx = await readerContext(ui, request);
    const { tree, branch, commit } = request.params;
    const treeConfig = configuredBranch(config, tree, branch);
    checkCommit(commit);
    const view = await pushStatusOf(records, control, { tree, branch, commit });
    if (!view) throw new KilnError('PUSH_UNKNOWN', `no push of ${tree}/${branch} at ${commit} is known`);
    return sendHtml(reply, 200, pushPage(ctx, pushDetail(config, view), treeConfig.architectures, queryValue(request.query.done)));
  });

  app.get<{ Params: PushParams & { source: string; arch: string } }>('/pushes/:tree/:branch/:commit/logs/:source/:arch', HIDDEN, async (request, reply) => {
    const ctx = await readerContext(ui, request);
    const { tree, branch, commit, source, arch } = request.params;
    const treeConfig = configuredBranch(config, tree, branch);
    const push = { tree, branch, commit };
    const file = buildLogFile(ui.layout, push, source, arch);
    if (!(treeConfig.architectures as readonly string[]).includes(arch)) {
      throw new KilnError('LOG_UNKNOWN', `tree "${tree}" does not build for ${arch} (it builds ${treeConfig.architectures.join(', ')})`);
    }
    const view = await pushStatusOf(records, control, push);
    const opened = await openLog(file);
    let text: string | undefined;
    let truncated = false;
    if (opened) {
      try {
        const tail = await readTail(opened.handle, opened.size, LOG_LINES, LOG_BYTES);
        text = tail.data.toString('utf8').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
        truncated = tail.start > 0;
      } finally {
        await opened.handle.close();
      }
    }
    if (!view && text === undefined) throw new KilnError('PUSH_UNKNOWN', `no push of ${tree}/${branch} at ${commit} is known`);
    const build = view && pushDetail(config, view).builds.find((b) => b.source === source && b.arch === arch);
    const apiUrl = buildLogUrl(push, source, arch);
    return sendHtml(reply, 200, buildLogPage(ctx, {
      push, source, arch, build, text, truncated, lines: LOG_LINES, apiUrl,
      followUrl: buildMayWrite(view, source, arch) ? `${apiUrl}?follow=1&tail=${LOG_LINES}` : undefined,
    }));
  });

  app.get<{ Params: { tree: string; branch: string }; Querystring: Record<string, unknown> }>('/repositories/:tree/:branch', HIDDEN, async (request, reply) => {
    const ctx = await readerContext(ui, request);
    const { tree, branch } = request.params;
    const treeConfig = configuredBranch(config, tree, branch);
    const suite = suiteOf(treeConfig, branch);
    const list = await snapshots.list(tree, branch);
    const currentNumber = list.find((s) => s.current)?.number;
    const current = currentNumber === undefined ? undefined : await snapshots.detail(tree, branch, currentNumber);
    const [from, to] = [queryValue(request.query.from), queryValue(request.query.to)];
    let diff;
    if (from || to) {
      if (!from || !to || !/^\d{1,9}$/.test(from) || !/^\d{1,9}$/.test(to)) {
        throw new KilnError('REQUEST_INVALID', 'comparing needs two snapshot numbers: ?from=<n>&to=<n>');
      }
      diff = await snapshots.diff(tree, branch, Number(from), Number(to));
    }
    const repoUrl = repositoryUrl(config, tree, branch).replace(/\/+$/, '');
    return sendHtml(reply, 200, repositoryPage(ctx, {
      tree, branch, suite, repoUrl, commands: installCommands(tree, branch, suite, repoUrl, treeConfig.format, publishedFingerprint(ui.layout, tree, branch)),
      snapshots: list, current, diff, done: queryValue(request.query.done),
    }));
  });

  app.get<{ Querystring: Record<string, unknown> }>('/events', HIDDEN, async (request, reply) => {
    const ctx = await readerContext(ui, request);
    const tree = queryValue(request.query.tree);
    if (tree !== undefined) findTree(config, tree);
    const { pushes } = await records.list({ tree, limit: FEED_PUSHES });
    const events = pushes.flatMap(pushFeedEvents);
    for (const t of config.trees.filter((x) => tree === undefined || x.name === tree)) {
      for (const branch of t.branches) {
        for (const s of await snapshots.list(t.name, branch)) {
          const event = rollbackFeedEvent(t.name, branch, s);
          if (event) events.push(event);
        }
      }
    }
    return sendHtml(reply, 200, eventsPage(ctx, config, feed(events, FEED_EVENTS), tree));
  });
}
