import * as path from 'node:path';

// Every path under the data dir, in one place (docs/ARCHITECTURE.md "On disk" lists the same tree).

export interface PushRef {
  tree: string;
  branch: string;
  commit: string;
}

/** Branches may contain '/': one path segment per push, readable and collision-free. */
function branchSegment(branch: string): string {
  return encodeURIComponent(branch);
}

export class DataLayout {
  constructor(readonly root: string) {}

  get temporalDb(): string { return path.join(this.root, 'temporal.db'); }
  get store(): string { return path.join(this.root, 'store'); }
  get wipKeyDir(): string { return path.join(this.root, 'wip-key'); }

  gitMirror(tree: string): string { return path.join(this.root, 'git', `${tree}.git`); }
  /** The git repository Kiln keeps for a tree whose URL is a plain directory. */
  directoryImport(tree: string): string { return path.join(this.root, 'git', `${tree}.import`); }
  /** A package directory exported at a git tree hash: immutable, shared by every push that has it. */
  recipe(tree: string, treeHash: string): string { return path.join(this.root, 'recipes', tree, treeHash); }
  buildRecord(key: string): string { return path.join(this.root, 'builds', `${key}.json`); }
  /** That a build key passed its install test (the test is not run again for the same key). */
  installTestRecord(key: string): string { return path.join(this.root, 'install-tests', `${key}.json`); }
  buildWork(key: string): string { return path.join(this.root, 'work', key); }
  buildLock(key: string): string { return path.join(this.root, 'builds', `${key}.lock`); }

  pushDir(push: PushRef): string { return path.join(push.tree, branchSegment(push.branch), push.commit); }
  buildLog(push: PushRef, source: string, arch: string): string {
    return path.join(this.root, 'logs', this.pushDir(push), source, `${arch}.log`);
  }
  pushRecord(push: PushRef): string { return path.join(this.root, 'records', `${this.pushDir(push)}.json`); }
  /** The full plan, written once by planning: publishing reads what the push found unchanged from it. */
  pushPlan(push: PushRef): string { return path.join(this.root, 'records', `${this.pushDir(push)}.plan.json`); }
  wip(push: PushRef): string { return path.join(this.root, 'wip', this.pushDir(push)); }
  wipLane(push: PushRef, lane: string): string { return path.join(this.wip(push), lane); }
  repo(tree: string, branch: string): string { return path.join(this.root, 'repos', tree, branchSegment(branch)); }
  /** The webhook delivery IDs a tree's intake has seen (one per line, newest last): replays are answered "duplicate". */
  webhookDeliveries(tree: string): string { return path.join(this.root, 'webhooks', `${tree}.deliveries`); }
}
