import { describe, expect, it } from 'vitest';
import { pushWorkflowId } from '../../domain/workflow-ids';

describe('pushWorkflowId', () => {
  it('is push/<tree>/<branch>/<commit>, slashes in branches kept', () => {
    expect(pushWorkflowId('example', 'release/1.x', 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7'))
      .toBe('push/example/release/1.x/da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
  });

  it('is the same for a redelivered webhook', () => {
    expect(pushWorkflowId('t', 'main', 'a'.repeat(40))).toBe(pushWorkflowId('t', 'main', 'a'.repeat(40)));
  });
});
