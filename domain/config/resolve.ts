import * as path from 'node:path';
import { DEFAULT_API, DEFAULT_BUILD, DEFAULT_TEMPORAL } from './defaults';
import { classifyGitUrl } from './git-names';
import type { LocatedProblem } from './problems';
import { readWebhookSecret, type Env } from './secrets';
import type { ApiConfig, BuildLimits, BuildLimitsInput, ConfigInput, KilnConfig, TreeConfig, TreeInput } from './types';

// From schema-valid input to the typed configuration: defaults applied, paths made absolute against the config
// file's folder (so the same file works from any working directory), secrets read.

function mergeBuild(base: BuildLimits, overrides: BuildLimitsInput | undefined): BuildLimits {
  return { ...base, ...overrides };
}

function resolveApi(input: ConfigInput['api']): ApiConfig {
  const port = input?.port ?? DEFAULT_API.port;
  const host = input?.host ?? DEFAULT_API.host;
  const urlHost = host.includes(':') ? `[${host}]` : host; // IPv6 literals need brackets in a URL
  const publicUrl = (input?.publicUrl ?? `http://${urlHost}:${port}`).replace(/\/+$/, '');
  return { port, host, publicUrl };
}

/** Remote URLs go to git as written; a local path is made absolute (semantic checks already refused bad URLs). */
function resolveTreeUrl(url: string, baseDir: string): string {
  const kind = classifyGitUrl(url);
  return 'kind' in kind && kind.kind === 'remote' ? url : path.resolve(baseDir, url);
}

function resolveTree(
  tree: TreeInput,
  index: number,
  build: BuildLimits,
  baseDir: string,
  env: Env,
): TreeConfig | LocatedProblem {
  const resolved: TreeConfig = {
    name: tree.name,
    url: resolveTreeUrl(tree.url, baseDir),
    format: tree.format,
    distribution: tree.distribution,
    branches: [...tree.branches],
    architectures: [...tree.architectures],
    build: mergeBuild(build, tree.build),
  };
  if (!tree.webhook) return resolved;
  const webhook = readWebhookSecret(tree.webhook, ['trees', index, 'webhook'], baseDir, env);
  if ('at' in webhook) return webhook;
  return { ...resolved, webhook };
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
    if ('at' in result) problems.push(result);
    else trees.push(result);
  });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      dataDir: path.resolve(baseDir, input.dataDir),
      api: resolveApi(input.api),
      temporal: { ...DEFAULT_TEMPORAL, ...input.temporal },
      // Beside the config file by default, not in the data dir the API serves from.
      signer: { keysDir: path.resolve(baseDir, input.signer?.keysDir ?? 'keys') },
      build,
      trees,
    },
  };
}
