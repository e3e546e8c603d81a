import { PUSH_EVENTS } from './defaults';
import type { FieldPath, LocatedProblem } from './problems';
import { readWebhookSecret, type Env } from './secrets';
import type { ForgeConfig, NotifyTarget, TreeInput } from './types';

// A tree's reporting: the forge that gets commit statuses, and who is notified of a push's end. Tokens and secrets
// are read at load time, like the webhook's: a missing file fails the start, not the first push.

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
