import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig, parseConfig } from '../../../domain/config';
import { configError, expectProblem, minimal, tempDir, writeFile } from './helpers';

const SECRET = 's3cr3t-value-that-must-not-leak';

function withWebhook(webhook: Record<string, string>) {
  const config = minimal();
  config.trees[0].webhook = webhook;
  return config;
}

describe('webhook secrets', () => {
  it('reads a secret file relative to the config file, without its trailing newline', () => {
    const dir = tempDir();
    writeFile(dir, 'secrets/example', `${SECRET}\n`);
    const file = writeFile(dir, 'kiln.yaml', stringify(withWebhook({ secretFile: 'secrets/example' })));
    const webhook = loadConfig(file, {}).trees[0].webhook;
    expect(webhook?.secretFile).toBe(path.join(dir, 'secrets', 'example'));
    expect(webhook?.secret.reveal().toString()).toBe(SECRET);
  });

  it('keeps CRLF-ended files clean too', () => {
    const dir = tempDir();
    writeFile(dir, 'secret', `${SECRET}\r\n`);
    const config = parseConfig(stringify(withWebhook({ secretFile: 'secret' })), dir, {});
    expect(config.trees[0].webhook?.secret.reveal().toString()).toBe(SECRET);
  });

  it('reads a secret from the environment passed in', () => {
    const config = parseConfig(stringify(withWebhook({ secretEnv: 'KILN_HOOK' })), '/srv', { KILN_HOOK: SECRET });
    expect(config.trees[0].webhook).toMatchObject({ secretEnv: 'KILN_HOOK' });
    expect(config.trees[0].webhook?.secret.reveal().toString()).toBe(SECRET);
  });

  it('never prints the secret: JSON, util.inspect, String', () => {
    const config = parseConfig(stringify(withWebhook({ secretEnv: 'KILN_HOOK' })), '/srv', { KILN_HOOK: SECRET });
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(JSON.stringify(config)).toContain('"secret":"[secret]"');
    expect(util.inspect(config, { depth: null, showHidden: true })).not.toContain(SECRET);
    expect(`${String(config.trees[0].webhook?.secret)}`).toBe('[secret]');
  });

  it('a tree without webhook has no webhook (it will accept none)', () => {
    expect(parseConfig(stringify(minimal()), '/srv', {}).trees[0].webhook).toBeUndefined();
  });

  it('a missing secret file is SECRET_UNREADABLE naming the field and the path', () => {
    const dir = tempDir();
    const err = configError(stringify(withWebhook({ secretFile: 'nope' })).replace('nope', path.join(dir, 'nope')), 'SECRET_UNREADABLE');
    expectProblem(err, 'trees[0].webhook.secretFile', /cannot read the secret file .*nope \(ENOENT\)/);
  });

  it('an empty secret file is SECRET_UNREADABLE', () => {
    const dir = tempDir();
    writeFile(dir, 'empty', '\n');
    const err = configError(stringify(withWebhook({ secretFile: path.join(dir, 'empty') })), 'SECRET_UNREADABLE');
    expectProblem(err, 'trees[0].webhook.secretFile', /is empty/);
  });

  it('an unset or empty environment variable is SECRET_UNREADABLE naming the field', () => {
    const unset = configError(stringify(withWebhook({ secretEnv: 'KILN_HOOK' })), 'SECRET_UNREADABLE', {});
    expectProblem(unset, 'trees[0].webhook.secretEnv', 'the environment variable KILN_HOOK is not set');
    const empty = configError(stringify(withWebhook({ secretEnv: 'KILN_HOOK' })), 'SECRET_UNREADABLE', { KILN_HOOK: '' });
    expectProblem(empty, 'trees[0].webhook.secretEnv', 'the environment variable KILN_HOOK is empty');
  });

  it('reports every unreadable secret, and never a readable one', () => {
    const config = minimal();
    config.trees = [
      { ...config.trees[0], name: 'a', webhook: { secretEnv: 'GOOD' } },
      { ...config.trees[0], name: 'b', webhook: { secretEnv: 'MISSING_B' } },
      { ...config.trees[0], name: 'c', webhook: { secretFile: '/nonexistent/kiln/secret' } },
    ];
    const err = configError(config, 'SECRET_UNREADABLE', { GOOD: SECRET });
    expectProblem(err, 'trees[1].webhook.secretEnv', /MISSING_B is not set/);
    expectProblem(err, 'trees[2].webhook.secretFile', /ENOENT/);
    expect(err.message).not.toContain(SECRET);
    expect(JSON.stringify(err.details)).not.toContain(SECRET);
  });

  it('a secret file that is a directory is SECRET_UNREADABLE', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'secret-dir'));
    const err = configError(stringify(withWebhook({ secretFile: path.join(dir, 'secret-dir') })), 'SECRET_UNREADABLE');
    expectProblem(err, 'trees[0].webhook.secretFile', /EISDIR/);
  });
});
