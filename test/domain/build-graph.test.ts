import { describe, expect, it } from 'vitest';
import { BuildGraph, type PlannedBuild } from '../../domain/build-graph';

const b = (source: string, deps: string[] = [], arch = 'amd64'): PlannedBuild =>
  ({ id: `${source}/${arch}`, source, version: '1.0', arch, scope: 'any', treeHash: `t-${source}`, deps });
const ok = { key: 'k', cached: false, artifacts: [] };
const boom = { type: 'BuildFailed', message: 'exit 2' };

describe('BuildGraph', () => {
  it('releases builds in dependency order', () => {
    const g = new BuildGraph([b('lib'), b('app', ['lib/amd64']), b('doc'), b('tool', ['app/amd64', 'lib/amd64'])]);
    expect(g.ready().map((x) => x.id)).toEqual(['doc/amd64', 'lib/amd64']);
    g.start('lib/amd64', 1);
    expect(g.ready().map((x) => x.id)).toEqual(['doc/amd64']);
    g.succeed('lib/amd64', 2, ok);
    expect(g.ready().map((x) => x.id)).toEqual(['app/amd64', 'doc/amd64']);
    for (const id of ['app/amd64', 'doc/amd64']) { g.start(id, 3); g.succeed(id, 4, ok); }
    expect(g.ready().map((x) => x.id)).toEqual(['tool/amd64']);
    g.start('tool/amd64', 5); g.succeed('tool/amd64', 6, ok);
    expect(g.complete()).toBe(true);
    expect(g.stuck()).toBe(false);
  });

  it('a note says why a started build does not run yet, until it is cleared or the build ends', () => {
    const g = new BuildGraph([b('lib'), b('app')]);
    g.start('lib/amd64', 1);
    g.start('app/amd64', 1);
    g.note('lib/amd64', 'waiting for disk space');
    g.note('app/amd64', 'waiting for disk space');
    expect(g.status('lib/amd64')).toMatchObject({ state: 'building', note: 'waiting for disk space' });
    g.note('lib/amd64', undefined);
    expect(g.status('lib/amd64')).not.toHaveProperty('note');
    g.succeed('app/amd64', 2, ok);
    expect(g.status('app/amd64')).not.toHaveProperty('note');
    // Restored from a snapshot, a build in flight restarts as waiting, without its note.
    g.note('lib/amd64', 'waiting for disk space');
    expect(new BuildGraph([b('lib'), b('app')], g.snapshot()).status('lib/amd64')).toEqual(expect.not.objectContaining({ note: expect.anything() }));
  });

  it('a failure blocks its dependents transitively and leaves the rest running', () => {
    const g = new BuildGraph([b('lib'), b('app', ['lib/amd64']), b('tool', ['app/amd64']), b('doc')]);
    g.start('lib/amd64', 1); g.fail('lib/amd64', 2, boom);
    expect(g.status('app/amd64')).toMatchObject({ state: 'blocked', blockedBy: ['lib/amd64'] });
    expect(g.status('tool/amd64')).toMatchObject({ state: 'blocked', blockedBy: ['lib/amd64'] });
    expect(g.stuck()).toBe(false); // doc can still build
    g.start('doc/amd64', 3); g.succeed('doc/amd64', 4, ok);
    expect(g.stuck()).toBe(true);
    expect(g.status('lib/amd64')).toMatchObject({ state: 'failed', error: boom, attempt: 1 });
  });

  it('retry puts failures back, one attempt further, and unblocks dependents', () => {
    const g = new BuildGraph([b('lib'), b('app', ['lib/amd64']), b('x')]);
    g.start('lib/amd64', 1); g.fail('lib/amd64', 2, boom);
    g.start('x/amd64', 1); g.fail('x/amd64', 2, boom);
    expect(g.retry(['lib/amd64'])).toEqual(['lib/amd64']);
    expect(g.status('lib/amd64')).toMatchObject({ state: 'waiting', attempt: 2 });
    expect(g.status('x/amd64').state).toBe('failed');
    expect(g.status('app/amd64').state).toBe('waiting');
    expect(g.retry()).toEqual(['x/amd64']);
  });

  it('waits on builds of another arch until the parent reports them', () => {
    const g = new BuildGraph([b('app', ['data/amd64'], 'i386')]);
    expect(g.externalDeps()).toEqual(['data/amd64']);
    expect(g.ready()).toEqual([]);
    expect(g.stuck()).toBe(false);
    g.setExternal('data/amd64', 'failed');
    expect(g.status('app/i386')).toMatchObject({ state: 'blocked', blockedBy: ['data/amd64'] });
    expect(g.stuck()).toBe(true);
    g.setExternal('data/amd64', 'succeeded');
    expect(g.ready().map((x) => x.id)).toEqual(['app/i386']);
  });

  it('a snapshot restores state; builds in flight restart as waiting', () => {
    const g = new BuildGraph([b('lib'), b('app', ['lib/amd64'])]);
    g.start('lib/amd64', 1); g.succeed('lib/amd64', 2, ok);
    g.start('app/amd64', 3);
    const restored = new BuildGraph([b('lib'), b('app', ['lib/amd64'])], g.snapshot(), g.externalStates());
    expect(restored.status('lib/amd64').state).toBe('succeeded');
    expect(restored.ready().map((x) => x.id)).toEqual(['app/amd64']);
  });

  it('cancel stops waiting and running builds but keeps finished ones', () => {
    const g = new BuildGraph([b('lib'), b('app')]);
    g.start('lib/amd64', 1); g.succeed('lib/amd64', 2, ok);
    g.start('app/amd64', 3);
    g.cancel('app/amd64', 4); g.cancel('lib/amd64', 4);
    expect(g.status('app/amd64').state).toBe('cancelled');
    expect(g.status('lib/amd64').state).toBe('succeeded');
  });
});
