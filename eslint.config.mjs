// Lint: TypeScript rules everywhere, plus the determinism guard for workflows/.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox: no Node builtins (the SDK allows only assert, url, util)
// and no @temporalio package that talks to the outside world.
const allowedBuiltins = new Set(['assert', 'url', 'util']);
const forbiddenBuiltins = builtinModules.filter((m) => !m.startsWith('_') && !allowedBuiltins.has(m));
const workflowForbidden = [
  ...forbiddenBuiltins.flatMap((m) => [m, `node:${m}`]),
  'node:assert', 'node:url', 'node:util', // node: prefix is not bundled either
  '@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing',
  'dockerode', 'simple-git', 'fastify',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'data/**', 'test-output/**', 'examples/**', 'bin/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: workflowForbidden.map((name) => ({
          name,
          message: 'Workflow code must be deterministic: no Node builtins or side-effecting packages in workflows/ (move it to an activity).',
        })),
        patterns: [{ group: ['**/activities/*', '**/activities', '!**/activities/types'], allowTypeImports: true,
          message: 'Import activities as types only (import type).' }],
      }],
    },
  },
);
