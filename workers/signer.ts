// Process entry: the signer worker (task queue `sign`). Holds the final signing keys and nothing else; run it on an
// isolated host in production, with only `signer.keysDir` and a route to Temporal.
import { loadSignerKeys } from '../activities/signer/signer-keys';
import { connectWorker, installQuietRuntime, loadProcessConfig, processArgs, runMain } from './lib/process';
import { createSignerWorker } from './signer-worker';

runMain('signer', async () => {
  const { configFile } = processArgs();
  const config = loadProcessConfig(configFile);
  const keys = await loadSignerKeys(config.signer.keysDir);
  installQuietRuntime();
  const connection = await connectWorker(config);
  const worker = await createSignerWorker({ connection, namespace: config.temporal.namespace, keys, keysDir: config.signer.keysDir });
  console.log(`kiln signer: task queue ${worker.options.taskQueue} on ${config.temporal.address}, minisign key ${keys.minisign.keyIdHex} from ${config.signer.keysDir}`);
  await worker.run();
  await connection.close();
});
