// The context a log line carries, derived from what an activity knows: its workflow ID and its input. Pure.

/** The fields every structured log line may carry, in the order they are written. */
export const CONTEXT_FIELDS = ['push', 'tree', 'branch', 'commit', 'snapshot', 'package', 'arch'] as const;
export type ContextField = (typeof CONTEXT_FIELDS)[number];
export type LogContext = Partial<Record<ContextField, string>>;

const COMMIT = '[0-9a-fA-F]{40}';

/**
 * Context from a workflow ID (domain/workflow-ids.ts): `push/<tree>/<branch>/<commit>[/<arch>]`,
 * `publish/<tree>/<branch>/<snapshot>`, `branch/<tree>/<branch>`, `rollback/<tree>/<branch>/<request>`.
 * Branches may contain `/`; the tree may not (config names are single segments).
 */
export function contextFromWorkflowId(workflowId: string | undefined): LogContext {
  if (!workflowId) return {};
  let m = new RegExp(`^push/([^/]+)/(.+)/(${COMMIT})(?:/([^/]+))?$`).exec(workflowId);
  if (m) {
    const [, tree, branch, commit, arch] = m;
    return { push: `push/${tree}/${branch}/${commit}`, tree, branch, commit, ...(arch ? { arch } : {}) };
  }
  m = /^publish\/([^/]+)\/(.+)\/(\d+)$/.exec(workflowId);
  if (m) return { tree: m[1], branch: m[2], snapshot: m[3] };
  m = /^rollback\/([^/]+)\/(.+)\/[^/]+$/.exec(workflowId);
  if (m) return { tree: m[1], branch: m[2] };
  m = /^branch\/([^/]+)\/(.+)$/.exec(workflowId);
  if (m) return { tree: m[1], branch: m[2] };
  return {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Context from an activity's first argument: a build request (`push`, `source`, `arch`), a publish step
 * (`tree`, `branch`, `number`), a push record (`push`), a publish request (`request.push`, `request.tree`...).
 * Never copies anything else from the input (a Release text, a target's settings).
 */
export function contextFromInput(input: unknown): LogContext {
  if (typeof input !== 'object' || input === null) return {};
  const o = input as Record<string, unknown>;
  const request = typeof o.request === 'object' && o.request !== null ? o.request as Record<string, unknown> : undefined;
  const push = (typeof o.push === 'object' && o.push !== null ? o.push : request?.push) as Record<string, unknown> | undefined;
  const context: LogContext = {};
  const tree = str(push?.tree) ?? str(o.tree) ?? str(request?.tree);
  const branch = str(push?.branch) ?? str(o.branch) ?? str(request?.branch);
  const commit = str(push?.commit) ?? str(o.commit);
  if (tree) context.tree = tree;
  if (branch) context.branch = branch;
  if (commit) context.commit = commit;
  if (tree && branch && commit) context.push = `push/${tree}/${branch}/${commit}`;
  const snapshot = typeof o.number === 'number' ? String(o.number) : undefined;
  if (snapshot) context.snapshot = snapshot;
  const source = str(o.source) ?? str(request?.source);
  if (source) context.package = source;
  const arch = str(o.arch) ?? str(request?.arch);
  if (arch) context.arch = arch;
  return context;
}

/** Workflow ID first, the input's more precise values over it. */
export function activityContext(workflowId: string | undefined, args: readonly unknown[]): LogContext {
  return { ...contextFromWorkflowId(workflowId), ...contextFromInput(args[0]) };
}
