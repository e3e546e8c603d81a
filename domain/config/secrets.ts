import * as fs from 'node:fs';
import * as path from 'node:path';
import { Secret } from '../secret';
import type { FieldPath, LocatedProblem } from './problems';
import type { WebhookConfig } from './types';

// Webhook secrets are read once, at load time: a missing file fails the start, not the first webhook.
// Problems name the field and where the secret was looked for, never the value.

export type Env = Readonly<Record<string, string | undefined>>;

export function readWebhookSecret(
  input: { secretFile?: string; secretEnv?: string },
  at: FieldPath,
  baseDir: string,
  env: Env,
  /** The names the fields have in the file (a forge's `tokenFile`/`tokenEnv`), for the problem's path. */
  fields: { file: string; env: string } = { file: 'secretFile', env: 'secretEnv' },
): WebhookConfig | LocatedProblem {
  if (input.secretFile !== undefined) {
    const file = path.resolve(baseDir, input.secretFile);
    const fileAt = [...at, fields.file];
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return { at: fileAt, message: `cannot read the secret file ${file} (${code})` };
    }
    // Editors and `echo` add a final newline that is not part of the secret.
    const value = text.replace(/[\r\n]+$/, '');
    if (value === '') return { at: fileAt, message: `the secret file ${file} is empty` };
    return { secretFile: file, secret: new Secret(value) };
  }
  const name = input.secretEnv ?? '';
  const value = env[name];
  if (value === undefined || value === '') {
    return { at: [...at, fields.env], message: `the environment variable ${name} is ${value === undefined ? 'not set' : 'empty'}` };
  }
  return { secretEnv: name, secret: new Secret(value) };
}
