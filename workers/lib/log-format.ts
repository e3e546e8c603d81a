import { KilnError } from '../../domain/errors';

// How `npm start` shows its processes' lines: `text` (rendered, one line per event: workers/lib/log-render.ts) for a
// person at a terminal, `json` (each line as the process logged it, behind its name) for a pipe, a file or a log
// shipper. The process log files in data/logs/ get every line either way.

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogOutput {
  format: LogFormat;
  /** ANSI colours: text on a terminal, unless NO_COLOR is set (https://no-color.org). */
  color: boolean;
}

/** `--log-format` wins over KILN_LOG_FORMAT; neither: text on a terminal, json otherwise. */
export function logOutput(flag: string | undefined, env: NodeJS.ProcessEnv, isTTY: boolean): LogOutput {
  const chosen = flag ?? (env.KILN_LOG_FORMAT || undefined);
  if (chosen !== undefined && !(LOG_FORMATS as readonly string[]).includes(chosen)) {
    throw new KilnError('CONFIG_INVALID', `--log-format must be ${LOG_FORMATS.join(' or ')}, got ${chosen}`);
  }
  const format = (chosen as LogFormat | undefined) ?? (isTTY ? 'text' : 'json');
  return { format, color: format === 'text' && isTTY && !env.NO_COLOR };
}
