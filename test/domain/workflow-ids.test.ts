import { describe, expect, it } from 'vitest';
import { pushWorkflowId, rollbackRequestId, rollbackWorkflowId } from '../../domain/workflow-ids';

describe('pushWorkflowId', () => {
  it('is push/<tree>/<branch>/<commit>, slashes in branches kept', () => {
    expect(pushWorkflowId('example', 'release/1.x', 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7'))
      .toBe('push/example/release/1.x/da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
  });

  it('is the same for a redelivered webhook', () => {
    expect(pushWorkflowId('t', 'main', 'a'.repeat(40))).toBe(pushWorkflowId('t', 'main', 'a'.repeat(40)));
  });
});

describe('rollbackRequestId', () => {
  it('is the last segment of a rollback workflow ID of the branch', () => {
    expect(rollbackRequestId('ports', 'release/1.x', rollbackWorkflowId('ports', 'release/1.x', '20260101T000000000Z-abc123'))).toBe('20260101T000000000Z-abc123');
  });

  it.each([
    ['another branch', 'rollback/ports/other/x'],
    ['a push', `push/ports/main/${'a'.repeat(40)}`],
    ['no request id', 'rollback/ports/main/'],
    ['a deeper path', 'rollback/ports/main/x/y'],
  ])('is undefined for %s', (_what, workflowId) => {
    expect(rollbackRequestId('ports', 'main', workflowId)).toBeUndefined();
  });
});
