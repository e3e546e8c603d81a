import { PUSH_EVENTS } from './defaults';
import type { FieldPath, LocatedProblem } from './problems';
import { readWebhookSecret, type Env } from './secrets';
import type { ForgeConfig, NotifyTarget, PublishTarget, S3TargetInput, TreeInput } from './types';

// The parts of a tree that talk to other services with credentials of their own: the forge that gets commit
// statuses, who is notified of a push's end, and S3 publish targets. Tokens, secrets and keys are read at load time,
// like the webhook's: a missing file fails the start, not the first push.

export function resolveForge(tree: TreeInput, index: number, baseDir: string, env: Env): ForgeConfig | LocatedProblem | undefined {
  const forge = tree.forge;
  if (!forge) return undefined;
  const at: FieldPath = ['trees', index, 'forge'];
  const read = readWebhookSecret({ secretFile: forge.tokenFile, secretEnv: forge.tokenEnv }, at, baseDir, env, { file: 'tokenFile', env: 'tokenEnv' });
  if ('at' in read) return read;
  return {
    kind: forge.kind,
    apiUrl: forge.apiUrl.replace(/\/+$/, ''),
    repository: forge.repository,
    context: forge.context ?? `kiln/${tree.name}`,
    token: read.secret,
  };
}

export function resolveNotify(tree: TreeInput, index: number, baseDir: string, env: Env): NotifyTarget[] | LocatedProblem[] {
  const targets: NotifyTarget[] = [];
  const problems: LocatedProblem[] = [];
  (tree.notify ?? []).forEach((target, k) => {
    const events = [...(target.events ?? PUSH_EVENTS)];
    if (target.email !== undefined) {
      targets.push({ kind: 'email', to: [...target.email], events });
      return;
    }
    const http: NotifyTarget = { kind: 'http', url: target.url ?? '', events };
    if (target.secretFile === undefined && target.secretEnv === undefined) {
      targets.push(http);
      return;
    }
    const read = readWebhookSecret(target, ['trees', index, 'notify', k], baseDir, env);
    if ('at' in read) problems.push(read);
    else targets.push({ ...http, secret: read.secret });
  });
  return problems.length > 0 ? problems : targets;
}

/** An S3 target: the prefix normalized to '' or `a/b/`, the region defaulted, both keys read or neither given. */
export function resolveS3Target(
  input: S3TargetInput,
  at: FieldPath,
  branches: string[],
  baseDir: string,
  env: Env,
): PublishTarget | LocatedProblem {
  const prefix = (input.prefix ?? '').replace(/\/+$/, '');
  const target = {
    kind: 's3' as const,
    bucket: input.bucket,
    prefix: prefix === '' ? '' : `${prefix}/`,
    ...(input.endpoint ? { endpoint: input.endpoint.replace(/\/+$/, '') } : {}),
    region: input.region ?? 'us-east-1',
    forcePathStyle: input.forcePathStyle ?? input.endpoint !== undefined,
    branches,
  };
  const given = [input.accessKeyIdFile, input.accessKeyIdEnv, input.secretAccessKeyFile, input.secretAccessKeyEnv].some((v) => v !== undefined);
  if (!given) return target;
  const id = readWebhookSecret({ secretFile: input.accessKeyIdFile, secretEnv: input.accessKeyIdEnv }, at, baseDir, env, { file: 'accessKeyIdFile', env: 'accessKeyIdEnv' });
  if ('at' in id) return id;
  const key = readWebhookSecret({ secretFile: input.secretAccessKeyFile, secretEnv: input.secretAccessKeyEnv }, at, baseDir, env, { file: 'secretAccessKeyFile', env: 'secretAccessKeyEnv' });
  if ('at' in key) return key;
  return { ...target, credentials: { accessKeyId: id.secret, secretAccessKey: key.secret } };
}
