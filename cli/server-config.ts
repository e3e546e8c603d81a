import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, type KilnConfig } from '../domain/config';
import { resolveApi } from '../domain/config/resolve';
import type { ConfigInput } from '../domain/config/types';
import { PROJECT_ROOT } from '../domain/project-paths';
import { CliError } from './cli-error';

// The server's kiln.yaml, where the CLI runs beside Kiln: `--config`, else $KILN_CONFIG, else kiln.yaml at the project
// root. The admin commands (keys, tokens) need it; the API commands only take the API's URL from it, when it is there.

export interface ServerConfigFile {
  file: string;
  /** Named by --config or $KILN_CONFIG: it must exist. */
  explicit: boolean;
}

export function serverConfigFile(flag: string | undefined, env: Record<string, string | undefined>): ServerConfigFile {
  const named = flag ?? (env.KILN_CONFIG || undefined);
  return named !== undefined ? { file: path.resolve(named), explicit: true } : { file: path.join(PROJECT_ROOT, 'kiln.yaml'), explicit: false };
}

/** The whole configuration (admin commands), secrets and all. */
export function loadServerConfig(flag: string | undefined, env: Record<string, string | undefined>): KilnConfig {
  return loadConfig(serverConfigFile(flag, env).file, env);
}

/**
 * The API's URL as the server's configuration says (`api.publicUrl`, else its host and port), read without the rest
 * of the file (its secrets need not be readable here); undefined when there is no configuration file to read.
 */
export function serverApiUrl(flag: string | undefined, env: Record<string, string | undefined>): { url: string; from: string } | undefined {
  const { file, explicit } = serverConfigFile(flag, env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError('CONFIG_NOT_FOUND', `the configuration file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let api: ConfigInput['api'];
  try {
    api = (parse(text) as { api?: ConfigInput['api'] } | null)?.api;
  } catch (err) {
    throw new CliError('CONFIG_INVALID', `${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (api !== undefined && (api === null || typeof api !== 'object')) throw new CliError('CONFIG_INVALID', `${file}: api must be a mapping`);
  return { url: resolveApi(api).publicUrl, from: file };
}
