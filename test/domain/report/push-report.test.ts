import { describe, expect, it } from 'vitest';
import { commitState, describeReport, DESCRIPTION_MAX, deliveryId, forgeCommitUrl, notificationBody, notificationMail, type PushReport } from '../../../domain/report/push-report';

const push = { tree: 'example', branch: 'main', commit: '0123456789abcdef0123456789abcdef01234567' };

function report(overrides: Partial<PushReport> = {}): PushReport {
  return { push, event: 'failed', at: Date.UTC(2026, 11, 4, 12, 0, 0), requestedBy: 'webhook:alice', builds: { total: 8, failed: 0, failures: [] }, ...overrides };
}

describe('commitState', () => {
  it('maps each event to the states Gitea and GitHub know', () => {
    for (const kind of ['gitea', 'forgejo', 'github'] as const) {
      expect(['running', 'failed', 'published', 'cancelled', 'superseded'].map((e) => commitState(kind, e as PushReport['event'])))
        .toEqual(['pending', 'failure', 'success', 'error', 'error']);
    }
  });

  it('maps each event to GitLab\'s states', () => {
    expect(['running', 'failed', 'published', 'cancelled', 'superseded'].map((e) => commitState('gitlab', e as PushReport['event'])))
      .toEqual(['running', 'failed', 'success', 'canceled', 'canceled']);
  });
});

describe('describeReport', () => {
  it('says where the push is in one short line', () => {
    expect(describeReport(report({ event: 'running', builds: { total: 0, failed: 0, failures: [] } }))).toBe('planning');
    expect(describeReport(report({ event: 'running' }))).toBe('building 8 package builds');
    expect(describeReport(report({ builds: { total: 8, failed: 2, failures: [] } }))).toBe('2 of 8 builds failed');
    expect(describeReport(report({ installTestsFailed: 1 }))).toBe('1 install test failed');
    expect(describeReport(report({ error: 'kiln-hello: no debian/control' }))).toBe('failed: kiln-hello: no debian/control');
    expect(describeReport(report({ event: 'published', snapshot: 7 }))).toBe('published as snapshot 7');
    expect(describeReport(report({ event: 'superseded', supersededBy: `push/example/main/${'f'.repeat(40)}` }))).toBe('superseded by ffffffffffff, not published');
    expect(describeReport(report({ event: 'cancelled' }))).toBe('cancelled, not published');
  });

  it('stays on one line within GitHub\'s 140 characters, whatever an error says', () => {
    const line = describeReport(report({ error: `x\r\n${'y'.repeat(500)}` }));
    expect(line.length).toBe(DESCRIPTION_MAX);
    expect(line).not.toMatch(/[\r\n]/);
  });
});

describe('notifications', () => {
  it('have a delivery id stable per report and distinct per failure', () => {
    expect(deliveryId(report())).toBe(deliveryId(report()));
    expect(deliveryId(report())).not.toBe(deliveryId(report({ at: Date.UTC(2026, 11, 4, 12, 5) })));
  });

  it('carry the push and its link as JSON', () => {
    const body = notificationBody({ ...report({ event: 'published', snapshot: 3 }), event: 'published' }, 'http://kiln/pushes/example/main/0123');
    expect(body).toEqual({
      event: 'published', tree: 'example', branch: 'main', commit: push.commit, summary: 'published as snapshot 3',
      url: 'http://kiln/pushes/example/main/0123', requestedBy: 'webhook:alice', at: '2026-12-04T12:00:00.000Z',
      builds: { total: 8, failed: 0, failures: [] }, snapshot: 3,
    });
  });

  it('make an e-mail whose headers a hostile error or branch name cannot extend', () => {
    const hostile = { ...report({
      push: { ...push, branch: 'main\nBcc: victim@example.org' },
      builds: { total: 2, failed: 1, failures: [{ source: 'kiln-hello', arch: 'amd64', state: 'failed' }] },
      error: 'boom\r\nX-Evil: 1',
    }), event: 'failed' as const };
    const mail = notificationMail(hostile, { from: 'kiln@host', to: ['ops@example.org', 'dev@example.org'], url: 'http://kiln/p', host: 'host' });
    const end = mail.indexOf('\n\n');
    const head = mail.slice(0, end);
    const body = mail.slice(end + 2);
    const headers = head.split('\n');
    expect(headers.filter((h) => /^bcc:/i.test(h) || /^x-evil:/i.test(h))).toEqual([]);
    expect(headers).toContain('To: ops@example.org, dev@example.org');
    expect(headers).toContain('Auto-Submitted: auto-generated');
    expect(headers.find((h) => h.startsWith('Subject: '))).toBe('Subject: [kiln] example/main Bcc: victim@example.org 0123456789ab: 1 of 2 builds failed');
    expect(headers.find((h) => h.startsWith('Message-ID: '))).toMatch(/^Message-ID: <[A-Za-z0-9._-]+@host>$/);
    expect(body).toContain('  kiln-hello/amd64: failed');
    expect(body).toContain('The push in Kiln: http://kiln/p');
  });
});

describe('forgeCommitUrl', () => {
  const sha = 'a'.repeat(40);
  it('finds the commit page from each forge\'s API base', () => {
    expect(forgeCommitUrl({ kind: 'gitea', apiUrl: 'https://git.example/api/v1', repository: 'o/r' }, sha)).toBe(`https://git.example/o/r/commit/${sha}`);
    expect(forgeCommitUrl({ kind: 'forgejo', apiUrl: 'https://code.example/sub/api/v1/', repository: 'o/r' }, sha)).toBe(`https://code.example/sub/o/r/commit/${sha}`);
    expect(forgeCommitUrl({ kind: 'github', apiUrl: 'https://api.github.com', repository: 'o/r' }, sha)).toBe(`https://github.com/o/r/commit/${sha}`);
    expect(forgeCommitUrl({ kind: 'github', apiUrl: 'https://ghe.example/api/v3', repository: 'o/r' }, sha)).toBe(`https://ghe.example/o/r/commit/${sha}`);
    expect(forgeCommitUrl({ kind: 'gitlab', apiUrl: 'https://gitlab.example/api/v4', repository: 'g/s/p' }, sha)).toBe(`https://gitlab.example/g/s/p/-/commit/${sha}`);
  });

  it('gives none where the page cannot be told', () => {
    expect(forgeCommitUrl({ kind: 'gitlab', apiUrl: 'https://gitlab.example/api/v4', repository: '42' }, sha)).toBeUndefined();
    expect(forgeCommitUrl({ kind: 'gitea', apiUrl: 'https://git.example/weird', repository: 'o/r' }, sha)).toBeUndefined();
  });
});
