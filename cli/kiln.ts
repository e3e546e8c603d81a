import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSignerKeys } from '../activities/signer/signer-keys';
import { currentHead } from '../activities/git/tree-source';
import { requestPush } from '../api/intake/request-push';
import { requestRollback } from '../api/intake/request-rollback';
import { createToken, readTokens, revokeToken, tokenFile } from '../api/auth/token-file';
import { DataLayout } from '../domain/data-layout';
import { findTree, loadConfig } from '../domain/config';
import { KilnError } from '../domain/errors';
import { PROJECT_ROOT } from '../domain/project-paths';
import { pushWorkflowId } from '../domain/workflow-ids';
import type { PushStatus } from '../domain/push';
import { cancelSignal, pushStatusQuery, retrySignal } from '../workflows/messages';
import { failureReport } from './progress';
import { waitForPush } from './push-wait';
import { connectClient } from './temporal';

const USAGE = `usage: kiln <command> [options]

  push <tree> [--branch B] [--commit SHA] [--wait]   build a push (default: the branch's head)
  status <tree> [--branch B] --commit SHA [--json]     a push's builds
  retry <tree> [--branch B] --commit SHA [--package P] [--arch A]
  cancel <tree> [--branch B] --commit SHA
  rollback <tree> [--branch B] [--to N]                publish snapshot N again (default: the one before current)
  keys generate                                        make the signer's keys (never replaces one)
  tokens create <name>                                 make an API token (printed once; only its hash is kept)
  tokens list                                          API tokens: names and when they were made
  tokens revoke <name>                                 the token stops working at once

options: --config FILE (else $KILN_CONFIG, else ./kiln.yaml)
exit codes: 0 ok, 1 the push failed, 2 bad usage or input, 3 Kiln unreachable`;

const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 3 } as const;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' }, branch: { type: 'string' }, commit: { type: 'string' }, wait: { type: 'boolean' },
      json: { type: 'boolean' }, to: { type: 'string' }, package: { type: 'string' }, arch: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, treeName] = positionals;
  if (values.help || !command) { console.log(USAGE); return values.help ? EXIT.ok : EXIT.usage; }
  if (!['push', 'status', 'retry', 'cancel', 'rollback', 'keys', 'tokens'].includes(command)) throw usage(`unknown command ${command}`);
  const config = loadConfig(path.resolve(values.config ?? process.env.KILN_CONFIG ?? path.join(PROJECT_ROOT, 'kiln.yaml')));
  if (command === 'keys') {
    if (treeName !== 'generate') throw usage('keys takes one subcommand: generate');
    const keys = await generateSignerKeys(config.signer.keysDir);
    const state = (created: boolean) => (created ? 'created' : 'already there, kept');
    console.log(keys.created ? `created signing keys in ${config.signer.keysDir}` : `signing keys already exist in ${config.signer.keysDir}; kept them`);
    console.log(`minisign key: ${state(keys.minisign.created)}`);
    console.log(`  public key: ${keys.minisign.publicKeyFile}`);
    console.log(`OpenPGP key: ${state(keys.openpgp.created)}`);
    console.log(`  fingerprint: ${keys.openpgp.fingerprint}`);
    console.log(`  public keyring (apt signed-by=): ${keys.openpgp.keyringFile}`);
    console.log(`  public key, armored: ${keys.openpgp.armoredKeyringFile}`);
    return EXIT.ok;
  }
  if (command === 'tokens') return tokensCommand(config.dataDir, positionals.slice(1));
  if (!treeName) throw usage(`${command} needs a tree name`);

  const tree = findTree(config, treeName);
  const branch = values.branch ?? tree.branches[0];
  if (!tree.branches.includes(branch)) throw usage(`branch ${branch} is not configured for ${tree.name} (configured: ${tree.branches.join(', ')})`);
  if (values.commit !== undefined && !/^[0-9a-f]{40}$/.test(values.commit)) throw usage(`--commit must be a full 40-digit hex commit id, got ${values.commit}`);

  const { client, close } = await connectClient(config);
  try {
    if (command === 'push') {
      const commit = values.commit ?? (await currentHead(tree, new DataLayout(config.dataDir), branch));
      const { workflowId } = await requestPush(client, { tree: tree.name, branch, commit }, `cli:${process.env.USER ?? 'unknown'}`);
      console.log(`push ${workflowId}`);
      console.log(`  Temporal UI: ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`);
      return values.wait ? await waitForPush(client, workflowId, (line) => console.log(line)) : EXIT.ok;
    }
    if (command === 'rollback') {
      if (values.to !== undefined && !/^[1-9]\d*$/.test(values.to)) throw usage(`--to must be a snapshot number, got ${values.to}`);
      const rollback = await requestRollback(client, { tree: tree.name, branch, to: values.to === undefined ? undefined : Number(values.to) });
      console.log(`rollback ${rollback.workflowId}`);
      const result = await rollback.result();
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else console.log(`${tree.name}/${branch}: published snapshot ${result.snapshot} (commit ${result.commit})`);
      return EXIT.ok;
    }
    if (!values.commit) throw usage(`${command} needs --commit`);
    const handle = client.workflow.getHandle(pushWorkflowId(tree.name, branch, values.commit));
    if (command === 'status') {
      const status: PushStatus = await handle.query(pushStatusQuery);
      if (values.json) console.log(JSON.stringify(status, null, 2));
      else printStatus(status);
      return EXIT.ok;
    }
    if (command === 'retry') {
      await handle.signal(retrySignal, { source: values.package, arch: values.arch });
      console.log(`retry requested for ${handle.workflowId}${values.package ? ` (${values.package}${values.arch ? `/${values.arch}` : ''})` : ''}`);
      return EXIT.ok;
    }
    await handle.signal(cancelSignal, { reason: `cancelled from the CLI by ${process.env.USER ?? 'unknown'}` });
    console.log(`cancel requested for ${handle.workflowId}`);
    return EXIT.ok;
  } finally {
    await close();
  }
}

