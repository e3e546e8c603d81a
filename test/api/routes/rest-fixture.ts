import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../api/app';
import { createToken, tokenFile } from '../../../api/auth/token-file';
import type { PushControl, RollbackOutcome } from '../../../api/data/push-control';
import { collectGarbage } from '../../../activities/gc/collect';
import type { GcReport } from '../../../domain/gc-report';
import type { PushIntake } from '../../../api/routes/webhooks';
import { parseConfig, type KilnConfig, type TreeConfig } from '../../../domain/config';
import { DataLayout, type PushRef } from '../../../domain/data-layout';
import { KilnError } from '../../../domain/errors';
import { buildLogPath, type PushStatus } from '../../../domain/push';
import { snapshotDirName, type SnapshotManifest } from '../../../domain/publish/snapshot-manifest';
import { pushWorkflowId } from '../../../domain/workflow-ids';
import type { RetryRequest } from '../../../workflows/messages';

// A REST API over a real, hand-made data dir (records, logs, snapshots, token file) with a fake for everything that
// would reach Temporal or git.

export const COMMITS = {
  a: 'a'.repeat(40),
  b: 'b'.repeat(40),
  c: 'c'.repeat(40),
  d: 'd'.repeat(40),
  head: 'e'.repeat(40),
} as const;

/** Temporal and git, faked: running pushes are the ones in `live`; every call is recorded. */
export class FakeControl implements PushControl {
  readonly live = new Map<string, PushStatus>();
  /** Statuses a running push goes through, one per liveStatus call (the last one stays); before `live`. */
  readonly progressions = new Map<string, Array<PushStatus | undefined>>();
  /** Rollback workflows by ID: what `rollbackOutcome` answers (absent: unknown). */
  readonly rollbacks = new Map<string, RollbackOutcome>();
  readonly calls: Array<{ call: string; args: unknown[] }> = [];
  liveError?: Error;
  headError?: KilnError;

  async liveStatus(workflowId: string): Promise<PushStatus | undefined> {
    this.calls.push({ call: 'liveStatus', args: [workflowId] });
    if (this.liveError) throw this.liveError;
    const steps = this.progressions.get(workflowId);
    if (steps) return steps.length > 1 ? steps.shift() : steps[0];
    return this.live.get(workflowId);
  }

  async cancel(workflowId: string, reason: string): Promise<'sent' | 'not-running'> {
    this.calls.push({ call: 'cancel', args: [workflowId, reason] });
    return this.live.has(workflowId) ? 'sent' : 'not-running';
  }

  async retry(workflowId: string, request: RetryRequest): Promise<'sent' | 'not-running'> {
    this.calls.push({ call: 'retry', args: [workflowId, request] });
    return this.live.has(workflowId) ? 'sent' : 'not-running';
  }

  async rollback(input: { tree: string; branch: string; to?: number }): Promise<{ workflowId: string }> {
    this.calls.push({ call: 'rollback', args: [input] });
    return { workflowId: `rollback/${input.tree}/${input.branch}/test` };
  }

  async rollbackOutcome(workflowId: string): Promise<RollbackOutcome> {
    this.calls.push({ call: 'rollbackOutcome', args: [workflowId] });
    return this.rollbacks.get(workflowId) ?? { state: 'unknown' };
  }

  /** Temporal's part (the workflow, the running pushes) is left out: the real collector runs on the data dir. */
  gcLayout?: DataLayout;
  async collectGarbage(dryRun: boolean): Promise<GcReport> {
    this.calls.push({ call: 'collectGarbage', args: [dryRun] });
    return collectGarbage(this.gcLayout!, { dryRun, logsDays: 90, running: [] });
  }

  async branchHead(tree: TreeConfig, branch: string): Promise<string> {
    this.calls.push({ call: 'branchHead', args: [tree.name, branch] });
    if (this.headError) throw this.headError;
    return COMMITS.head;
  }

  callsOf(call: string): unknown[][] {
    return this.calls.filter((c) => c.call === call).map((c) => c.args);
  }
}

export interface RestFixture {
  app: FastifyInstance;
  config: KilnConfig;
  layout: DataLayout;
  dataDir: string;
  /** The configuration, as a file (what `kiln tokens` reads). */
  configFile: string;
  control: FakeControl;
  /** What the intake was asked to start. */
  started: Array<{ push: PushRef; requestedBy: string }>;
  /** A valid token (named "ci"). */
  token: string;
  auth: { authorization: string };
}

export interface FixtureOptions {
  readsRequireToken?: boolean;
  /** false: no PushControl at all (records only). */
  control?: boolean;
  logFollow?: { pollMs?: number; statusMs?: number; keepAliveMs?: number };
  /** api.blobMaxMb (default: Kiln's). */
  blobMaxMb?: number;
}

