import * as path from 'node:path';
import { branchNameProblem, classifyGitUrl } from './git-names';
import { ARCHITECTURES, FORMAT_ARCHITECTURES } from './defaults';
import { formatPath, type FieldPath, type LocatedProblem } from './problems';
import { classifyRsyncDestination, defaultSuite, isSuiteName } from './publish';

// Rules beyond the JSON schema. They run even when the schema found problems, so one run lists everything wrong;
// hence they read the raw data defensively and skip whatever has the wrong shape (the schema reports that).

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function hasOwn(record: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}

/** An rsync destination as a comparable place: host ('' = this machine) and a normalized path. */
interface RsyncPlace {
  readonly at: FieldPath;
  readonly written: string;
  readonly host: string;
  readonly path: string;
}

function placeOf(destination: string, at: FieldPath, baseDir: string): RsyncPlace | undefined {
  const kind = classifyRsyncDestination(destination);
  if ('problem' in kind) return undefined;
  if (kind.kind === 'local') return { at, written: destination, host: '', path: path.resolve(baseDir, kind.path) };
  // A relative remote path is inside the login's home folder, so the user matters; for an absolute one it does not.
  const absolute = kind.path.startsWith('/');
  const host = (absolute ? kind.host.replace(/^[^@]*@/, '') : kind.host).toLowerCase();
  return { at, written: destination, host, path: path.posix.normalize(`${kind.path}/`).replace(/\/+$/, '') || '/' };
}

function overlaps(a: RsyncPlace, b: RsyncPlace): boolean {
  if (a.host !== b.host) return false;
  const inside = (x: string, y: string) => x === y || x.startsWith(y.endsWith('/') ? y : `${y}/`);
  return inside(a.path, b.path) || inside(b.path, a.path);
}

function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false; // the schema reports a URL that does not parse
  }
}

/** The branch names of a tree that are valid strings (the schema reports the others). */
function branchesOf(tree: Record<string, unknown>): string[] {
  return Array.isArray(tree.branches) ? tree.branches.filter((b): b is string => typeof b === 'string' && b !== '') : [];
}

function suiteProblems(tree: Record<string, unknown>, i: number, problems: LocatedProblem[]): void {
  const branches = branchesOf(tree);
  const publish = isRecord(tree.publish) ? tree.publish : {};
  const suites = isRecord(publish.suites) ? publish.suites : {};
  const list = branches.join(', ');

  for (const branch of Object.keys(suites)) {
    if (!branches.includes(branch)) {
      problems.push({ at: ['trees', i, 'publish', 'suites', branch], message: `is not a branch of this tree (branches: ${list})` });
    }
  }
  // Every branch publishes to a suite of its own, given or derived from its name.
  const branchOfSuite = new Map<string, string>();
  (Array.isArray(tree.branches) ? tree.branches : []).forEach((branch: unknown, j) => {
    if (typeof branch !== 'string' || branch === '' || branchNameProblem(branch)) return;
    const given = hasOwn(suites, branch);
    if (given && typeof suites[branch] !== 'string') return;
    const suite = given ? (suites[branch] as string) : defaultSuite(branch);
    const at: FieldPath = given ? ['trees', i, 'publish', 'suites', branch] : ['trees', i, 'branches', j];
    if (!given && !isSuiteName(suite)) {
      problems.push({ at, message: `gives no valid APT suite name ("${suite}"); name one in publish.suites` });
      return;
    }
    const first = branchOfSuite.get(suite);
    if (first !== undefined) {
      problems.push({ at, message: `publishes to suite "${suite}", which branch "${first}" already publishes to` });
    } else {
      branchOfSuite.set(suite, branch);
    }
  });
}

