import { resolveOwnModule } from '../../domain/project-paths';

/** workflows/index as .ts (tests, bundler) or .js (dist): the orchestrator worker bundles it. */
export function workflowsPath(): string {
  return resolveOwnModule(__dirname, '../../workflows/index');
}
