import * as fs from 'node:fs';
import * as path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { readJsonIfExists } from '../../domain/atomic-file';
import type { KilnConfig, TreeConfig } from '../../domain/config';
import type { DataLayout, PushRef } from '../../domain/data-layout';
import { KilnError } from '../../domain/errors';
import { trustedComment } from '../../domain/publish/apt-index';
import { composeSnapshot, ComposeError, type BuiltSource } from '../../domain/publish/compose-snapshot';
import type { PublishRequest, PublishTargetResult, SnapshotToSign } from '../../domain/publish/publish';
import type { SnapshotSource } from '../../domain/publish/snapshot-manifest';
import type { Plan, PushStatus } from '../../domain/push';
import type { BuildRecord } from '../builder/build-package';
import { publishedCommitCovering } from '../plan/published-state';
import { BranchRepo, sha256, type Signatures } from './branch-repo';
import { PublishTargetError, runPublishTarget, toApplicationFailure } from './targets';
import { suiteOf, targetsOf } from '../../domain/config';
import { formatOf } from '../../domain/formats/registry';
import { formatIO } from '../formats/registry';

/** Orchestrator activities that make, sign-wrap and switch snapshots. Every one is idempotent on the snapshot number. */
export function createPublishActivities({ config, layout }: { config: KilnConfig; layout: DataLayout }) {
  const treeOf = (name: string): TreeConfig => {
    const tree = config.trees.find((t) => t.name === name);
    if (!tree) throw ApplicationFailure.nonRetryable(`no tree named ${name} is configured`, 'TREE_UNKNOWN');
    return tree;
  };
  const repoOf = (tree: string, branch: string) => new BranchRepo(layout, tree, branch);

  /** Heartbeat while `work` runs: a killed orchestrator is noticed within the heartbeat timeout, not the 30 minutes. */
  const beating = async <T>(work: () => Promise<T>): Promise<T> => {
    const context = Context.current();
    const beat = setInterval(() => context.heartbeat(), 5_000);
    try { return await work(); } finally { clearInterval(beat); }
  };

  /** Map a Kiln error to a failure Temporal does not retry: these need a new push or an operator, not time. */
  const final = (err: unknown): never => {
    if (err instanceof ComposeError || err instanceof KilnError) throw ApplicationFailure.nonRetryable(err.message, err.code);
    throw err;
  };

  async function pushSources(request: PublishRequest & { kind: 'push' }, base: Parameters<typeof composeSnapshot>[0]['base']): Promise<SnapshotSource[]> {
    const plan = await readJsonIfExists<Plan>(layout.pushPlan(request.push));
    const record = await readJsonIfExists<PushStatus>(layout.pushRecord(request.push));
    if (!plan || !record) throw new KilnError('PUBLISH_REQUEST_INVALID', `push ${request.replyTo} has no plan or record on disk`);
    const built: BuiltSource[] = [];
    for (const b of record.builds) {
      if (b.state !== 'succeeded' || !b.key) throw new KilnError('PUBLISH_REQUEST_INVALID', `build ${b.id} of ${request.replyTo} did not succeed`);
      const build = await readJsonIfExists<BuildRecord>(layout.buildRecord(b.key));
      if (!build) throw new KilnError('PUBLISH_REQUEST_INVALID', `build ${b.id} (${b.key}) has no build record`);
      built.push({ source: build.spec.source, version: build.spec.version, treeHash: build.spec.treeHash, arch: build.spec.arch, key: b.key, artifacts: build.artifacts });
    }
    const format = formatOf(treeOf(request.tree).format);
    return composeSnapshot({ base, built, unchanged: plan.unchanged, poolPath: format.poolPath });
  }

  async function assemble(number: number, request: PublishRequest): Promise<SnapshotToSign> {
    try {
      const tree = treeOf(request.tree);
      const repo = repoOf(request.tree, request.branch);
      const suite = suiteOf(tree, request.branch);
      let commit: string;
      let rollbackOf: number | undefined;
      let sources: (base: Parameters<typeof composeSnapshot>[0]['base']) => Promise<SnapshotSource[]>;
      if (request.kind === 'push') {
        commit = request.push.commit;
        sources = (base) => pushSources(request, base);
      } else {
        const current = repo.currentNumber();
        const target = request.to ?? repo.snapshots().filter((n) => current === undefined || n < current).pop();
        if (target === undefined) throw new KilnError('SNAPSHOT_UNKNOWN', `${request.tree}/${request.branch} has no snapshot older than the current one to roll back to`);
        const manifest = await repo.manifest(target);
        commit = manifest.commit;
        rollbackOf = target;
        sources = async () => manifest.sources;
      }
      const format = tree.format === 'deb' ? undefined : tree.format;
      const { release, base, databases } = await repo.assemble({
        number, format, suite, arches: tree.architectures, commit, publishedFor: request.replyTo, rollbackOf, sources,
      });
      return {
        number, suite, commit, base, rollbackOf, release, releaseSha256: sha256(release), ...(databases ? { databases } : {}),
        trustedComment: trustedComment({ tree: request.tree, branch: request.branch, suite, snapshot: number, commit }),
        targets: targetsOf(tree, request.branch).length,
      };
    } catch (err) {
      return final(err);
    }
  }

  return {
    /** The published commit when publishing `push` would go back to it or an ancestor (webhook pushes ask). */
    async publishedCommitCovering(push: PushRef): Promise<string | undefined> {
      return publishedCommitCovering(layout, push);
    },
    async nextSnapshotNumber({ tree, branch }: { tree: string; branch: string }): Promise<number> {
      return repoOf(tree, branch).highestNumber() + 1;
    },

    /** Stage snapshot `number` (links, Packages, Release) and hand back the Release to sign. */
    async assembleSnapshot({ number, request }: { number: number; request: PublishRequest }): Promise<SnapshotToSign> {
      return beating(() => assemble(number, request));
    },

    async completeSnapshot(input: { tree: string; branch: string; number: number; suite: string; releaseSha256: string; signatures: Signatures }): Promise<void> {
      return beating(async () => {
        try {
          const format = treeOf(input.tree).format;
          await repoOf(input.tree, input.branch).complete(input.number, input.suite, input.releaseSha256, input.signatures, format === 'deb' ? undefined : format);
        } catch (err) {
          return final(err);
        }
      });
    },

    /** The atomic switch, then pruning beyond the tree's keepSnapshots. */
    async switchCurrent({ tree, branch, number }: { tree: string; branch: string; number: number }): Promise<{ removed: number[] }> {
      return beating(async () => {
        try {
          const repo = repoOf(tree, branch);
          await repo.switchTo(number);
          return { removed: await repo.prune(treeOf(tree).publish.keepSnapshots) };
        } catch (err) {
          return final(err);
        }
      });
    },

    /** Copy the published snapshot to one configured target (rsync) or tell it (trigger). */
    async publishToTarget(input: { tree: string; branch: string; number: number; commit: string; target: number }): Promise<PublishTargetResult> {
      const tree = treeOf(input.tree);
      // Looked up in this worker's own config: secrets never travel through workflow payloads.
      const target = targetsOf(tree, input.branch)[input.target];
      if (!target) throw ApplicationFailure.nonRetryable(`target ${input.target} of ${input.tree}/${input.branch} is not configured`, 'PUBLISH_REQUEST_INVALID');
      const repo = repoOf(input.tree, input.branch);
      const dir = repo.snapshotDir(input.number);
      const { mirrorLayout: layout, sharedPool } = formatIO(tree.format).snapshotIndex;
      if (!fs.existsSync(path.join(dir, layout.marker))) throw ApplicationFailure.nonRetryable(`snapshot ${input.number} is gone`, 'SNAPSHOT_UNKNOWN');
      const manifest = await repo.manifest(input.number);
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 10_000);
      try {
        const done = await runPublishTarget(target, {
          snapshotDir: dir, tree: input.tree, branch: input.branch, suite: manifest.suite, snapshot: input.number,
          commit: input.commit, publishedAt: manifest.createdAt, signal: context.cancellationSignal,
          log: () => context.heartbeat(), layout, sharedPool,
          packageFiles: manifest.sources.flatMap((source) => source.artifacts.map((a) => ({ path: a.pool, size: a.size }))),
        });
        return { target: input.target, ok: true, detail: done };
      } catch (err) {
        throw err instanceof PublishTargetError ? toApplicationFailure(err) : err;
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type PublishActivities = ReturnType<typeof createPublishActivities>;
