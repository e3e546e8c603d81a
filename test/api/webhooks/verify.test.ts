import { describe, expect, it } from 'vitest';
import { handleWebhook, type WebhookProvider } from '../../../api/webhooks';
import { Secret } from '../../../domain/secret';
import { expectKilnError } from './expect-kiln-error';
import { fixture, hmacHex, request, signedHeaders } from './requests';

const PUSH_FIXTURE: Record<WebhookProvider, string> = {
  gitlab: 'gitlab-push.json',
  github: 'github-push.json',
  gitea: 'gitea-push.json',
  forgejo: 'gitea-push.json',
};
const PROVIDERS = Object.keys(PUSH_FIXTURE) as WebhookProvider[];

describe('webhook authentication', () => {
  it.each(PROVIDERS)('%s: accepts the right secret', (provider) => {
    const body = fixture(PUSH_FIXTURE[provider]);
    expect(handleWebhook(request(body, signedHeaders(provider, body), { provider })).kind).toBe('push');
  });

  it.each(PROVIDERS)('%s: rejects a wrong secret with 401', (provider) => {
    const body = fixture(PUSH_FIXTURE[provider]);
    const err = expectKilnError(
      () => handleWebhook(request(body, signedHeaders(provider, body, undefined, 'another-secret'), { provider })),
      'WEBHOOK_SIGNATURE_INVALID', /does not match/,
    );
    expect(err.status).toBe(401);
    expect(err.message).not.toContain('another-secret');
  });

  it.each(PROVIDERS)('%s: a tree without a secret rejects even a correctly signed request', (provider) => {
    const body = fixture(PUSH_FIXTURE[provider]);
    expectKilnError(
      () => handleWebhook(request(body, signedHeaders(provider, body), { provider, secret: undefined })),
      'WEBHOOK_SIGNATURE_INVALID', /no webhook secret configured/,
    );
  });

  it.each([
    ['gitlab', 'x-gitlab-token', /X-Gitlab-Token header is missing/],
    ['github', 'x-hub-signature-256', /X-Hub-Signature-256 header is missing/],
    ['gitea', 'x-gitea-signature', /X-Gitea-Signature header is missing/],
    ['forgejo', 'x-forgejo-signature', /X-Forgejo-Signature header is missing/],
  ] as const)('%s: rejects a request without %s', (provider, header, message) => {
    const body = fixture(PUSH_FIXTURE[provider]);
    const headers = signedHeaders(provider, body);
    delete headers[header];
    expectKilnError(() => handleWebhook(request(body, headers, { provider })), 'WEBHOOK_SIGNATURE_INVALID', message);
  });

  it('checks the signature over the raw bytes: the same JSON re-serialized fails', () => {
    const body = fixture('github-push.json');
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))));
    expectKilnError(
      () => handleWebhook(request(reserialized, signedHeaders('github', body), { provider: 'github' })),
      'WEBHOOK_SIGNATURE_INVALID', /does not match/,
    );
  });

  it('verifies before parsing: an unsigned malformed body is a 401, not a 400', () => {
    const body = Buffer.from('{not json');
    const headers = { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' };
    expectKilnError(() => handleWebhook(request(body, headers)), 'WEBHOOK_SIGNATURE_INVALID', /does not match/);
  });

  it.each([
    ['a truncated signature', (sig: string) => `sha256=${sig.slice(0, 10)}`],
    ['a longer signature', (sig: string) => `sha256=${sig}00`],
    ['no sha256= prefix', (sig: string) => sig],
    ['an empty value', () => ''],
  ])('GitHub: rejects %s', (_name, mangle) => {
    const body = fixture('github-push.json');
    const headers = { 'x-github-event': 'push', 'x-hub-signature-256': mangle(hmacHex(body)) };
    expectKilnError(() => handleWebhook(request(body, headers)), 'WEBHOOK_SIGNATURE_INVALID', /X-Hub-Signature-256/);
  });

  it('GitHub: does not accept the legacy SHA-1 header instead', () => {
    const body = fixture('github-push.json');
    const headers = { 'x-github-event': 'push', 'x-hub-signature': 'sha1=0123' };
    expectKilnError(() => handleWebhook(request(body, headers)), 'WEBHOOK_SIGNATURE_INVALID', /X-Hub-Signature-256 header is missing/);
  });

  it('accepts upper-case hex and any header-name case', () => {
    const body = fixture('gitea-push.json');
    const headers = { 'X-Gitea-Event': 'push', 'X-Gitea-Signature': hmacHex(body).toUpperCase() };
    expect(handleWebhook(request(body, headers)).kind).toBe('push');
  });

  it('a signature header sent twice counts as missing', () => {
    const body = fixture('gitea-push.json');
    const headers = { 'x-gitea-event': 'push', 'x-gitea-signature': [hmacHex(body), hmacHex(body)] };
    expectKilnError(() => handleWebhook(request(body, headers)), 'WEBHOOK_SIGNATURE_INVALID', /missing/);
  });

  it('GitLab: a token that is a prefix of the secret is rejected', () => {
    const body = fixture('gitlab-push.json');
    const headers = { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'n0t-a-real' };
    expectKilnError(() => handleWebhook(request(body, headers)), 'WEBHOOK_SIGNATURE_INVALID', /X-Gitlab-Token header does not match/);
  });

  it('uses the secret bytes as given (a binary secret works)', () => {
    const binary = new Secret(Buffer.from([0, 255, 1, 254]));
    const body = fixture('github-push.json');
    const sig = hmacHex(body, binary.reveal());
    const headers = { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sig}` };
    expect(handleWebhook(request(body, headers, { secret: binary })).kind).toBe('push');
  });
});
