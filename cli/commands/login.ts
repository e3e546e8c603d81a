import { parseArgs } from 'node:util';
import { ApiClient } from '../api-client';
import { cliConfigFile, readCliConfig, resolveApiUrl, writeCliConfig } from '../cli-config';
import { COMMON_OPTIONS, positionals, type Command } from '../command';
import { EXIT, usageError } from '../cli-error';

export const loginCommand: Command = {
  name: 'login',
  synopsis: [['login [--url URL]', 'check an API token (from stdin or $KILN_API_TOKEN) and save it for the CLI']],
  help: `usage: kiln login [--url URL] [--json]        (the token on stdin, or in $KILN_API_TOKEN)

Check an API token against the API (GET /api/session) and save it with the API's URL in the CLI config file
($KILN_CLI_CONFIG, else $XDG_CONFIG_HOME/kiln/cli.yaml, else ~/.config/kiln/cli.yaml; written 0600), so later
commands use it. The token is read from standard input (or $KILN_API_TOKEN), never from an argument: make one on
the server with kiln tokens create <name> (there, kiln tokens create <name> --save does both at once).

  --url URL   the API (default: $KILN_API_URL, else the saved one, else the server's kiln.yaml, else
              http://127.0.0.1:8080)`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, url: { type: 'string' }, config: { type: 'string' } } });
    positionals(args, []);
    const { io, out } = ctx;
    let token = io.env.KILN_API_TOKEN?.trim();
    if (!token) {
      if (!io.stdinText) throw usageError('kiln login reads the token from standard input (or $KILN_API_TOKEN)');
      token = (await io.stdinText('API token (kiln tokens create <name> prints one): ')).trim();
    }
    if (!token) throw usageError('no token on standard input: make one on the server with kiln tokens create <name>');
    if (/\s/.test(token)) throw usageError('a token is one word without spaces');
    const { url, from } = resolveApiUrl(io.env, values);
    const { name } = await new ApiClient(url, token, { urlFrom: from }).get<{ name: string }>('/api/session');
    const file = cliConfigFile(io.env);
    let before: { token?: string };
    try {
      before = readCliConfig(file);
    } catch {
      before = {}; // a broken file is what login replaces
    }
    writeCliConfig(file, { url, token });
    if (out.json) out.document({ url, name, config: file });
    else {
      out.line(`logged in to ${url} with the token "${name}"; saved in ${file}`);
      if (before.token !== undefined && before.token !== token) out.note('kiln: it replaces the token saved there before');
    }
    return EXIT.ok;
  },
};
