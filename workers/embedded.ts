// `npm start`: the whole embedded default on one machine. The Temporal dev server (SQLite in the data dir, Web UI
// on), the orchestrator, one build worker per configured arch, the signer and the API, each its own process.
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { isPlainDirectory } from '../activities/git/directory-import';
import { currentHead } from '../activities/git/tree-source';
import { generateSignerKeys } from '../activities/signer/signer-keys';
import { ensureLocalWorkerToken } from '../api/auth/local-worker-token';
import { requestPush, waitUntilStarted } from '../api/intake/request-push';
import { DataLayout } from '../domain/data-layout';
import { KilnError } from '../domain/errors';
import { temporalConnectionOptions } from '../domain/temporal-connection';
import { paint } from './lib/ansi';
import { childOutput } from './lib/child-output';
import { logOutput } from './lib/log-format';
import { metricsListenAddress, metricsPortArg } from './lib/metrics-server';
import { loadProcessConfig, processArgs, runMain } from './lib/process';
import { Supervisor, type ChildSpec } from './lib/supervisor';
import { TemporalDevServer } from './lib/temporal-dev-server';
import { keepTemporalRunning } from './lib/temporal-keeper';
import { suiteOf, type TreeConfig } from '../domain/config';
import { formatOf } from '../domain/formats/registry';
import { installCommands } from '../api/ui/install-commands';
import { publishedFingerprint } from '../api/data/published-key';
import type { pushWorkflow } from '../workflows/push';

/** Once the push is published, print what a user adds to install from it (the sources line and the key). */
async function announcePublished(
  client: Client, workflowId: string, apiUrl: string, layout: DataLayout, tree: TreeConfig, branch: string, log: (line: string) => void,
): Promise<void> {
  try {
    const handle = client.workflow.getHandle<typeof pushWorkflow>(workflowId);
    await waitUntilStarted(client, workflowId);
    const result = await handle.result();
    const publish = result.status.publish;
    if (result.outcome !== 'succeeded' || publish?.outcome !== 'published') {
      log(`kiln: ${workflowId} ended ${result.outcome}; nothing new was published`);
      return;
    }
    const repo = `${apiUrl}/repos/${encodeURIComponent(tree.name)}/${encodeURIComponent(branch)}`;
    // The same commands the repository page shows, in the tree's format.
    const commands = installCommands(tree.name, branch, suiteOf(tree, branch), repo, tree.format, publishedFingerprint(layout, tree.name, branch));
    log(`kiln: published ${tree.name}/${branch} as snapshot ${publish.snapshot}; to install from it (${formatOf(tree.format).label}):`);
    for (const text of [commands.keyring, commands.addSource, commands.minisign]) {
      for (const line of text.split('\n')) log(`kiln:   ${line}`);
    }
  } catch (err) {
    // Stopping Kiln closes the connection while waiting: not an error worth a line.
    if (!/closed|cancel/i.test(String(err))) log(`kiln: could not follow ${workflowId}: ${String(err)}`);
  }
}

function hostPort(address: string, field: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(address);
  if (!match) throw new KilnError('CONFIG_INVALID', `${field}: expected host:port, got ${address}`);
  return { host: match[1], port: Number(match[2]) };
}