function targetProblems(
  tree: Record<string, unknown>,
  i: number,
  problems: LocatedProblem[],
  places: RsyncPlace[],
  baseDir: string,
): void {
  const publish = isRecord(tree.publish) ? tree.publish : {};
  if (!Array.isArray(publish.targets)) return;
  const branches = branchesOf(tree);
  const list = branches.join(', ');

  publish.targets.forEach((target: unknown, k) => {
    if (!isRecord(target)) return;
    const at: FieldPath = ['trees', i, 'publish', 'targets', k];
    const kinds = ['rsync', 'trigger', 's3'].filter((kind) => hasOwn(target, kind));
    if (kinds.length !== 1) problems.push({ at, message: 'must give exactly one of rsync, trigger, s3' });

    if (hasOwn(target, 'rsync') || hasOwn(target, 's3')) {
      const why = hasOwn(target, 'rsync') ? 'rsync logs in with ssh keys' : 's3 takes its keys in s3.accessKeyId*/secretAccessKey*';
      for (const field of ['secretFile', 'secretEnv']) {
        if (hasOwn(target, field)) {
          problems.push({ at: [...at, field], message: `belongs to a trigger target; ${why}` });
        }
      }
    } else if (hasOwn(target, 'secretFile') && hasOwn(target, 'secretEnv')) {
      problems.push({ at, message: 'must give at most one of secretFile, secretEnv' });
    }

    if (typeof target.trigger === 'string' && hasCredentials(target.trigger)) {
      problems.push({ at: [...at, 'trigger'], message: 'must not contain a user or password (they would show in logs); sign with secretFile or secretEnv' });
    }

    if (Array.isArray(target.branches)) {
      target.branches.forEach((branch: unknown, m) => {
        if (typeof branch === 'string' && branch !== '' && !branches.includes(branch)) {
          problems.push({ at: [...at, 'branches', m], message: `is not a branch of this tree (branches: ${list})` });
        }
      });
    }

    if (isRecord(target.s3)) s3Problems(target.s3, [...at, 's3'], problems);
    if (kinds.length === 1 && kinds[0] === 's3') {
      const targetBranches = Array.isArray(target.branches) ? target.branches : branches;
      if (targetBranches.length > 1) {
        problems.push({
          at: Array.isArray(target.branches) ? [...at, 'branches'] : at,
          message: `an s3 target holds one branch's repository; list exactly one in branches (this tree has ${list})`,
        });
      }
    }

    if (kinds.length === 1 && kinds[0] === 'rsync' && typeof target.rsync === 'string' && target.rsync !== '') {
      const destination = classifyRsyncDestination(target.rsync);
      if ('problem' in destination) {
        problems.push({ at: [...at, 'rsync'], message: destination.problem });
      } else {
        const place = placeOf(target.rsync, [...at, 'rsync'], baseDir);
        if (place?.host === '' && place.path === '/') {
          problems.push({ at: [...at, 'rsync'], message: 'must not be the root folder: Kiln deletes from it what the repository no longer has' });
        } else if (place) {
          places.push(place);
        }
      }
      // One destination holds one branch's repository: the final pass deletes whatever that repository lacks,
      // so two branches synced to one folder would delete each other's files.
      const targetBranches = Array.isArray(target.branches) ? target.branches : branches;
      if (targetBranches.length > 1) {
        problems.push({
          at: Array.isArray(target.branches) ? [...at, 'branches'] : at,
          message: `an rsync target mirrors one branch; list exactly one in branches (this tree has ${list})`,
        });
      }
    }
  });
}

/** `baseDir`: the config file's folder, against which relative local paths resolve. */
/** A tree names its architectures as its format does: Debian's `amd64`, pacman's `x86_64`. */
function architectureProblems(tree: Record<string, unknown>, i: number, problems: LocatedProblem[]): void {
  const format = tree.format;
  if (typeof format !== 'string' || !hasOwn(FORMAT_ARCHITECTURES, format) || !Array.isArray(tree.architectures)) return;
  const names: readonly string[] = FORMAT_ARCHITECTURES[format as keyof typeof FORMAT_ARCHITECTURES];
  tree.architectures.forEach((arch: unknown, j) => {
    // A name no format knows is the schema's to report; here, one of the other format's.
    if (typeof arch === 'string' && (ARCHITECTURES as readonly string[]).includes(arch) && !names.includes(arch)) {
      problems.push({ at: ['trees', i, 'architectures', j], message: `is not an architecture of format ${format} (${names.join(', ')})` });
    }
  });
}

/** An S3 target's keys: both or neither, each from one place; an endpoint without credentials in it. */
function s3Problems(s3: Record<string, unknown>, at: FieldPath, problems: LocatedProblem[]): void {
  const id = ['accessKeyIdFile', 'accessKeyIdEnv'].filter((k) => hasOwn(s3, k));
  const key = ['secretAccessKeyFile', 'secretAccessKeyEnv'].filter((k) => hasOwn(s3, k));
  if (id.length > 1) problems.push({ at, message: 'must give at most one of accessKeyIdFile, accessKeyIdEnv' });
  if (key.length > 1) problems.push({ at, message: 'must give at most one of secretAccessKeyFile, secretAccessKeyEnv' });
  if ((id.length === 0) !== (key.length === 0)) {
    problems.push({ at, message: 'the access key id and the secret access key go together: give both, or neither (the AWS SDK\'s default credentials then apply)' });
  }
  if (typeof s3.endpoint === 'string' && hasCredentials(s3.endpoint)) {
    problems.push({ at: [...at, 'endpoint'], message: 'must not contain a user or password (they would show in logs); give the keys in accessKeyId*/secretAccessKey*' });
  }
}

