import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_API, DEFAULT_BUILD, DEFAULT_MAIL, DEFAULT_PUBLISH, DEFAULT_SIGNER, DEFAULT_RETENTION, DEFAULT_TEMPORAL } from './defaults';
import { classifyGitUrl } from './git-names';
import type { FieldPath, LocatedProblem } from './problems';
import { classifyRsyncDestination, defaultSuite } from './publish';
import { resolveForge, resolveNotify, resolveS3Target } from './reporting';
import { readWebhookSecret, type Env } from './secrets';
import type {
  ApiConfig,
  BuildLimits,
  BuildLimitsInput,
  ConfigInput,
  ForgeConfig,
  KilnConfig,
  NotifyTarget,
  PublishConfig,
  PublishTarget,
  PublishTargetInput,
  TreeConfig,
  TreeInput,
} from './types';

// From schema-valid input to the typed configuration: defaults applied, paths made absolute against the config
// file's folder (so the same file works from any working directory), secrets read.

function mergeBuild(base: BuildLimits, overrides: BuildLimitsInput | undefined): BuildLimits {
  return { ...base, ...overrides };
}

export function resolveApi(input: ConfigInput['api']): ApiConfig {
  const port = input?.port ?? DEFAULT_API.port;
  const host = input?.host ?? DEFAULT_API.host;
  const urlHost = host.includes(':') ? `[${host}]` : host; // IPv6 literals need brackets in a URL
  const publicUrl = (input?.publicUrl ?? `http://${urlHost}:${port}`).replace(/\/+$/, '');
  return {
    port, host, publicUrl,
    readsRequireToken: input?.readsRequireToken ?? DEFAULT_API.readsRequireToken,
    healthChecks: input?.healthChecks ?? DEFAULT_API.healthChecks,
    blobMaxMb: input?.blobMaxMb ?? DEFAULT_API.blobMaxMb,
  };
}

/** Remote URLs go to git as written; a local path is made absolute (semantic checks already refused bad URLs). */
function resolveTreeUrl(url: string, baseDir: string): string {
  const kind = classifyGitUrl(url);
  return 'kind' in kind && kind.kind === 'remote' ? url : path.resolve(baseDir, url);
}

/** Local rsync destinations are made absolute like every other path; `host:path` goes to rsync as written. */
function resolveRsyncDestination(destination: string, baseDir: string): string {
  const kind = classifyRsyncDestination(destination);
  return 'kind' in kind && kind.kind === 'remote' ? destination : path.resolve(baseDir, destination);
}

function resolveTarget(
  target: PublishTargetInput,
  at: FieldPath,
  branches: readonly string[],
  baseDir: string,
  env: Env,
): PublishTarget | LocatedProblem {
  const targetBranches = [...(target.branches ?? branches)];
  if (target.rsync !== undefined) {
    return { kind: 'rsync', destination: resolveRsyncDestination(target.rsync, baseDir), branches: targetBranches };
  }
  if (target.s3 !== undefined) return resolveS3Target(target.s3, [...at, 's3'], targetBranches, baseDir, env);
  const trigger: PublishTarget = { kind: 'trigger', url: target.trigger ?? '', branches: targetBranches };
  if (target.secretFile === undefined && target.secretEnv === undefined) return trigger;
  const read = readWebhookSecret(target, at, baseDir, env);
  return 'at' in read ? read : { ...trigger, secret: read.secret };
}

function resolvePublish(
  tree: TreeInput,
  index: number,
  baseDir: string,
  env: Env,
): PublishConfig | LocatedProblem[] {
  const input = tree.publish ?? {};
  const given = input.suites ?? {};
  // Object.fromEntries makes own properties even of names like "__proto__"; suiteOf reads own properties only.
  const suites = Object.fromEntries(tree.branches.map((branch) => [
    branch,
    Object.prototype.hasOwnProperty.call(given, branch) ? given[branch] : defaultSuite(branch),
  ]));
  const problems: LocatedProblem[] = [];
  const targets: PublishTarget[] = [];
  (input.targets ?? []).forEach((target, k) => {
    const resolved = resolveTarget(target, ['trees', index, 'publish', 'targets', k], tree.branches, baseDir, env);
    if ('at' in resolved) problems.push(resolved);
    else targets.push(resolved);
  });
  if (problems.length > 0) return problems;
  return { suites, keepSnapshots: input.keepSnapshots ?? DEFAULT_PUBLISH.keepSnapshots, targets };
}