/** `kiln tokens create|list|revoke`: API tokens in <dataDir>/api-tokens.json (the API re-reads it when it changes). */
async function tokensCommand(dataDir: string, args: string[]): Promise<number> {
  const [sub, name, ...rest] = args;
  const file = tokenFile(dataDir);
  if (rest.length > 0) throw usage(`tokens ${sub} takes at most one name`);
  if (sub === 'create') {
    if (!name) throw usage('tokens create needs a name, e.g. kiln tokens create ci');
    const { token } = await createToken(file, name);
    // The only time the token is shown: stdout alone, so `$(kiln tokens create ci)` captures it.
    console.error(`created API token "${name}"; it is shown once, store it now (send it as "Authorization: Bearer <token>"):`);
    console.log(token);
    return EXIT.ok;
  }
  if (sub === 'list') {
    if (name) throw usage('tokens list takes no name');
    const tokens = await readTokens(file);
    if (tokens.length === 0) console.log('no API tokens (kiln tokens create <name>)');
    for (const t of tokens) console.log(`${t.name.padEnd(24)} created ${t.createdAt}`);
    return EXIT.ok;
  }
  if (sub === 'revoke') {
    if (!name) throw usage('tokens revoke needs a name');
    await revokeToken(file, name);
    console.log(`revoked API token "${name}"`);
    return EXIT.ok;
  }
  throw usage('tokens takes one subcommand: create <name>, list or revoke <name>');
}

function printStatus(status: PushStatus): void {
  console.log(`${status.workflowId}: ${status.state}`);
  for (const b of status.builds) {
    const took = b.finishedAt && b.startedAt ? ` ${((b.finishedAt - b.startedAt) / 1000).toFixed(1)} s` : '';
    console.log(`  ${b.arch.padEnd(6)} ${b.source.padEnd(24)} ${b.version.padEnd(12)} ${b.state}${took} (attempt ${b.attempt})  ${b.log}`);
  }
  for (const line of failureReport(status)) console.log(line);
}

class UsageError extends Error {}
function usage(message: string): UsageError { return new UsageError(message); }

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`kiln: ${err.message}\n\n${USAGE}`);
      process.exit(EXIT.usage);
    }
    if (err instanceof KilnError) {
      console.error(`kiln: ${err.code}: ${err.message}`);
      process.exit(err.code === 'TEMPORAL_UNAVAILABLE' ? EXIT.unavailable : EXIT.usage);
    }
    console.error(`kiln: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(EXIT.failed);
  },
);
