import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../api/app';
import type { TokenVerifier } from '../../../api/auth/token-verifier';
import type { PushControl } from '../../../api/data/push-control';
import { parseConfig, type KilnConfig } from '../../../domain/config';
import { DataLayout, type PushRef } from '../../../domain/data-layout';
import type { SnapshotManifest } from '../../../domain/publish/snapshot-manifest';
import type { PushStatus } from '../../../domain/push';
import type { RetryRequest } from '../../../workflows/messages';

// A data dir as the orchestrator leaves it: push records, two published snapshots with `current`, a build log; and
// the app with the UI, a fake Temporal (PushControl) that records what it was asked, and a fake token verifier.

export const TOKEN = `kiln_${'a'.repeat(43)}`;
export const OTHER_TOKEN = `kiln_${'b'.repeat(43)}`;
export const EVIL = '<script>alert("pwned")</script>';

export const COMMITS = {
  published: '1'.repeat(40),
  failed: '2'.repeat(40),
  building: '3'.repeat(40),
};

export const PUSHES: Record<keyof typeof COMMITS, PushRef> = {
  published: { tree: 'ports', branch: 'main', commit: COMMITS.published },
  failed: { tree: 'ports', branch: 'main', commit: COMMITS.failed },
  building: { tree: 'ports', branch: 'release/1.x', commit: COMMITS.building },
};

const T0 = Date.parse('2024-05-01T10:00:00Z');

function build(source: string, arch: string, state: PushStatus['builds'][number]['state'], extra: Partial<PushStatus['builds'][number]> = {}): PushStatus['builds'][number] {
  return {
    id: `${arch}:${source}`, source, version: '1.0-1', arch, state, attempt: 1, log: `logs/${source}/${arch}.log`,
    ...(state === 'waiting' || state === 'blocked' ? {} : { startedAt: T0 + 60_000 }),
    ...(state === 'succeeded' || state === 'failed' ? { finishedAt: T0 + 125_000 } : {}),
    ...extra,
  };
}

export function pushStatus(push: PushRef, state: PushStatus['state'], builds: PushStatus['builds'], extra: Partial<PushStatus> = {}): PushStatus {
  return {
    workflowId: `push/${push.tree}/${push.branch}/${push.commit}`,
    push, state, requestedBy: 'webhook:gitlab', startedAt: T0, arches: [], builds,
    plan: { builds: builds.length, unchanged: 0, deleted: [], errors: [] },
    ...extra,
  };
}

export const RECORDS: Record<keyof typeof COMMITS, PushStatus> = {
  published: pushStatus(PUSHES.published, 'succeeded', [
    build('hello', 'amd64', 'succeeded'), build('hello', 'i386', 'succeeded'),
  ], {
    finishedAt: T0 + 300_000, publish: { outcome: 'published', snapshot: 2, commit: COMMITS.published, targets: [] },
    installTests: [
      { id: 'amd64:hello', source: 'hello', arch: 'amd64', state: 'passed', attempt: 1, summary: { installed: ['hello'], passed: ['smoke'], failed: [], skipped: [] } },
      { id: 'i386:hello', source: 'hello', arch: 'i386', state: 'passed', attempt: 2, summary: { installed: ['hello'], passed: [], failed: [], skipped: [{ name: 'net', reason: 'needs-internet: install tests run offline' }] } },
    ],
  }),
  failed: pushStatus(PUSHES.failed, 'failed', [
    build('app', 'amd64', 'blocked', { blockedBy: ['amd64:hello'] }),
    build('hello', 'amd64', 'failed', { error: { type: 'BUILD_FAILED', message: `dpkg-buildpackage exited 2 ${EVIL}` } }),
    build('hello', 'i386', 'succeeded', { cached: true }),
    build('libfoo', 'amd64', 'succeeded'), build('libfoo', 'i386', 'succeeded'),
  ], { startedAt: T0 + 3_600_000, requestedBy: `api:<img src=x onerror="alert(1)">` }),
  building: pushStatus(PUSHES.building, 'building', [
    build('hello', 'amd64', 'building', { note: `waiting for disk space: the data dir has 900 MiB free, below build.minFreeMb (2048 MiB) ${EVIL}` }),
    build('hello', 'i386', 'waiting'),
  ], { startedAt: T0 + 1_800_000 }),
};

function manifest(number: number, commit: string, sources: Array<{ source: string; version: string }>, extra: Partial<SnapshotManifest> = {}): SnapshotManifest {
  return {
    tree: 'ports', branch: 'main', suite: 'main', number, commit,
    publishedFor: `push/ports/main/${commit}`,
    createdAt: new Date(T0 + number * 1_000_000).toISOString(),
    sources: sources.map(({ source, version }) => ({
      source, version, treeHash: 'f'.repeat(40), arches: ['amd64', 'i386'],
      artifacts: ['amd64', 'i386'].map((arch) => ({
        file: `${source}_${version}_${arch}.deb`, pool: `pool/main/${source[0]}/${source}/${source}_${version}_${arch}.deb`,
        sha256: `${number}${arch}`.padEnd(64, '0'), size: 1234, package: source, version, architecture: arch, builtOn: arch,
        key: 'k'.repeat(64), stanza: `Package: ${source}\n`,
      })),
    })),
    indexes: ['amd64', 'i386'].map((arch) => ({ path: `main/binary-${arch}/Packages`, sha256: '0'.repeat(64), size: 10 })),
    ...extra,
  };
}

