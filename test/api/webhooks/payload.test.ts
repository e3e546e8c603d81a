import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../../api/webhooks';
import { expectKilnError } from './expect-kiln-error';
import { fixtureWith, request, signedHeaders } from './requests';

// Correctly signed bodies that are not valid push events: 400 with a message that says what is wrong.
function sendGithub(body: Buffer) {
  return () => handleWebhook(request(body, signedHeaders('github', body)));
}

describe('invalid push payloads', () => {
  it('malformed JSON', () => {
    const err = expectKilnError(sendGithub(Buffer.from('{"ref": "refs/heads/main",')), 'WEBHOOK_PAYLOAD_INVALID', /not valid JSON/);
    expect(err.status).toBe(400);
  });

  it('a JSON value that is not an object', () => {
    expectKilnError(sendGithub(Buffer.from('[1, 2]')), 'WEBHOOK_PAYLOAD_INVALID', /not an object/);
  });

  it('a form-encoded body says to switch the content type', () => {
    expectKilnError(sendGithub(Buffer.from('payload=%7B%7D')), 'WEBHOOK_PAYLOAD_INVALID', /content type to application\/json/);
  });

  it('missing ref', () => {
    expectKilnError(sendGithub(fixtureWith('github-push.json', { ref: undefined })), 'WEBHOOK_PAYLOAD_INVALID', /no "ref"/);
  });

  it('a ref that is not a full git ref', () => {
    expectKilnError(sendGithub(fixtureWith('github-push.json', { ref: 'main' })), 'WEBHOOK_PAYLOAD_INVALID', /"ref" must be a full git ref.*"main"/);
  });

  it('missing after', () => {
    expectKilnError(sendGithub(fixtureWith('github-push.json', { after: undefined })), 'WEBHOOK_PAYLOAD_INVALID', /no "after" commit/);
  });

  it('missing before', () => {
    expectKilnError(sendGithub(fixtureWith('github-push.json', { before: undefined })), 'WEBHOOK_PAYLOAD_INVALID', /no "before" commit/);
  });

  it.each([
    ['not hex', 'zz1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c'],
    ['too short', '0d1a26e'],
    ['a number', 12345],
  ])('an after commit that is %s', (_name, after) => {
    expectKilnError(sendGithub(fixtureWith('github-push.json', { after })), 'WEBHOOK_PAYLOAD_INVALID', /"after" must be a 40-digit hex commit id/);
  });

  it('a non-hex before commit', () => {
    expectKilnError(sendGithub(fixtureWith('github-push.json', { before: 'HEAD~1' })), 'WEBHOOK_PAYLOAD_INVALID', /"before" must be a 40-digit hex commit id, got "HEAD~1"/);
  });

  it('an unknown sender (no provider header) when the route does not say', () => {
    const body = fixtureWith('github-push.json', {});
    expectKilnError(() => handleWebhook(request(body, { 'content-type': 'application/json' })), 'WEBHOOK_PAYLOAD_INVALID', /cannot tell which forge/);
  });
});
