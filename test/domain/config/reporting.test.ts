import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../domain/config';
import { BASE_DIR, configError, expectProblem, minimal, tempDir, writeFile } from './helpers';

// trees[].forge (commit statuses), trees[].notify (HTTP and e-mail notifications), mail (the sendmail to use).

function withTree(extra: Record<string, unknown>, top: Record<string, unknown> = {}): Record<string, unknown> {
  const config = minimal();
  return { ...config, ...top, trees: [{ ...config.trees[0], ...extra }] };
}

describe('trees[].forge', () => {
  it('reads the token from the environment and defaults the context to kiln/<tree>', () => {
    const config = parseConfig(stringify(withTree({ forge: { kind: 'gitea', apiUrl: 'https://git.example/api/v1/', repository: 'distro/ports', tokenEnv: 'FORGE_TOKEN' } })), BASE_DIR, { FORGE_TOKEN: 't0ken' });
    const forge = config.trees[0].forge!;
    expect(forge).toMatchObject({ kind: 'gitea', apiUrl: 'https://git.example/api/v1', repository: 'distro/ports', context: 'kiln/example' });
    expect(forge.token.reveal().toString()).toBe('t0ken');
    // The token never prints itself.
    expect(JSON.stringify(forge)).not.toContain('t0ken');
  });

  it('reads the token from a file, without its final newline', () => {
    const dir = tempDir();
    const file = writeFile(dir, 'token', 'abc\n');
    const config = parseConfig(stringify(withTree({ forge: { kind: 'github', apiUrl: 'https://api.github.com', repository: 'o/r', tokenFile: file, context: 'ci/kiln' } })), BASE_DIR, {});
    expect(config.trees[0].forge!.token.reveal().toString()).toBe('abc');
    expect(config.trees[0].forge!.context).toBe('ci/kiln');
  });

  it('is absent unless configured', () => {
    expect(parseConfig(stringify(minimal()), BASE_DIR, {}).trees[0].forge).toBeUndefined();
  });

  it('needs exactly one token source', () => {
    const err = configError(withTree({ forge: { kind: 'gitea', apiUrl: 'https://g/api/v1', repository: 'a/b' } }));
    expectProblem(err, 'trees[0].forge', /exactly one of tokenFile, tokenEnv/);
  });

  it('says which variable is missing', () => {
    const err = configError(withTree({ forge: { kind: 'gitea', apiUrl: 'https://g/api/v1', repository: 'a/b', tokenEnv: 'NOPE' } }), 'SECRET_UNREADABLE');
    expectProblem(err, 'trees[0].forge.tokenEnv', 'the environment variable NOPE is not set');
  });

  it('refuses credentials in the API URL, an unknown kind and a repository its API cannot name', () => {
    const env = { T: 'x' };
    expectProblem(configError(withTree({ forge: { kind: 'gitea', apiUrl: 'https://u:p@g/api/v1', repository: 'a/b', tokenEnv: 'T' } }), 'CONFIG_INVALID', env),
      'trees[0].forge.apiUrl', /must not contain a user or password/);
    expect(configError(withTree({ forge: { kind: 'bitbucket', apiUrl: 'https://g', repository: 'a/b', tokenEnv: 'T' } }), 'CONFIG_INVALID', env).message).toMatch(/trees\[0\]\.forge\.kind/);
    expectProblem(configError(withTree({ forge: { kind: 'github', apiUrl: 'https://g', repository: 'just-a-name', tokenEnv: 'T' } }), 'CONFIG_INVALID', env),
      'trees[0].forge.repository', /owner\/name/);
    expectProblem(configError(withTree({ forge: { kind: 'gitea', apiUrl: 'https://g', repository: 'a/b/c', tokenEnv: 'T' } }), 'CONFIG_INVALID', env),
      'trees[0].forge.repository', /owner\/name/);
  });

  it('takes a GitLab project by id or by a path with subgroups', () => {
    for (const repository of ['42', 'group/sub/project']) {
      const config = parseConfig(stringify(withTree({ forge: { kind: 'gitlab', apiUrl: 'https://gitlab.example/api/v4', repository, tokenEnv: 'T' } })), BASE_DIR, { T: 'x' });
      expect(config.trees[0].forge!.repository).toBe(repository);
    }
  });
});

