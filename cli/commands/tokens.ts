import { parseArgs } from 'node:util';
import { createToken, kindOf, readTokens, revokeToken, tokenFile } from '../../api/auth/token-file';
import { checkApiUrl, cliConfigFile, writeCliConfig } from '../cli-config';
import { COMMON_OPTIONS, positionals, type Command } from '../command';
import { EXIT, usageError } from '../cli-error';
import { loadServerConfig } from '../server-config';

// API tokens in <dataDir>/api-tokens.json, on the server's disk: no API and no token needed (they make the tokens).

export const tokensCommand: Command = {
  name: 'tokens',
  synopsis: [
    ['tokens create <name> [--save]', 'make an API token (printed once); --save: this CLI uses it from now on'],
    ['tokens create --worker <name>', 'make a build worker\'s token (blob exchange only; printed once)'],
    ['tokens list', 'API tokens: names, kinds and when they were made'],
    ['tokens revoke <name>', 'the token stops working at once'],
  ],
  help: `usage: kiln tokens create <name> [--save [--url URL]] [--config FILE] [--json]
       kiln tokens create --worker <name> [--config FILE] [--json]
       kiln tokens list [--config FILE] [--json]
       kiln tokens revoke <name> [--config FILE] [--json]

On the Kiln server: API tokens, kept as SHA-256 hashes in <dataDir>/api-tokens.json (0600); the API sees a change
at once. create prints the new token once, alone on stdout (TOKEN=$(kiln tokens create ci)).

  --worker        a build worker's token: it exchanges blobs (/api/blobs) and can do nothing else; an operator's
                  token does not work there. Keep it in a file (0600) on the worker, never on a command line
  --save          also save the token and the API's URL in the CLI config file (0600), so that kiln push, retry,
                  cancel and rollback work from this account at once
  --url URL       the URL --save saves (default: $KILN_API_URL, else the configuration's api.publicUrl)
  --config FILE   the server's configuration (default: $KILN_CONFIG, else kiln.yaml of this checkout)
  --json          create: {name, kind, token, createdAt}; list: {tokens: [{name, kind, createdAt}]}; revoke: {name}`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({
      args: argv, allowPositionals: true,
      options: { ...COMMON_OPTIONS, config: { type: 'string' }, save: { type: 'boolean' }, url: { type: 'string' }, worker: { type: 'boolean' } },
    });
    const [sub, name] = positionals(args, ['subcommand', 'name'], 1);
    const { out, io } = ctx;
    if (sub !== 'create' && (values.save || values.url !== undefined || values.worker)) throw usageError('--save, --url and --worker go with tokens create');
    if (values.worker && (values.save || values.url !== undefined)) throw usageError('--save keeps an operator token for this CLI: a worker token is not one (no --save or --url with --worker)');
    const config = loadServerConfig(values.config, io.env);
    const file = tokenFile(config.dataDir);

    if (sub === 'create') {
      if (!name) throw usageError('tokens create needs a name, e.g. kiln tokens create ci');
      const url = values.url !== undefined ? checkApiUrl(values.url, '--url')
        : io.env.KILN_API_URL ? checkApiUrl(io.env.KILN_API_URL, '$KILN_API_URL') : config.api.publicUrl;
      const kind = values.worker ? 'worker' : 'operator';
      const { token, stored } = await createToken(file, name, new Date(), kind);
      if (out.json) out.document({ name, kind, token, createdAt: stored.createdAt });
      else {
        // The only time the token is shown: stdout alone, so `$(kiln tokens create ci)` captures it.
        out.note(kind === 'worker'
          ? `created build worker token "${name}" (blob exchange only); it is shown once: keep it in a file (0600) on the worker, never on a command line:`
          : `created API token "${name}"; it is shown once, store it now (send it as "Authorization: Bearer <token>"):`);
        out.line(token);
      }
      if (values.save) {
        const saved = cliConfigFile(io.env);
        writeCliConfig(saved, { url, token });
        out.note(`saved it with the API URL ${url} in ${saved}: kiln commands use it from now on`);
      }
      return EXIT.ok;
    }
    if (sub === 'list') {
      if (name) throw usageError('tokens list takes no name');
      const tokens = (await readTokens(file)).map((t) => ({ name: t.name, kind: kindOf(t), createdAt: t.createdAt }));
      if (out.json) out.document({ tokens });
      else if (tokens.length === 0) out.line('no API tokens (kiln tokens create <name>)');
      else for (const t of tokens) out.line(`${t.name.padEnd(24)} ${t.kind.padEnd(8)} created ${t.createdAt}`);
      return EXIT.ok;
    }
    if (sub === 'revoke') {
      if (!name) throw usageError('tokens revoke needs a name');
      await revokeToken(file, name);
      if (out.json) out.document({ name });
      else out.line(`revoked API token "${name}"`);
      return EXIT.ok;
    }
    throw usageError('tokens takes one subcommand: create <name>, list or revoke <name>');
  },
};
