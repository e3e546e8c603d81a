import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../../activities/gc/collect';
import { DataLayout, type PushRef } from '../../../domain/data-layout';
import { reportLines } from '../../../domain/gc-report';
import type { SnapshotManifest } from '../../../domain/publish/snapshot-manifest';

// Garbage collection on a real data dir laid out by hand: what each root keeps, what age alone keeps, what goes,
// and that a dry run reports the same and removes nothing.

const DAY = 24 * 3600_000;
const NOW = new Date('2026-12-01T12:00:00Z');
const digest = (c: string) => c.repeat(64);
const commit = (c: string) => c.repeat(40);
const treeHash = (c: string) => c.repeat(40);

let root: string;
let layout: DataLayout;

function write(file: string, text: string, ageDays: number): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  age(file, ageDays);
  return file;
}

function age(target: string, days: number): void {
  const when = new Date(NOW.getTime() - days * DAY);
  fs.utimesSync(target, when, when);
}

function record(key: string, files: string[], spec: { source: string; version: string; arch: string; treeHash: string }, logPush: PushRef, ageDays: number): void {
  write(layout.buildRecord(key), JSON.stringify({
    key, spec: { tree: 't', suite: 'bookworm', scope: 'any', ...spec }, image: 'i',
    artifacts: files.slice(0, 1).map((sha256) => ({ file: `${spec.source}.deb`, sha256, size: 3 })),
    files: files.map((sha256, i) => ({ name: `f${i}`, sha256, size: 3 })),
    builtAt: NOW.toISOString(), durationMs: 1, log: layout.buildLog(logPush, spec.source, spec.arch),
  }), ageDays);
  write(layout.buildLog(logPush, spec.source, spec.arch), 'log\n', ageDays);
  age(path.join(root, 'logs', layout.pushDir(logPush)), ageDays);
}

