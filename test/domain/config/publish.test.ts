import * as path from 'node:path';
import * as util from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  classifyRsyncDestination, defaultSuite, findTree, parseConfig, suiteOf, targetsOf, type TreeConfig,
} from '../../../domain/config';
import { BASE_DIR, configError, expectProblem, minimal, problemsOf, tempDir, writeFile } from './helpers';

type Config = ReturnType<typeof minimal>;

/** The minimal config with one change applied. */
function withChange(change: (c: Config) => void): Config {
  const config = minimal();
  change(config);
  return config;
}

const tree = (c: Config) => c.trees[0];
const twoBranches = (c: Config) => { tree(c).branches = ['main', 'dev']; };
const load = (c: Config, env: Record<string, string> = {}) => parseConfig(stringify(c), BASE_DIR, env);

describe('publish: defaults', () => {
  it('a tree without a publish block gets every branch its own suite, 10 snapshots and no targets', () => {
    const config = load(withChange((c) => { tree(c).branches = ['main', 'release/1.x', 'feature/a/b']; }));
    expect(config.trees[0].publish).toEqual({
      suites: { main: 'main', 'release/1.x': 'release-1.x', 'feature/a/b': 'feature-a-b' },
      keepSnapshots: 10,
      targets: [],
    });
  });

  it('defaultSuite replaces every "/" by "-"', () => {
    expect(defaultSuite('release/1.x/rc')).toBe('release-1.x-rc');
    expect(defaultSuite('main')).toBe('main');
  });

  it('suites given for some branches; the others keep their default', () => {
    const config = load(withChange((c) => {
      twoBranches(c);
      tree(c).publish = { suites: { main: 'stable' }, keepSnapshots: 2 };
    }));
    expect(config.trees[0].publish).toEqual({ suites: { main: 'stable', dev: 'dev' }, keepSnapshots: 2, targets: [] });
  });
});

describe('publish: targets', () => {
  const dir = tempDir();
  writeFile(dir, 'trigger.secret', 'hook-secret\n');
  const config = parseConfig(stringify(withChange((c) => {
    twoBranches(c);
    tree(c).publish = {
      suites: { main: 'stable', dev: 'testing' },
      targets: [
        { rsync: './mirror/stable', branches: ['main'] },
        { rsync: 'deploy@mirror.example.org:/srv/apt/testing', branches: ['dev'] },
        { rsync: 'mirror.example.org:apt/stable', branches: ['main'] },
        { trigger: 'https://example.org/hook', secretFile: './trigger.secret' },
        { trigger: 'https://example.org/other', secretEnv: 'KILN_TRIGGER', branches: ['dev'] },
        { trigger: 'http://127.0.0.1:9000/plain' },
      ],
    };
  })), dir, { KILN_TRIGGER: 'env-secret' });
  const t = config.trees[0];

  it('resolves local rsync paths against the config folder, keeps host:path as written, defaults branches', () => {
    expect(t.publish.targets.map((x) => (x.kind === 'rsync' ? x.destination : x.kind === 'trigger' ? x.url : x.bucket))).toEqual([
      path.join(dir, 'mirror', 'stable'),
      'deploy@mirror.example.org:/srv/apt/testing',
      'mirror.example.org:apt/stable',
      'https://example.org/hook',
      'https://example.org/other',
      'http://127.0.0.1:9000/plain',
    ]);
    expect(t.publish.targets.map((x) => x.kind)).toEqual(['rsync', 'rsync', 'rsync', 'trigger', 'trigger', 'trigger']);
    expect(t.publish.targets.map((x) => x.branches)).toEqual([['main'], ['dev'], ['main'], ['main', 'dev'], ['dev'], ['main', 'dev']]);
  });

  it('reads trigger secrets from a file (without its newline) or the environment; none when not given', () => {
    const secrets = t.publish.targets.map((x) => (x.kind === 'trigger' ? x.secret?.reveal().toString() : 'n/a'));
    expect(secrets).toEqual(['n/a', 'n/a', 'n/a', 'hook-secret', 'env-secret', undefined]);
    expect('secret' in t.publish.targets[5]).toBe(false);
  });

  it('never prints a trigger secret', () => {
    expect(JSON.stringify(config)).not.toContain('hook-secret');
    expect(util.inspect(config, { depth: null, showHidden: true })).not.toContain('env-secret');
  });

  it('suiteOf and targetsOf answer per branch, in configuration order', () => {
    expect(suiteOf(t, 'main')).toBe('stable');
    expect(suiteOf(t, 'dev')).toBe('testing');
    expect(targetsOf(t, 'main').map((x) => (x.kind === 'rsync' ? x.destination : x.kind === 'trigger' ? x.url : x.bucket))).toEqual([
      path.join(dir, 'mirror', 'stable'), 'mirror.example.org:apt/stable', 'https://example.org/hook', 'http://127.0.0.1:9000/plain',
    ]);
    expect(targetsOf(t, 'dev').map((x) => x.kind)).toEqual(['rsync', 'trigger', 'trigger', 'trigger']);
  });

  it('suiteOf and targetsOf throw BRANCH_UNKNOWN (404) for a branch the tree does not have', () => {
    expect(() => suiteOf(t, 'other')).toThrow(expect.objectContaining({ code: 'BRANCH_UNKNOWN', status: 404 }));
    expect(() => targetsOf(t, 'other')).toThrow(/branch "other" is not configured for tree example \(configured: main, dev\)/);
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(t.publish)).toBe(true);
    expect(Object.isFrozen(t.publish.suites)).toBe(true);
    expect(Object.isFrozen(t.publish.targets)).toBe(true);
    expect(Object.isFrozen(t.publish.targets[0])).toBe(true);
    expect(Object.isFrozen(t.publish.targets[0].branches)).toBe(true);
    expect(() => { (t.publish.suites as Record<string, string>).main = 'x'; }).toThrow(TypeError);
  });
});

