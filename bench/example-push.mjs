#!/usr/bin/env node
// The example tree's push, end to end on the embedded default: from the moment `npm start` pushed it to the moment
// it is published, with a fresh data dir (every package built, none reused). Prints one figure:
//   bench example-push: wall = <s> s
// usage: node bench/example-push.mjs [--root <a Kiln checkout with dist/ built>] [--runs N]
// (--root lets one run measure another checkout, e.g. the previous commit, side by side on the same engine.)
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { root: { type: 'string' }, runs: { type: 'string' } } });
const root = path.resolve(values.root ?? path.join(import.meta.dirname, '..'));
const runs = Number(values.runs ?? 1);

const freePort = () => new Promise((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
});

async function once() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-bench-'));
  const [api, temporal, ui] = [await freePort(), await freePort(), await freePort()];
  const config = path.join(dir, 'kiln.yaml');
  fs.writeFileSync(config, [
    `dataDir: ${path.join(dir, 'data')}`,
    `api: { port: ${api} }`,
    `temporal: { address: 127.0.0.1:${temporal}, uiUrl: http://127.0.0.1:${ui} }`,
    'trees:',
    '  - name: example',
    `    url: ${path.join(root, 'examples/ports')}`,
    '    format: deb',
    '    distribution: bookworm',
    '    branches: [main]',
    '    architectures: [amd64, i386]',
  ].join('\n'));
  const child = spawn('node', [path.join(root, 'dist/workers/embedded.js'), '--config', config], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let pushedAt;
  child.stdout.on('data', (d) => { output += d; if (!pushedAt && /kiln: pushed example/.test(output)) pushedAt = Date.now(); });
  child.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 15 * 60_000;
  try {
    for (;;) {
      if (Date.now() > deadline) throw new Error(`no publication in 15 min:\n${output.slice(-3000)}`);
      if (child.exitCode !== null) throw new Error(`kiln exited:\n${output.slice(-3000)}`);
      if (pushedAt) {
        const answer = await fetch(`http://127.0.0.1:${api}/api/pushes`).then((r) => r.json()).catch(() => undefined);
        const push = answer?.pushes?.[0];
        if (push && ['published', 'succeeded'].includes(push.state)) return (Date.now() - pushedAt) / 1000;
        if (push && push.state === 'failed') throw new Error(`the push failed: ${JSON.stringify(push).slice(0, 2000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    try { process.kill(-child.pid, 'SIGINT'); } catch { /* gone */ }
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (let i = 0; i < runs; i++) {
  const seconds = await once();
  console.log(`bench example-push: wall = ${seconds.toFixed(1)} s (${root})`);
}