export interface UiFixture {
  app: FastifyInstance;
  config: KilnConfig;
  dataDir: string;
  layout: DataLayout;
  calls: Array<{ kind: string; workflowId?: string; request?: RetryRequest; reason?: string; input?: unknown }>;
  /** Live statuses the fake Temporal answers (by workflow ID); others: not running. */
  live: Map<string, PushStatus>;
  liveQueries: () => number;
  writeRecord(status: PushStatus): void;
  close(): Promise<void>;
}

export async function uiFixture(options: { readsRequireToken?: boolean; pollMs?: number } = {}): Promise<UiFixture> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-ui-'));
  const config = parseConfig([
    `dataDir: ${dataDir}`,
    `api: { readsRequireToken: ${options.readsRequireToken ?? false} }`,
    'trees:',
    '  - { name: ports, url: /srv/ports, format: deb, distribution: bookworm, branches: [main, release/1.x], architectures: [amd64, i386] }',
    '  - { name: other, url: /srv/other, format: deb, distribution: bookworm, branches: [main], architectures: [amd64] }',
  ].join('\n'), '/tmp', {});
  const layout = new DataLayout(dataDir);
  const writeRecord = (status: PushStatus) => {
    const file = layout.pushRecord(status.push);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${Math.random()}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ ...status, recordedAt: new Date(status.finishedAt ?? status.startedAt + 200_000).toISOString() }));
    fs.renameSync(tmp, file);
  };
  for (const status of Object.values(RECORDS)) writeRecord(status);

  const repo = layout.repo('ports', 'main');
  const snapshots = [
    manifest(1, COMMITS.published.replace(/1/g, '9'), [{ source: 'hello', version: '0.9-1' }, { source: 'oldie', version: '1' }]),
    manifest(2, COMMITS.published, [{ source: 'hello', version: '1.0-1' }, { source: 'libfoo', version: '2.0-1' }], { base: 1 }),
  ];
  for (const m of snapshots) {
    const dir = path.join(repo, 'snapshots', String(m.number).padStart(6, '0'));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'kiln-manifest.json'), JSON.stringify(m));
  }
  fs.symlinkSync('snapshots/000002', path.join(repo, 'current'));

  const log = layout.buildLog(PUSHES.failed, 'hello', 'amd64');
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, 'dpkg-buildpackage -b\n\x1b[31mmake: *** [all] Error 2\x1b[0m\n<b>not bold</b>\nerror: build failed\n');

  const calls: UiFixture['calls'] = [];
  // The failed push waits for a retry and the building one builds: both workflows run.
  const live = new Map<string, PushStatus>([RECORDS.failed, RECORDS.building].map((s) => [s.workflowId, s]));
  let liveQueries = 0;
  const control: PushControl = {
    async liveStatus(workflowId) {
      liveQueries++;
      return live.get(workflowId);
    },
    async cancel(workflowId, reason) {
      calls.push({ kind: 'cancel', workflowId, reason });
      return live.has(workflowId) ? 'sent' : 'not-running';
    },
    async retry(workflowId, request) {
      calls.push({ kind: 'retry', workflowId, request });
      return live.has(workflowId) ? 'sent' : 'not-running';
    },
    async rollback(input) {
      calls.push({ kind: 'rollback', input });
      return { workflowId: `rollback/${input.tree}/${input.branch}/r1` };
    },
    async rollbackOutcome() {
      return { state: 'running' };
    },
    async branchHead() {
      return COMMITS.failed;
    },
  };
  const tokens: TokenVerifier = {
    async verify(token, kind = 'operator') {
      return token === TOKEN && kind === 'operator' ? { name: 'alice', kind } : undefined;
    },
  };
  const app = buildApp({
    config, control, tokens,
    intake: async (push) => ({ workflowId: `push/${push.tree}/${push.branch}/${push.commit}` }),
    health: { temporal: async () => undefined, docker: async () => undefined },
    uiLive: { pollMs: options.pollMs ?? 50 },
  });
  await app.ready();
  return {
    app, config, dataDir, layout, calls, live, writeRecord,
    liveQueries: () => liveQueries,
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The session cookie and CSRF value a signed-in browser has, after POST /login. */
export async function signIn(app: FastifyInstance, token = TOKEN): Promise<{ cookie: string; csrf: string }> {
  const res = await app.inject({
    method: 'POST', url: '/login', payload: `token=${encodeURIComponent(token)}&next=%2F`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (res.statusCode !== 303) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const cookie = String(res.headers['set-cookie']).split(';')[0];
  const page = await app.inject({ method: 'GET', url: '/', headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!csrf) throw new Error('no CSRF value on the signed-in page');
  return { cookie, csrf };
}

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}