describe('trees[].notify', () => {
  it('defaults to nobody, and a target to every event', () => {
    expect(parseConfig(stringify(minimal()), BASE_DIR, {}).trees[0].notify).toEqual([]);
    const config = parseConfig(stringify(withTree({ notify: [{ url: 'https://hooks.example/kiln' }, { email: ['ops@example.org'], events: ['failed'] }] })), BASE_DIR, {});
    expect(config.trees[0].notify).toEqual([
      { kind: 'http', url: 'https://hooks.example/kiln', events: ['failed', 'published', 'cancelled', 'superseded'] },
      { kind: 'email', to: ['ops@example.org'], events: ['failed'] },
    ]);
  });

  it('signs with a secret from the environment', () => {
    const config = parseConfig(stringify(withTree({ notify: [{ url: 'https://h/k', secretEnv: 'S' }] })), BASE_DIR, { S: 'sh' });
    const target = config.trees[0].notify[0];
    expect(target.kind === 'http' && target.secret?.reveal().toString()).toBe('sh');
  });

  it('needs exactly one of url, email', () => {
    expectProblem(configError(withTree({ notify: [{ events: ['failed'] }] })), 'trees[0].notify[0]', 'must give exactly one of url, email');
    expectProblem(configError(withTree({ notify: [{ url: 'https://h', email: ['a@b'] }] })), 'trees[0].notify[0]', 'must give exactly one of url, email');
  });

  it('refuses a secret on an e-mail target, an unknown event, and addresses that are not plain', () => {
    expectProblem(configError(withTree({ notify: [{ email: ['a@b'], secretEnv: 'S' }] }), 'CONFIG_INVALID', { S: 'x' }), 'trees[0].notify[0].secretEnv', /e-mail is not signed/);
    expect(configError(withTree({ notify: [{ url: 'https://h', events: ['exploded'] }] })).message).toMatch(/trees\[0\]\.notify\[0\]\.events\[0\]/);
    for (const address of ['Ops <ops@example.org>', 'a@b,c@d', '-oQ@evil', 'a@b\nBcc: x@y', 'no-at-sign']) {
      expectProblem(configError(withTree({ notify: [{ email: [address] }] })), 'trees[0].notify[0].email[0]', 'must be a plain e-mail address such as ops@example.org');
    }
  });

  it('refuses credentials in the URL', () => {
    expectProblem(configError(withTree({ notify: [{ url: 'https://u:p@h/x' }] })), 'trees[0].notify[0].url', /must not contain a user or password/);
  });
});

describe('mail', () => {
  it('defaults to /usr/sbin/sendmail and kiln@<host>', () => {
    const { mail } = parseConfig(stringify(minimal()), BASE_DIR, {});
    expect(mail.sendmail).toBe('/usr/sbin/sendmail');
    expect(mail.from).toMatch(/^kiln@/);
  });

  it('takes an absolute sendmail and a plain sender', () => {
    const { mail } = parseConfig(stringify({ ...minimal(), mail: { sendmail: '/usr/bin/msmtp', from: 'builds@example.org' } }), BASE_DIR, {});
    expect(mail).toEqual({ sendmail: '/usr/bin/msmtp', from: 'builds@example.org' });
    expectProblem(configError({ ...minimal(), mail: { sendmail: 'msmtp' } }), 'mail.sendmail', 'must be an absolute path, e.g. /usr/sbin/sendmail');
  });
});

describe('trees[].publish.targets[].s3', () => {
  const s3Tree = (s3: Record<string, unknown>, extra: Record<string, unknown> = {}) => withTree({ publish: { targets: [{ s3, ...extra }] } });

  it('normalizes the prefix, defaults the region and path-style URLs for a custom endpoint, and reads both keys', () => {
    const config = parseConfig(stringify(s3Tree({ bucket: 'kiln-repo', prefix: 'debian/stable', endpoint: 'http://127.0.0.1:7070/', accessKeyIdEnv: 'ID', secretAccessKeyEnv: 'KEY' })), BASE_DIR, { ID: 'AKIA', KEY: 'sekrit' });
    const target = config.trees[0].publish.targets[0];
    expect(target).toMatchObject({ kind: 's3', bucket: 'kiln-repo', prefix: 'debian/stable/', endpoint: 'http://127.0.0.1:7070', region: 'us-east-1', forcePathStyle: true, branches: ['main'] });
    expect(target.kind === 's3' && target.credentials?.secretAccessKey.reveal().toString()).toBe('sekrit');
    expect(JSON.stringify(target)).not.toContain('sekrit');
  });

  it('leaves credentials to the AWS SDK when none are given, and AWS\'s virtual-host URLs without an endpoint', () => {
    const target = parseConfig(stringify(s3Tree({ bucket: 'kiln-repo', region: 'eu-west-1' })), BASE_DIR, {}).trees[0].publish.targets[0];
    expect(target).toEqual({ kind: 's3', bucket: 'kiln-repo', prefix: '', region: 'eu-west-1', forcePathStyle: false, branches: ['main'] });
  });

  it('refuses half a key pair, a bad bucket or prefix, signing secrets, and more than one branch', () => {
    expectProblem(configError(s3Tree({ bucket: 'kiln-repo', accessKeyIdEnv: 'ID' }), 'CONFIG_INVALID', { ID: 'x' }), 'trees[0].publish.targets[0].s3', /go together/);
    expect(configError(s3Tree({ bucket: 'Kiln_Repo' })).message).toMatch(/trees\[0\]\.publish\.targets\[0\]\.s3\.bucket: must be an S3 bucket name/);
    for (const prefix of ['/abs', 'a/../b', './x', 'a b']) {
      expect(configError(s3Tree({ bucket: 'kiln-repo', prefix })).message).toMatch(/s3\.prefix: must be a key prefix/);
    }
    expectProblem(configError(s3Tree({ bucket: 'kiln-repo' }, { secretEnv: 'S' }), 'CONFIG_INVALID', { S: 'x' }), 'trees[0].publish.targets[0].secretEnv', /belongs to a trigger target/);
    const two = { ...minimal(), trees: [{ ...minimal().trees[0], branches: ['main', 'dev'], publish: { targets: [{ s3: { bucket: 'kiln-repo' } }] } }] };
    expectProblem(configError(two), 'trees[0].publish.targets[0]', /an s3 target holds one branch's repository/);
    expectProblem(configError(withTree({ publish: { targets: [{ s3: { bucket: 'kiln-repo' }, rsync: '/srv/x' }] } })), 'trees[0].publish.targets[0]', 'must give exactly one of rsync, trigger, s3');
  });
});