describe('publish: branch names that are also Object.prototype names', () => {
  it('suiteOf reads own entries only', () => {
    const config = load(withChange((c) => { tree(c).branches = ['constructor', 'toString']; }));
    const t: TreeConfig = findTree(config, 'example');
    expect(suiteOf(t, 'constructor')).toBe('constructor');
    expect(suiteOf(t, 'toString')).toBe('toString');
    expect(() => suiteOf(t, 'hasOwnProperty')).toThrow(expect.objectContaining({ code: 'BRANCH_UNKNOWN' }));
  });

  it('a branch called __proto__ gets its own suite entry, and no prototype is touched', () => {
    const config = load(withChange((c) => {
      tree(c).branches = ['main', '__proto__'];
      tree(c).publish = JSON.parse('{"suites":{"__proto__":"odd","main":"stable"}}') as Record<string, unknown>;
    }));
    const t = config.trees[0];
    expect(suiteOf(t, '__proto__')).toBe('odd');
    expect(Object.getPrototypeOf(t.publish.suites)).toBe(Object.prototype);
    expect(Object.keys(t.publish.suites).sort()).toEqual(['__proto__', 'main']);
  });
});

describe('publish: CONFIG_INVALID names the field', () => {
  it.each<[string, (c: Config) => void, string, RegExp | string]>([
    ['a typo in publish', (c) => { tree(c).publish = { suite: 'stable' }; }, 'trees[0].publish.suite',
      /is not a known field \(expected one of: suites, keepSnapshots, targets\)/],
    ['publish not a mapping', (c) => { tree(c).publish = 'stable'; }, 'trees[0].publish', 'must be a mapping (key: value)'],
    ['suites not a mapping', (c) => { tree(c).publish = { suites: ['stable'] }; }, 'trees[0].publish.suites', 'must be a mapping (key: value)'],
    ['a suite with a space', (c) => { tree(c).publish = { suites: { main: 'my suite' } }; }, 'trees[0].publish.suites.main', /must be an APT suite name/],
    ['a suite with a slash', (c) => { tree(c).publish = { suites: { main: 'a/b' } }; }, 'trees[0].publish.suites.main', /must be an APT suite name/],
    ['a suite of dots', (c) => { tree(c).publish = { suites: { main: '..' } }; }, 'trees[0].publish.suites.main', /not starting with "\."/],
    ['a suite starting with -', (c) => { tree(c).publish = { suites: { main: '-rf' } }; }, 'trees[0].publish.suites.main', /must be an APT suite name/],
    ['a suite that is a number', (c) => { tree(c).publish = { suites: { main: 12 } }; }, 'trees[0].publish.suites.main', 'must be a string'],
    ['a suite for a branch the tree lacks', (c) => { tree(c).publish = { suites: { dev: 'testing' } }; }, 'trees[0].publish.suites.dev',
      'is not a branch of this tree (branches: main)'],
    ['two branches given one suite', (c) => { twoBranches(c); tree(c).publish = { suites: { main: 'stable', dev: 'stable' } }; },
      'trees[0].publish.suites.dev', 'publishes to suite "stable", which branch "main" already publishes to'],
    ['a given suite equal to another branch\'s default', (c) => { twoBranches(c); tree(c).publish = { suites: { dev: 'main' } }; },
      'trees[0].publish.suites.dev', /publishes to suite "main", which branch "main" already/],
    ['two branches with the same default suite', (c) => { tree(c).branches = ['release/1', 'release-1']; }, 'trees[0].branches[1]',
      'publishes to suite "release-1", which branch "release/1" already publishes to'],
    ['a branch whose default suite is not valid', (c) => { tree(c).branches = ['main', 'fix#1']; }, 'trees[0].branches[1]',
      'gives no valid APT suite name ("fix#1"); name one in publish.suites'],
    ['keepSnapshots below 2', (c) => { tree(c).publish = { keepSnapshots: 1 }; }, 'trees[0].publish.keepSnapshots', /must be >= 2/],
    ['keepSnapshots not whole', (c) => { tree(c).publish = { keepSnapshots: 2.5 }; }, 'trees[0].publish.keepSnapshots', 'must be a whole number'],
    ['targets not a list', (c) => { tree(c).publish = { targets: { rsync: '/srv/m' } }; }, 'trees[0].publish.targets', 'must be a list'],
    ['a target of both kinds', (c) => { tree(c).publish = { targets: [{ rsync: '/srv/m', trigger: 'https://x.org/' }] }; },
      'trees[0].publish.targets[0]', 'must give exactly one of rsync, trigger, s3'],
    ['a target of no kind', (c) => { tree(c).publish = { targets: [{ branches: ['main'] }] }; }, 'trees[0].publish.targets[0]',
      'must give exactly one of rsync, trigger, s3'],
    ['a typo in a target', (c) => { tree(c).publish = { targets: [{ url: 'https://x.org/' }] }; }, 'trees[0].publish.targets[0].url',
      /is not a known field \(expected one of: rsync, s3, trigger, secretFile, secretEnv, branches\)/],
    ['a trigger that is not http', (c) => { tree(c).publish = { targets: [{ trigger: 'ftp://x.org/' }] }; }, 'trees[0].publish.targets[0].trigger',
      'must be an http:// or https:// URL'],
    ['a trigger with credentials', (c) => { tree(c).publish = { targets: [{ trigger: 'https://user:pw@x.org/' }] }; }, 'trees[0].publish.targets[0].trigger',
      /must not contain a user or password/],
    ['an empty rsync destination', (c) => { tree(c).publish = { targets: [{ rsync: '' }] }; }, 'trees[0].publish.targets[0].rsync', 'must not be empty'],
    ['a secret on an rsync target', (c) => { tree(c).publish = { targets: [{ rsync: '/srv/m', secretFile: 's' }] }; },
      'trees[0].publish.targets[0].secretFile', 'belongs to a trigger target; rsync logs in with ssh keys'],
    ['a trigger with two secrets', (c) => { tree(c).publish = { targets: [{ trigger: 'https://x.org/', secretFile: 's', secretEnv: 'S' }] }; },
      'trees[0].publish.targets[0]', 'must give at most one of secretFile, secretEnv'],
    ['a trigger with a bad env name', (c) => { tree(c).publish = { targets: [{ trigger: 'https://x.org/', secretEnv: 'A-B' }] }; },
      'trees[0].publish.targets[0].secretEnv', /environment variable name/],
    ['a target branch the tree lacks', (c) => { tree(c).publish = { targets: [{ trigger: 'https://x.org/', branches: ['main', 'dev'] }] }; },
      'trees[0].publish.targets[0].branches[1]', 'is not a branch of this tree (branches: main)'],
    ['a repeated target branch', (c) => { tree(c).publish = { targets: [{ trigger: 'https://x.org/', branches: ['main', 'main'] }] }; },
      'trees[0].publish.targets[0].branches[1]', /repeats "main"/],
    ['empty target branches', (c) => { tree(c).publish = { targets: [{ trigger: 'https://x.org/', branches: [] }] }; },
      'trees[0].publish.targets[0].branches', 'must not be empty'],
    ['an rsync target for every branch of a two-branch tree', (c) => { twoBranches(c); tree(c).publish = { targets: [{ rsync: '/srv/m' }] }; },
      'trees[0].publish.targets[0]', 'an rsync target mirrors one branch; list exactly one in branches (this tree has main, dev)'],
    ['an rsync target listing two branches', (c) => { twoBranches(c); tree(c).publish = { targets: [{ rsync: '/srv/m', branches: ['main', 'dev'] }] }; },
      'trees[0].publish.targets[0].branches', /an rsync target mirrors one branch/],
    ['an rsync daemon URL', (c) => { tree(c).publish = { targets: [{ rsync: 'rsync://mirror/apt' }] }; }, 'trees[0].publish.targets[0].rsync',
      /rsync daemon destinations .* are not supported/],
    ['an rsync daemon module', (c) => { tree(c).publish = { targets: [{ rsync: 'mirror::apt' }] }; }, 'trees[0].publish.targets[0].rsync',
      /rsync daemon destinations/],
    ['an rsync URL of another scheme', (c) => { tree(c).publish = { targets: [{ rsync: 'ssh://mirror/apt' }] }; }, 'trees[0].publish.targets[0].rsync',
      /not a URL/],
    ['a remote home folder', (c) => { tree(c).publish = { targets: [{ rsync: 'mirror:' }] }; }, 'trees[0].publish.targets[0].rsync',
      /must name a folder after "host:"/],
    ['a remote root', (c) => { tree(c).publish = { targets: [{ rsync: 'user@mirror:/' }] }; }, 'trees[0].publish.targets[0].rsync',
      /must name a folder after "host:"/],
    ['a bad remote host', (c) => { tree(c).publish = { targets: [{ rsync: 'bad host:/srv' }] }; }, 'trees[0].publish.targets[0].rsync',
      /invalid host "bad host"/],
    ['an option as destination', (c) => { tree(c).publish = { targets: [{ rsync: '-e sh' }] }; }, 'trees[0].publish.targets[0].rsync',
      'must not start with "-"'],
    ['the local root', (c) => { tree(c).publish = { targets: [{ rsync: '//' }] }; }, 'trees[0].publish.targets[0].rsync', /must not be the root folder/],
    ['a relative path resolving to the root', (c) => { tree(c).publish = { targets: [{ rsync: '../..' }] }; }, 'trees[0].publish.targets[0].rsync',
      /must not be the root folder/],
  ])('%s', (_name, change, at, message) => {
    expectProblem(configError(withChange(change)), at, message);
  });

  it('two rsync targets into one folder, across trees, point at the second', () => {
    const err = configError(withChange((c) => {
      tree(c).publish = { targets: [{ rsync: '/srv/mirror/a' }] };
      c.trees.push({ ...tree(c), name: 'other', publish: { targets: [{ rsync: '/srv/mirror/a/' }] } });
    }));
    expectProblem(err, 'trees[1].publish.targets[0].rsync',
      'overlaps trees[0].publish.targets[0].rsync ("/srv/mirror/a"): every rsync destination needs a folder of its own');
  });

  it('a folder inside another target\'s folder overlaps it, also when written relative to the config folder', () => {
    const err = configError(withChange((c) => {
      twoBranches(c);
      tree(c).publish = { targets: [{ rsync: `${BASE_DIR}/mirror`, branches: ['main'] }, { rsync: 'mirror/dev', branches: ['dev'] }] };
    }));
    expectProblem(err, 'trees[0].publish.targets[1].rsync', /overlaps trees\[0\]\.publish\.targets\[0\]\.rsync/);
  });

  it('the same remote folder through another user overlaps; siblings and other hosts do not', () => {
    const err = configError(withChange((c) => {
      tree(c).branches = ['a', 'b', 'c', 'd'];
      tree(c).publish = {
        targets: [
          { rsync: 'u1@mirror:/srv/apt', branches: ['a'] },
          { rsync: 'u2@mirror:/srv/apt', branches: ['b'] },
          { rsync: 'mirror:/srv/apt-b', branches: ['c'] },
          { rsync: 'other:/srv/apt', branches: ['d'] },
        ],
      };
    }));
    expect(problemsOf(err).map((p) => p.path)).toEqual(['trees[0].publish.targets[1].rsync']);
  });

  it('lists publish problems with the others, in file order, with line numbers', () => {
    const err = configError(withChange((c) => {
      twoBranches(c);
      tree(c).publish = { suites: { 'release/9': 'x y' }, keepSnapshots: 0, targets: [{ rsync: '/srv/m' }] };
    }));
    expect(problemsOf(err).map((p) => p.path)).toEqual([
      'trees[0].publish.suites.release/9',
      'trees[0].publish.suites.release/9',
      'trees[0].publish.keepSnapshots',
      'trees[0].publish.targets[0]',
    ]);
    expect(err.message).toMatch(/^ {2}trees\[0\]\.publish\.keepSnapshots: must be >= 2 \(line \d+\)$/m);
  });

  it('an unreadable trigger secret is SECRET_UNREADABLE naming the field', () => {
    const config = withChange((c) => { tree(c).publish = { targets: [{ trigger: 'https://x.org/', secretEnv: 'KILN_TRIGGER' }] }; });
    expectProblem(configError(config, 'SECRET_UNREADABLE', {}), 'trees[0].publish.targets[0].secretEnv', 'the environment variable KILN_TRIGGER is not set');
    const missing = withChange((c) => { tree(c).publish = { targets: [{ trigger: 'https://x.org/', secretFile: '/nonexistent/kiln-secret' }] }; });
    expectProblem(configError(missing, 'SECRET_UNREADABLE'), 'trees[0].publish.targets[0].secretFile', /cannot read the secret file \/nonexistent\/kiln-secret \(ENOENT\)/);
  });
});

describe('classifyRsyncDestination', () => {
  it.each([
    ['/srv/mirror', { kind: 'local', path: '/srv/mirror' }],
    ['./mirror:x', { kind: 'local', path: './mirror:x' }],
    ['mirror', { kind: 'local', path: 'mirror' }],
    ['host:/srv/apt', { kind: 'remote', host: 'host', path: '/srv/apt' }],
    ['user@host.example.org:apt', { kind: 'remote', host: 'user@host.example.org', path: 'apt' }],
    ['[::1]:/srv/apt', { kind: 'remote', host: '[::1]', path: '/srv/apt' }],
  ])('%s', (destination, expected) => {
    expect(classifyRsyncDestination(destination)).toEqual(expected);
  });
});