runMain('start', async () => {
  const { configFile, values } = processArgs({ 'metrics-port': { type: 'string' }, 'log-format': { type: 'string' } });
  // `--log-format text|json` / KILN_LOG_FORMAT: text (one readable line per event) on a terminal, json otherwise.
  const output = logOutput(values['log-format'] as string | undefined, process.env, process.stdout.isTTY === true);
  const config = loadProcessConfig(configFile);
  const log = (line: string) => process.stdout.write(line + '\n');
  // The banner (where everything is) stands out from the processes' lines.
  const banner = (line: string) => log(paint(output.color, 'bold', line));
  // Metrics (opt-in): `--metrics-port 9464` / KILN_METRICS_PORT=9464 is the first of consecutive ports, one per worker
  // process: orchestrator +0, signer +1, build-<arch> +2, +3... in the config's arch order. The API serves /metrics
  // on its own port. Children never inherit KILN_METRICS_PORT (they would all try the same port).
  const metricsBase = metricsListenAddress(values['metrics-port'] as string | undefined);
  const metricsArgs = (offset: number): string[] => (metricsBase ? ['--metrics-port', metricsPortArg(metricsBase, offset)] : []);
  const metricsPorts: string[] = [];

  let temporal: TemporalDevServer | undefined;
  if (config.temporal.embedded) {
    const { host, port } = hostPort(config.temporal.address, 'temporal.address');
    const uiPort = Number(new URL(config.temporal.uiUrl).port || 80);
    temporal = new TemporalDevServer({
      host,
      port,
      uiPort,
      dbFile: path.join(config.dataDir, 'temporal.db'),
      logFile: path.join(config.dataDir, 'logs', 'temporal.log'),
      namespace: config.temporal.namespace,
    });
    log(`kiln: starting the Temporal dev server (state: ${temporal.options.dbFile})`);
    await temporal.start();
  }
  const temporalKeeper = temporal ? keepTemporalRunning(temporal, log) : undefined;

  // The embedded default makes its own signing keys on first start (a real deployment runs `kiln keys generate`
  // on the signer's host); an existing key is never replaced.
  const keys = await generateSignerKeys(config.signer.keysDir, { passwordDir: config.signer.passwordDir });
  if (keys.created) {
    log(`kiln: created signing keys in ${config.signer.keysDir} (minisign: ${keys.publicKeyFile}; OpenPGP ${keys.openpgp.fingerprint}: ${keys.openpgp.keyringFile})`);
  }

  // Build workers reach the API like workers on other machines do: on loopback, with a worker token of their own.
  await ensureLocalWorkerToken(config.dataDir);

  const node = (name: string, script: string, args: string[] = [], metricsOffset?: number): ChildSpec => {
    const metrics = metricsOffset === undefined ? [] : metricsArgs(metricsOffset);
    if (metrics.length > 0) metricsPorts.push(`${name} ${metrics[1]}`);
    return {
      name,
      command: process.execPath,
      args: [path.join(__dirname, '..', script), '--config', configFile, ...args, ...metrics],
      env: { KILN_METRICS_PORT: '' },
    };
  };
  const arches = [...new Set(config.trees.flatMap((t) => t.architectures))];
  // Every child line also goes to data/logs/<process>.log, beside temporal.log (workers/lib/log-sink.ts).
  const children = childOutput({ ...output, logsDir: path.join(config.dataDir, 'logs'), out: log });
  const supervisor = new Supervisor(log, { onLine: children.line, onNote: children.note });
  supervisor.start(node('orchestrator', 'workers/orchestrator.js', [], 0));
  arches.forEach((arch, i) => supervisor.start(node(`build-${arch}`, 'workers/build.js', ['--arch', arch], 2 + i)));
  supervisor.start(node('signer', 'workers/signer.js', [], 1));
  supervisor.start(node('api', 'api/server.js'));

  log('');
  banner(`kiln: API and web UI   ${config.api.publicUrl}`);
  banner(`kiln: Temporal UI      ${config.temporal.uiUrl}`);
  banner(`kiln: data dir         ${config.dataDir}`);
  banner(`kiln: metrics          ${config.api.publicUrl}/metrics${metricsPorts.length > 0 ? `; ${metricsPorts.join(', ')}` : ' (workers: start with --metrics-port <first port>)'}`);
  banner('kiln: Ctrl-C stops everything');
  log('');

  // Trees that are plain directories (the example tree) have no forge to send webhooks: push their current content.
  // With `temporal.embedded: false` this is the operator's Temporal server, with the config's TLS like every process.
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const layout = new DataLayout(config.dataDir);
  for (const tree of config.trees.filter((t) => isPlainDirectory(t.url))) {
    const branch = tree.branches[0];
    const commit = await currentHead(tree, layout, branch);
    const { workflowId } = await requestPush(client, { tree: tree.name, branch, commit }, 'embedded start');
    log(`kiln: pushed ${tree.name} (${tree.url}) as ${branch}@${commit.slice(0, 12)}: ${workflowId}`);
    log(`kiln:   follow it: npx kiln status ${tree.name} --branch ${branch} --commit ${commit}`);
    // In the background: it never throws, and stopping Kiln ends its wait.
    void announcePublished(client, workflowId, config.api.publicUrl, layout, tree, branch, log);
  }

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await connection.close().catch(() => undefined);
  log('kiln: stopping');
  temporalKeeper?.stop();
  await supervisor.stop();
  children.close();
  await temporal?.stop();
  log('kiln: stopped');
});