function resolveTree(
  tree: TreeInput,
  index: number,
  build: BuildLimits,
  baseDir: string,
  env: Env,
): TreeConfig | LocatedProblem[] {
  const publish = resolvePublish(tree, index, baseDir, env);
  const problems = Array.isArray(publish) ? [...publish] : [];
  let webhook: TreeConfig['webhook'];
  if (tree.webhook) {
    const read = readWebhookSecret(tree.webhook, ['trees', index, 'webhook'], baseDir, env);
    if ('at' in read) problems.unshift(read);
    else webhook = read;
  }
  const forge = resolveForge(tree, index, baseDir, env);
  if (forge && 'at' in forge) problems.push(forge);
  const notify = resolveNotify(tree, index, baseDir, env);
  if (notify.some((n) => 'at' in n)) problems.push(...(notify as LocatedProblem[]));
  if (Array.isArray(publish) || problems.length > 0) return problems;
  return {
    name: tree.name,
    url: resolveTreeUrl(tree.url, baseDir),
    format: tree.format,
    distribution: tree.distribution,
    branches: [...tree.branches],
    architectures: [...tree.architectures],
    build: mergeBuild(build, tree.build),
    ...(webhook ? { webhook } : {}),
    publish,
    ...(forge ? { forge: forge as ForgeConfig } : {}),
    notify: notify as NotifyTarget[],
  };
}

function resolveTemporal(input: ConfigInput['temporal'], baseDir: string): KilnConfig['temporal'] {
  const { tls, ...rest } = input ?? {};
  const temporal = { ...DEFAULT_TEMPORAL, ...rest };
  if (!tls) return temporal;
  return {
    ...temporal,
    tls: {
      caFile: path.resolve(baseDir, tls.caFile),
      ...(tls.certFile ? { certFile: path.resolve(baseDir, tls.certFile) } : {}),
      ...(tls.keyFile ? { keyFile: path.resolve(baseDir, tls.keyFile) } : {}),
      ...(tls.serverName ? { serverName: tls.serverName } : {}),
    },
  };
}

function resolveSigner(input: ConfigInput['signer'], baseDir: string): KilnConfig['signer'] {
  // Beside the config file by default, not in the data dir the API serves from.
  const keysDir = path.resolve(baseDir, input?.keysDir ?? 'keys');
  return {
    keysDir,
    passwordDir: input?.passwordDir ? path.resolve(baseDir, input.passwordDir) : keysDir,
    signaturesPerMinute: input?.signaturesPerMinute ?? DEFAULT_SIGNER.signaturesPerMinute,
    rotation: { overlapDays: input?.rotation?.overlapDays ?? DEFAULT_SIGNER.overlapDays },
  };
}

export function resolveConfig(
  input: ConfigInput,
  baseDir: string,
  env: Env,
): { ok: true; config: KilnConfig } | { ok: false; problems: LocatedProblem[] } {
  const build = mergeBuild(DEFAULT_BUILD, input.build);
  const problems: LocatedProblem[] = [];
  const trees: TreeConfig[] = [];
  input.trees.forEach((tree, i) => {
    const result = resolveTree(tree, i, build, baseDir, env);
    if (Array.isArray(result)) problems.push(...result);
    else trees.push(result);
  });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      dataDir: path.resolve(baseDir, input.dataDir),
      api: resolveApi(input.api),
      temporal: resolveTemporal(input.temporal, baseDir),
      signer: resolveSigner(input.signer, baseDir),
      build,
      mail: { sendmail: input.mail?.sendmail ?? DEFAULT_MAIL.sendmail, from: input.mail?.from ?? `kiln@${os.hostname()}` },
      retention: { ...DEFAULT_RETENTION, ...input.retention },
      trees,
    },
  };
}