const exists = (rel: string) => fs.existsSync(path.join(root, rel));

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-gc-'));
  layout = new DataLayout(root);
  const published: PushRef = { tree: 't', branch: 'main', commit: commit('a') };
  const finished: PushRef = { tree: 't', branch: 'main', commit: commit('b') };
  const running: PushRef = { tree: 't', branch: 'main', commit: commit('c') };

  // The store: a (kept snapshot), b (old record only), c (young record), d (nothing, old), e (nothing, young),
  // f (nothing, old but used since the running push started), 0 (the running push's reused record).
  for (const [c, days] of [['a', 200], ['b', 200], ['c', 200], ['d', 200], ['e', 0.5], ['f', 200], ['0', 200], ['9', 200]] as const) {
    write(path.join(layout.store, digest(c)), 'xyz', days);
  }
  const f = path.join(layout.store, digest('f'));
  const touched = new Date(NOW.getTime() - 1800_000);
  fs.utimesSync(f, touched, touched);
  write(path.join(layout.store, `${digest('1')}.123.abcdef.tmp`), 'half', 200);

  // A kept snapshot of the published push: its artifact (digest a, key K-a) stays, whatever the age.
  const manifest: SnapshotManifest = {
    tree: 't', branch: 'main', suite: 'bookworm', number: 1, commit: published.commit, publishedFor: 'push/t/main/a',
    createdAt: NOW.toISOString(), indexes: [],
    sources: [{ source: 'kept', version: '1', artifacts: [{
      file: 'kept.deb', pool: 'pool/main/k/kept/kept.deb', sha256: digest('a'), size: 3, package: 'kept', version: '1',
      architecture: 'amd64', builtOn: 'amd64', key: 'K-a', stanza: 'Package: kept\n',
    }] } as never],
  };
  write(path.join(layout.repo('t', 'main'), 'snapshots', '000001', 'kiln-manifest.json'), JSON.stringify(manifest), 200);
  record('K-a', [digest('a')], { source: 'kept', version: '1', arch: 'amd64', treeHash: treeHash('1') }, published, 200);
  write(layout.pushRecord(published), '{}', 200);

  // An old record nothing holds, and its install-test record: they go, and its store file b with them.
  record('K-b', [digest('b')], { source: 'old', version: '1', arch: 'amd64', treeHash: treeHash('2') }, finished, 200);
  write(layout.installTestRecord('K-b'), '{}', 200);
  write(layout.pushRecord(finished), '{}', 200);
  write(layout.pushPlan(finished), '{}', 200);
  fs.mkdirSync(path.join(layout.wip(finished), 'amd64'), { recursive: true });
  write(path.join(layout.wip(finished), 'amd64', 'Packages'), '', 200);
  age(layout.wip(finished), 200);
  // A young record (used within logsDays) keeps its file c.
  record('K-c', [digest('c')], { source: 'young', version: '1', arch: 'amd64', treeHash: treeHash('3') }, finished, 10);

  // The running push: its plan names a build whose record is old (K-0: kept, so is digest 0), its WIP lane holds
  // K-9 (kept, so is digest 9), its recipe export is old (kept).
  write(layout.pushPlan(running), JSON.stringify({
    push: running, suite: 'bookworm', arches: ['amd64'], unchanged: [], deleted: [], errors: [], limits: {},
    builds: [{ id: 'reused/amd64', source: 'reused', version: '2', arch: 'amd64', scope: 'any', treeHash: treeHash('4'), deps: [] }],
  }), 0.01);
  record('K-0', [digest('0')], { source: 'reused', version: '2', arch: 'amd64', treeHash: treeHash('4') }, finished, 200);
  record('K-9', [digest('9')], { source: 'lane', version: '1', arch: 'amd64', treeHash: treeHash('5') }, finished, 200);
  write(path.join(layout.wip(running), 'amd64', 'kiln-manifest.json'), JSON.stringify(['K-9']), 200);
  age(layout.wip(running), 200);
  fs.mkdirSync(layout.recipe('t', treeHash('4')), { recursive: true });
  age(layout.recipe('t', treeHash('4')), 200);
  // An old recipe export nobody plans, with its archive record: both go, and the archive's blob (d is not it: 8).
  fs.mkdirSync(layout.recipe('t', treeHash('6')), { recursive: true });
  write(path.join(layout.recipe('t', treeHash('6')), 'debian', 'control'), 'Source: x\n', 200);
  age(layout.recipe('t', treeHash('6')), 200);
  write(`${layout.recipe('t', treeHash('6'))}.archive.json`, JSON.stringify({ sha256: digest('8'), size: 3 }), 200);
  write(path.join(layout.store, digest('8')), 'tar', 200);

  // A work dir left by a crashed build (old), and one in use (young).
  write(path.join(layout.buildWork('K-old'), 'out', 'junk'), 'junk', 200);
  age(layout.buildWork('K-old'), 200);
  write(path.join(layout.buildWork('K-now'), 'src'), 'src', 0);
  // Process logs at the top of logs/ are not per-push logs.
  write(path.join(root, 'logs', 'temporal.log'), 'server\n', 200);
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const options = (dryRun: boolean) => ({
  dryRun, now: NOW, logsDays: 90,
  running: [{ push: { tree: 't', branch: 'main', commit: commit('c') }, startedAt: new Date(NOW.getTime() - 3600_000) }],
});

