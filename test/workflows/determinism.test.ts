import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { workflowsPath } from '../../workers/lib/workflow-source';

// The two guards that keep workflows/ deterministic: the bundle of the real workflows builds, and both the lint
// rule and the SDK's bundler reject a workflow that imports a Node builtin.
const forbidden = path.join(PROJECT_ROOT, 'test/fixtures/forbidden-workflow/index.ts');
const logger = new DefaultLogger('ERROR');

describe('workflow determinism guards', () => {
  it('bundles the real workflow code', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger });
    expect(code).toContain('builderProbeWorkflow');
  });

  it('the bundler rejects a workflow importing fs', async () => {
    await expect(bundleWorkflowCode({ workflowsPath: forbidden, logger })).rejects.toThrow(/fs/);
  });

  it('lint rejects Node builtins and side-effecting packages in workflows/', async () => {
    const eslint = new ESLint({ cwd: PROJECT_ROOT });
    const source = fs.readFileSync(forbidden, 'utf8') + "import { Client } from '@temporalio/client';\n";
    // Linted as if it lived in workflows/: that is where the rule applies.
    const [result] = await eslint.lintText(source, { filePath: path.join(PROJECT_ROOT, 'workflows/forbidden.ts') });
    const messages = result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
    expect(messages).toHaveLength(2);
    expect(messages.join('\n')).toMatch(/'fs' import is restricted/);
    expect(messages.join('\n')).toMatch(/'@temporalio\/client' import is restricted/);
  });

  it('lint passes the real workflows/', async () => {
    const eslint = new ESLint({ cwd: PROJECT_ROOT });
    const results = await eslint.lintFiles(['workflows/**/*.ts']);
    expect(results.length).toBeGreaterThan(0);
    expect(results.flatMap((r) => r.messages)).toEqual([]);
  });
});