/** A tree's forge: one token source, a repository its API can name, an API URL without credentials. */
function forgeProblems(tree: Record<string, unknown>, i: number, problems: LocatedProblem[]): void {
  if (!isRecord(tree.forge)) return;
  const forge = tree.forge;
  const at: FieldPath = ['trees', i, 'forge'];
  const tokens = ['tokenFile', 'tokenEnv'].filter((k) => hasOwn(forge, k));
  if (tokens.length !== 1) problems.push({ at, message: 'must give exactly one of tokenFile, tokenEnv (the forge token that may set commit statuses)' });
  if (typeof forge.apiUrl === 'string' && hasCredentials(forge.apiUrl)) {
    problems.push({ at: [...at, 'apiUrl'], message: 'must not contain a user or password (they would show in logs); give the token in tokenFile or tokenEnv' });
  }
  if (typeof forge.repository === 'string' && forge.repository !== '') {
    const ownerName = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
    // GitLab names a project by its id or its full path, which may hold subgroups.
    const gitlab = /^([0-9]+|[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+)$/;
    const ok = forge.kind === 'gitlab' ? gitlab.test(forge.repository) : ownerName.test(forge.repository);
    if (!ok) {
      problems.push({
        at: [...at, 'repository'],
        message: forge.kind === 'gitlab' ? 'must be a project id or its path, e.g. group/project' : 'must be owner/name, e.g. distro/ports',
      });
    }
  }
}

/** Each notification target: exactly one of url, email; secrets only where there is a body to sign. */
function notifyProblems(tree: Record<string, unknown>, i: number, problems: LocatedProblem[]): void {
  if (!Array.isArray(tree.notify)) return;
  tree.notify.forEach((target: unknown, k) => {
    if (!isRecord(target)) return;
    const at: FieldPath = ['trees', i, 'notify', k];
    const kinds = ['url', 'email'].filter((kind) => hasOwn(target, kind));
    if (kinds.length !== 1) problems.push({ at, message: 'must give exactly one of url, email' });
    if (hasOwn(target, 'secretFile') && hasOwn(target, 'secretEnv')) {
      problems.push({ at, message: 'must give at most one of secretFile, secretEnv' });
    }
    if (hasOwn(target, 'email')) {
      for (const field of ['secretFile', 'secretEnv']) {
        if (hasOwn(target, field)) problems.push({ at: [...at, field], message: 'belongs to a url target; e-mail is not signed' });
      }
    }
    if (typeof target.url === 'string' && hasCredentials(target.url)) {
      problems.push({ at: [...at, 'url'], message: 'must not contain a user or password (they would show in logs); sign with secretFile or secretEnv' });
    }
  });
}

export function semanticProblems(data: unknown, baseDir: string): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const trees = isRecord(data) && Array.isArray(data.trees) ? data.trees : [];
  const firstIndexOfName = new Map<string, number>();
  const places: RsyncPlace[] = [];

  trees.forEach((tree: unknown, i) => {
    if (!isRecord(tree)) return;
    if (typeof tree.name === 'string') {
      const first = firstIndexOfName.get(tree.name);
      if (first === undefined) firstIndexOfName.set(tree.name, i);
      else problems.push({ at: ['trees', i, 'name'], message: `repeats "${tree.name}" (already trees[${first}].name)` });
    }
    if (typeof tree.url === 'string' && tree.url !== '') {
      const url = classifyGitUrl(tree.url);
      if ('problem' in url) problems.push({ at: ['trees', i, 'url'], message: url.problem });
    }
    if (Array.isArray(tree.branches)) {
      tree.branches.forEach((branch: unknown, j) => {
        if (typeof branch !== 'string' || branch === '') return;
        const problem = branchNameProblem(branch);
        if (problem) problems.push({ at: ['trees', i, 'branches', j], message: `is not a valid git branch name: ${problem}` });
      });
    }
    suiteProblems(tree, i, problems);
    targetProblems(tree, i, problems, places, baseDir);
    architectureProblems(tree, i, problems);
    forgeProblems(tree, i, problems);
    notifyProblems(tree, i, problems);
  });

  const temporal = isRecord(data) && isRecord(data.temporal) ? data.temporal : undefined;
  const tls = temporal && isRecord(temporal.tls) ? temporal.tls : undefined;
  if (tls && (tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    problems.push({ at: ['temporal', 'tls'], message: 'certFile and keyFile go together: give both (mTLS) or neither' });
  }
  // The embedded dev server (`temporal server start-dev`) has no TLS options: it speaks plain gRPC on loopback. A tls
  // block would either be ignored, a security setting silently off, or make every process fail its handshake.
  if (tls && temporal?.embedded !== false) {
    problems.push({
      at: ['temporal', 'tls'],
      message: 'needs temporal.embedded: false: the embedded Temporal dev server speaks only plain gRPC on loopback; TLS is for a Temporal server you run',
    });
  }

  // Across all trees: two targets syncing into the same folder, or one into the other's, delete each other's files.
  places.forEach((place, n) => {
    const earlier = places.slice(0, n).find((other) => overlaps(place, other));
    if (earlier) {
      problems.push({
        at: place.at,
        message: `overlaps ${formatPath(earlier.at)} ("${earlier.written}"): every rsync destination needs a folder of its own`,
      });
    }
  });
  return problems;
}
