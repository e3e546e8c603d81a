import { describe, expect, it } from 'vitest';
import { activityContext, contextFromInput, contextFromWorkflowId } from '../../domain/observability/log-fields';
import { archWorkflowId, branchWorkflowId, publishWorkflowId, pushWorkflowId, rollbackWorkflowId } from '../../domain/workflow-ids';

const C = 'abcdef0123456789abcdef0123456789abcdef01';

describe('log context from workflow IDs', () => {
  it('reads every kind of Kiln workflow ID, branches with slashes included', () => {
    const push = pushWorkflowId('ports', 'release/1.x', C);
    expect(contextFromWorkflowId(push)).toEqual({ push, tree: 'ports', branch: 'release/1.x', commit: C });
    expect(contextFromWorkflowId(archWorkflowId(push, 'arm64'))).toEqual({ push, tree: 'ports', branch: 'release/1.x', commit: C, arch: 'arm64' });
    expect(contextFromWorkflowId(publishWorkflowId('ports', 'feature/a/b', 12))).toEqual({ tree: 'ports', branch: 'feature/a/b', snapshot: '12' });
    expect(contextFromWorkflowId(branchWorkflowId('ports', 'main'))).toEqual({ tree: 'ports', branch: 'main' });
    expect(contextFromWorkflowId(rollbackWorkflowId('ports', 'main', 'req-1'))).toEqual({ tree: 'ports', branch: 'main' });
    expect(contextFromWorkflowId('builder-probe/x')).toEqual({});
    expect(contextFromWorkflowId(undefined)).toEqual({});
  });
});

describe('log context from activity input', () => {
  it('takes the push, package and arch of a build request, nothing else', () => {
    expect(contextFromInput({ push: { tree: 't', branch: 'b', commit: C }, source: 'hello', arch: 'i386', version: '1', limits: {} }))
      .toEqual({ push: `push/t/b/${C}`, tree: 't', branch: 'b', commit: C, package: 'hello', arch: 'i386' });
  });

  it('reads publish steps and publish requests', () => {
    expect(contextFromInput({ tree: 't', branch: 'b', number: 4 })).toEqual({ tree: 't', branch: 'b', snapshot: '4' });
    expect(contextFromInput({ number: 5, request: { kind: 'push', tree: 't', branch: 'b', push: { tree: 't', branch: 'b', commit: C } } }))
      .toEqual({ push: `push/t/b/${C}`, tree: 't', branch: 'b', commit: C, snapshot: '5' });
    expect(contextFromInput({ release: 'Suite: x', trustedComment: 'secret-ish' })).toEqual({});
    expect(contextFromInput(undefined)).toEqual({});
    expect(contextFromInput('text')).toEqual({});
  });

  it('the input wins over the workflow ID where both know', () => {
    expect(activityContext(`${pushWorkflowId('ports', 'main', C)}/amd64`, [{ source: 'hello', arch: 'amd64' }]))
      .toEqual({ push: `push/ports/main/${C}`, tree: 'ports', branch: 'main', commit: C, arch: 'amd64', package: 'hello' });
  });
});