export async function restFixture(options: FixtureOptions = {}): Promise<RestFixture> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-rest-'));
  const configText = [
    `dataDir: ${dataDir}`,
    `api: { publicUrl: "https://kiln.example.com", readsRequireToken: ${options.readsRequireToken ?? false}${options.blobMaxMb ? `, blobMaxMb: ${options.blobMaxMb}` : ''} }`,
    'temporal: { uiUrl: "http://temporal.example.com:8233", namespace: kiln }',
    'trees:',
    '  - { name: ports, url: /srv/ports, format: deb, distribution: bookworm, branches: [main, release/1.x], architectures: [amd64, i386] }',
    '  - { name: other, url: /srv/other, format: deb, distribution: bookworm, branches: [main], architectures: [amd64] }',
  ].join('\n');
  const config = parseConfig(configText, dataDir, {});
  const configFile = path.join(dataDir, 'kiln.yaml');
  fs.writeFileSync(configFile, configText);
  const control = new FakeControl();
  control.gcLayout = new DataLayout(dataDir);
  const started: RestFixture['started'] = [];
  const intake: PushIntake = async (push, requestedBy) => {
    started.push({ push, requestedBy });
    return { workflowId: pushWorkflowId(push.tree, push.branch, push.commit) };
  };
  const { token } = await createToken(tokenFile(dataDir), 'ci');
  const app = buildApp({
    config,
    health: { temporal: async () => undefined, docker: async () => undefined },
    intake,
    control: options.control === false ? undefined : control,
    logFollow: options.logFollow,
  });
  return { app, config, layout: new DataLayout(dataDir), dataDir, configFile, control, started, token, auth: { authorization: `Bearer ${token}` } };
}

/** A push status as the push workflow reports it: one build per arch of `hello`, plus whatever `over` says. */
export function pushStatus(push: PushRef, over: Partial<PushStatus> = {}): PushStatus {
  const workflowId = pushWorkflowId(push.tree, push.branch, push.commit);
  return {
    workflowId,
    push,
    state: 'succeeded',
    requestedBy: 'webhook',
    startedAt: 1_000,
    finishedAt: 9_000,
    plan: { builds: 2, unchanged: 0, deleted: [], errors: [] },
    arches: [{ arch: 'amd64', workflowId: `${workflowId}/amd64`, state: 'succeeded' }, { arch: 'i386', workflowId: `${workflowId}/i386`, state: 'succeeded' }],
    builds: ['amd64', 'i386'].map((arch) => ({
      id: `hello/${arch}`, source: 'hello', version: '1.0-1', arch, state: 'succeeded' as const, attempt: 1, startedAt: 2_000, finishedAt: 5_000,
      key: `key-${arch}`, cached: false, log: buildLogPath(push, 'hello', arch),
    })),
    publish: { outcome: 'published', snapshot: 1, commit: push.commit, targets: [] },
    ...over,
  };
}

/** The push's record, as the orchestrator writes it. */
export function writeRecord(layout: DataLayout, status: PushStatus): void {
  const file = layout.pushRecord(status.push);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...status, recordedAt: new Date(status.finishedAt ?? status.startedAt).toISOString() }, null, 2));
}

export interface SnapshotSpec {
  number: number;
  commit?: string;
  base?: number;
  rollbackOf?: number;
  /** source → version; every source has a binary of the same name per arch, `<source>-doc` (all) too. */
  sources: Record<string, string>;
  /** Sources whose files differ though their version does not (a rebuild). */
  salt?: Record<string, string>;
}

/** A complete snapshot's manifest, as publishing leaves it (only what the API reads). */
export function writeSnapshot(layout: DataLayout, tree: string, branch: string, spec: SnapshotSpec): void {
  const arches = ['amd64', 'i386'];
  const manifest: SnapshotManifest = {
    tree, branch, suite: branch.replace(/\//g, '-'), number: spec.number, commit: spec.commit ?? COMMITS.a,
    publishedFor: pushWorkflowId(tree, branch, spec.commit ?? COMMITS.a), base: spec.base, rollbackOf: spec.rollbackOf,
    createdAt: new Date(Date.UTC(2026, 0, spec.number)).toISOString(),
    sources: Object.entries(spec.sources).map(([source, version]) => ({
      source, version, treeHash: `tree-${source}`, arches,
      artifacts: [...arches.map((arch) => [source, arch] as const), [`${source}-doc`, 'all'] as const].map(([pkg, arch]) => ({
        file: `${pkg}_${version}_${arch}.deb`, pool: `pool/main/${source[0]}/${source}/${pkg}_${version}_${arch}.deb`,
        sha256: `${pkg}-${version}-${arch}-${spec.salt?.[source] ?? ''}`, size: 100, package: pkg, version, architecture: arch,
        builtOn: arch === 'all' ? 'amd64' : arch, key: `key-${pkg}`, stanza: `Package: ${pkg}\n`,
      })),
    })),
    indexes: arches.flatMap((arch) => ['Packages', 'Packages.xz'].map((name) => ({ path: `main/binary-${arch}/${name}`, sha256: 'x', size: 1 }))),
  };
  const dir = path.join(layout.repo(tree, branch), 'snapshots', snapshotDirName(spec.number));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'kiln-manifest.json'), JSON.stringify(manifest));
}

/** Point `current` at a snapshot, the way publishing does (a new link renamed over the old). */
export function switchCurrent(layout: DataLayout, tree: string, branch: string, number: number): void {
  const repo = layout.repo(tree, branch);
  const tmp = path.join(repo, `.current.${number}.tmp`);
  fs.symlinkSync(path.join('snapshots', snapshotDirName(number)), tmp);
  fs.renameSync(tmp, path.join(repo, 'current'));
}

export function writeLog(layout: DataLayout, push: PushRef, source: string, arch: string, text: string): string {
  const file = layout.buildLog(push, source, arch);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** The URL segment of a branch. */
export const seg = encodeURIComponent;
