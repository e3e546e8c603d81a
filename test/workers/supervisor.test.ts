import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { until } from '../helpers/until';

// The embedded default's supervisor, SIGKILLed: no chance to stop its children, so the kernel must (setpriv's
// parent-death signal). Without it, workers and the Temporal server kept running after `npm start` was killed.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-supervisor-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Supervisor', () => {
  it('children stop when the supervisor is SIGKILLed', async () => {
    const pidFile = path.join(dir, 'child.pid');
    // The supervisor's two modules import only Node builtins: transpiled into the temp dir, a plain `node` runs them.
    for (const name of ['supervisor', 'parent-death']) {
      const source = fs.readFileSync(path.join(PROJECT_ROOT, 'workers/lib', `${name}.ts`), 'utf8');
      fs.writeFileSync(path.join(dir, `${name}.js`), ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText);
    }
    const script = path.join(dir, 'supervise.js');
    fs.writeFileSync(script, [
      "const { Supervisor } = require('./supervisor.js');",
      'const supervisor = new Supervisor(() => undefined);',
      `supervisor.start({ name: 'child', command: process.execPath, args: ['-e', ${JSON.stringify(`require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`)}] });`,
    ].join('\n'));
    const supervisor = spawn(process.execPath, [script], { stdio: 'ignore' });
    try {
      await until('the child started', () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8') !== '', 10_000, 50);
      const childPid = Number(fs.readFileSync(pidFile, 'utf8'));
      expect(alive(childPid)).toBe(true);
      supervisor.kill('SIGKILL');
      await until('the child stopped', () => !alive(childPid), 10_000, 50);
    } finally {
      if (supervisor.exitCode === null) supervisor.kill('SIGKILL');
    }
  }, 30_000);
});