describe('garbage collection', () => {
  it('removes what no root holds and age does not keep, and keeps the rest', async () => {
    const report = await collectGarbage(layout, options(false));
    const store = (c: string) => exists(`store/${digest(c)}`);
    // Kept: the snapshot's, the young record's, young, used since the running push started, the running push's.
    expect(['a', 'c', 'e', 'f', '0', '9'].filter((c) => !store(c))).toEqual([]);
    // Gone: the old record's, the unreferenced, the old recipe archive's, a half-written upload.
    expect(['b', 'd', '8'].filter(store)).toEqual([]);
    expect(exists(`store/${digest('1')}.123.abcdef.tmp`)).toBe(false);
    expect(report.categories.store).toMatchObject({ count: 4, bytes: 3 + 3 + 3 + 4 });

    expect(exists('builds/K-a.json') && exists('builds/K-c.json') && exists('builds/K-0.json') && exists('builds/K-9.json')).toBe(true);
    expect(exists('builds/K-b.json') || exists('install-tests/K-b.json')).toBe(false);
    expect(report.categories.buildRecords.count).toBe(2);

    // The finished push: records, plan, WIP go; its logs stay (kept records' logs are in it: K-c is young).
    expect(exists(`records/t/main/${commit('b')}.json`)).toBe(true);
    expect(exists(`wip/t/main/${commit('b')}`)).toBe(false);
    expect(report.categories.wip.count).toBe(1);
    // The running push's WIP and recipe stay; the published push's record stays (a kept snapshot's).
    expect(exists(`wip/t/main/${commit('c')}`) && exists(`recipes/t/${treeHash('4')}`) && exists(`records/t/main/${commit('a')}.json`)).toBe(true);
    expect(exists(`recipes/t/${treeHash('6')}`) || exists(`recipes/t/${treeHash('6')}.archive.json`)).toBe(false);
    expect(report.categories.recipes.count).toBe(2);
    expect(exists('work/K-old') || !exists('work/K-now')).toBe(false);
    expect(exists('logs/temporal.log')).toBe(true);
    expect(report).toMatchObject({ dryRun: false, runningPushes: 1, keptSnapshots: 1 });
  });

  it('removes a push\'s records and logs once nothing holds it', async () => {
    // K-c gets old too: then nothing keeps the finished push (b).
    age(layout.buildRecord('K-c'), 200);
    for (const key of ['K-0', 'K-9']) fs.rmSync(layout.buildRecord(key));
    const report = await collectGarbage(layout, options(false));
    expect(exists(`records/t/main/${commit('b')}.json`) || exists(`records/t/main/${commit('b')}.plan.json`)).toBe(false);
    expect(exists(`logs/t/main/${commit('b')}`)).toBe(false);
    expect(report.categories.pushRecords.count).toBe(2);
    expect(report.categories.logs.count).toBe(1);
    expect(exists(`logs/t/main/${commit('a')}`)).toBe(true);
  });

  it('a dry run reports the same and removes nothing', async () => {
    const before = listAll(root);
    const dry = await collectGarbage(layout, options(true));
    expect(listAll(root)).toEqual(before);
    const real = await collectGarbage(layout, options(false));
    for (const c of Object.keys(real.categories) as Array<keyof typeof real.categories>) {
      expect({ c, count: dry.categories[c].count, bytes: dry.categories[c].bytes }).toEqual({ c, count: real.categories[c].count, bytes: real.categories[c].bytes });
    }
    expect(reportLines(dry)[0]).toMatch(/^garbage collection would remove 10 items, \d+ B \(kept: 1 snapshot, what 1 running push needs\)$/);
    expect(reportLines(real, true).some((l) => l.includes(`store/${digest('d')}`))).toBe(true);
  });

  it('removes files of the branch\'s shared pool that no kept snapshot lists, once they are old', async () => {
    const pool = path.join(layout.repo('t', 'main'), 'pool', 'main');
    const listed = write(path.join(pool, 'k', 'kept', 'kept.deb'), 'xyz', 200);
    const unlisted = write(path.join(pool, 'o', 'old', 'old_1_amd64.deb'), 'xyz', 200);
    const young = write(path.join(pool, 'n', 'new', 'new_1_amd64.deb'), 'xyz', 0.01);
    const dry = await collectGarbage(layout, options(true));
    expect(dry.categories.pool).toMatchObject({ count: 1, examples: [path.relative(root, unlisted)] });
    expect(fs.existsSync(unlisted)).toBe(true);
    const report = await collectGarbage(layout, options(false));
    expect(report.categories.pool.count).toBe(1);
    expect([fs.existsSync(listed), fs.existsSync(unlisted), fs.existsSync(young)]).toEqual([true, false, true]);
    expect(reportLines(report).join('\n')).toContain('shared pool');
  });

  it('leaves a shared pool alone while one of its branch\'s complete snapshots has no manifest', async () => {
    const unlisted = write(path.join(layout.repo('t', 'main'), 'pool', 'main', 'o', 'old', 'old_1_amd64.deb'), 'xyz', 200);
    fs.mkdirSync(path.join(layout.repo('t', 'main'), 'snapshots', '000002'), { recursive: true });
    const report = await collectGarbage(layout, options(false));
    expect(report.categories.pool.count).toBe(0);
    expect(fs.existsSync(unlisted)).toBe(true);
  });

  it('keeps what was used while it ran: a store file touched after it was judged', async () => {
    const d = path.join(layout.store, digest('d'));
    const report = await collectGarbage(layout, { ...options(false), progress: () => fs.utimesSync(d, new Date(), new Date()) });
    expect(fs.existsSync(d)).toBe(true);
    expect(report.categories.store.examples).not.toContain(`store/${digest('d')}`);
  });
});

function listAll(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}
