import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, positionals, type Command } from '../command';
import { EXIT, usageError } from '../cli-error';
import { loadServerConfig } from '../server-config';

export const keysCommand: Command = {
  name: 'keys',
  synopsis: [['keys generate', 'make the signer\'s keys (never replaces one)']],
  help: `usage: kiln keys generate [--config FILE] [--json]

On the signer's host: make the minisign key (encrypted, its password in a 0600 file) and the OpenPGP key in the
configuration's signer.keysDir (the password files in signer.passwordDir, default the keys dir). An existing key
is kept, never replaced.

  --config FILE   the server's configuration (default: $KILN_CONFIG, else kiln.yaml of this checkout)
  --json          what was made and where, as JSON`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, config: { type: 'string' } } });
    const [sub] = positionals(args, ['subcommand']);
    if (sub !== 'generate') throw usageError('keys takes one subcommand: generate');
    const config = loadServerConfig(values.config, ctx.io.env);
    // Loaded here only: the API commands do not need gpg and the signer's code.
    const { generateSignerKeys } = await import('../../activities/signer/signer-keys');
    const keys = await generateSignerKeys(config.signer.keysDir, { passwordDir: config.signer.passwordDir });
    const { out } = ctx;
    if (out.json) {
      out.document({ keysDir: config.signer.keysDir, passwordDir: config.signer.passwordDir, ...keys });
      return EXIT.ok;
    }
    const state = (created: boolean) => (created ? 'created' : 'already there, kept');
    out.line(keys.created ? `created signing keys in ${config.signer.keysDir}` : `signing keys already exist in ${config.signer.keysDir}; kept them`);
    if (config.signer.passwordDir !== config.signer.keysDir) out.line(`password files in ${config.signer.passwordDir}`);
    out.line(`minisign key: ${state(keys.minisign.created)}`);
    out.line(`  public key: ${keys.minisign.publicKeyFile}`);
    out.line(`OpenPGP key: ${state(keys.openpgp.created)}`);
    out.line(`  fingerprint: ${keys.openpgp.fingerprint}`);
    out.line(`  public keyring (apt signed-by=): ${keys.openpgp.keyringFile}`);
    out.line(`  public key, armored: ${keys.openpgp.armoredKeyringFile}`);
    return EXIT.ok;
  },
};
