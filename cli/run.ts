import { KilnError } from '../domain/errors';
import { CliError, EXIT, usageError } from './cli-error';
import { newContext, type Command, type CommandContext } from './command';
import { gcCommand } from './commands/gc';
import { keysCommand } from './commands/keys';
import { loginCommand } from './commands/login';
import { logsCommand } from './commands/logs';
import { pushCommand } from './commands/push';
import { cancelCommand, retryCommand } from './commands/push-actions';
import { pushesCommand } from './commands/pushes';
import { rollbackCommand } from './commands/rollback';
import { statusCommand } from './commands/status';
import { tokensCommand } from './commands/tokens';
import { Output, type CliIo } from './io';

// `kiln <command> ...`: finds the command, runs it, and turns whatever went wrong into `kiln: CODE: message` on
// stderr (with --json, also {"error": {...}} on stdout) and a stable exit code.

const API_COMMANDS = [pushCommand, statusCommand, pushesCommand, logsCommand, retryCommand, cancelCommand, rollbackCommand, gcCommand, loginCommand];
const SERVER_COMMANDS = [keysCommand, tokensCommand];
const COMMANDS = new Map<string, Command>([...API_COMMANDS, ...SERVER_COMMANDS].map((c) => [c.name, c]));

const synopsis = (commands: Command[]) => commands.flatMap((c) => c.synopsis).map(([usage, what]) => `  ${usage}\n      ${what}`).join('\n');

export const USAGE = `usage: kiln <command> [options]            kiln <command> --help: one command's options

Through Kiln's REST API (reads need no token unless the server says so; actions do):
${synopsis(API_COMMANDS)}

On the Kiln server, with its kiln.yaml (--config FILE, else $KILN_CONFIG, else kiln.yaml of this checkout):
${synopsis(SERVER_COMMANDS)}

Every command takes --json: one JSON document on stdout (logs --follow: one per line), nothing else there.

API URL:   --url URL, else $KILN_API_URL, else "url" in the CLI config file, else api.publicUrl of the server's
           kiln.yaml when there is one, else http://127.0.0.1:8080
API token: $KILN_API_TOKEN, else the file $KILN_API_TOKEN_FILE names, else "token" in the CLI config file; never
           an argument. Get one: kiln tokens create <name> --save on the server, or kiln login.
CLI config file: $KILN_CLI_CONFIG, else $XDG_CONFIG_HOME/kiln/cli.yaml, else ~/.config/kiln/cli.yaml
           (YAML: url, token; mode 0600: a token in a file others may read is refused)

Exit codes:
  0  ok
  1  the push, build or rollback failed (or was cancelled or superseded)
  2  bad usage, or input the API rejected (400, 404, 409)
  3  Kiln unreachable (network error, 502, 503)
  4  not authorized (401, 403: missing or bad token)`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const out = new Output(io, argv.includes('--json'));
  const ctx = newContext(io, out);
  let command: Command | undefined;
  try {
    if (name === undefined) {
      io.stderr.write(`${USAGE}\n`);
      return EXIT.usage;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const about = rest[0] === undefined ? undefined : COMMANDS.get(rest[0]);
      io.stdout.write(`${about?.help ?? USAGE}\n`);
      return EXIT.ok;
    }
    command = COMMANDS.get(name);
    if (!command) throw usageError(`unknown command "${name}" (commands: ${[...COMMANDS.keys()].join(', ')})`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(`${command.help}\n`);
      return EXIT.ok;
    }
    return await command.run(rest, ctx);
  } catch (err) {
    return report(err, ctx, command);
  }
}

function report(thrown: unknown, ctx: CommandContext, command: Command | undefined): number {
  const err = asCliError(thrown);
  const lines = [`kiln: ${err.code}: ${err.message}`];
  if (err.code === 'USAGE') lines.push('', command?.help ?? USAGE);
  if (err.exitCode === EXIT.unauthorized) {
    if (ctx.access?.tokenNote) lines.push(`kiln: ${ctx.access.tokenNote}`);
    lines.push(ctx.access?.token === undefined
      ? 'kiln: no API token was sent. Make one on the Kiln server: kiln tokens create <name> --save (or kiln login with it; or set KILN_API_TOKEN)'
      : 'kiln: the API token was refused (mistyped, or revoked). Make a new one on the Kiln server: kiln tokens create <name> --save (or kiln login; or set KILN_API_TOKEN)');
  }
  ctx.io.stderr.write(`${lines.join('\n')}\n`);
  if (ctx.out.json) ctx.out.document({ error: { code: err.code, message: err.message } });
  return err.exitCode;
}

/** Whatever was thrown, as a code, a message and an exit code. */
function asCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) return usageError(err.message);
  // The server-side commands (keys, tokens) throw Kiln's own errors: a bad name, an unknown token, a broken config.
  if (err instanceof KilnError) return new CliError(err.code, err.message, err.code === 'TEMPORAL_UNAVAILABLE' ? EXIT.unreachable : EXIT.usage);
  return new CliError('INTERNAL', err instanceof Error ? err.message : String(err), EXIT.failed);
}
