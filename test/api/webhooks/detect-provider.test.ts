import { describe, expect, it } from 'vitest';
import { detectProvider } from '../../../api/webhooks';
import { signedHeaders } from './requests';

describe('detectProvider', () => {
  it.each(['gitlab', 'github', 'gitea', 'forgejo'] as const)('recognizes the headers %s really sends', (provider) => {
    expect(detectProvider(signedHeaders(provider, Buffer.from('{}')))).toBe(provider);
  });

  it('is case-insensitive', () => {
    expect(detectProvider({ 'X-Gitlab-Event': 'Push Hook' })).toBe('gitlab');
  });

  it('is undefined for anything else', () => {
    expect(detectProvider({ 'user-agent': 'curl/8.0' })).toBeUndefined();
  });
});
