import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, positionals, type Command } from '../command';
import { EXIT, usageError } from '../cli-error';
import { loadServerConfig } from '../server-config';
import type { KilnConfig } from '../../domain/config';
import type { CommandContext } from '../command';

export const keysCommand: Command = {
  name: 'keys',
  synopsis: [
    ['keys generate', 'make the signer\'s keys (never replaces one)'],
    ['keys rotate [--finish]', 'begin a key rotation: new keys sign beside the old ones, then replace them'],
  ],
  help: `usage: kiln keys generate [--config FILE] [--json]
       kiln keys rotate [--finish] [--config FILE] [--json]

On the signer's host.

generate: make the minisign key (encrypted, its password in a 0600 file) and the OpenPGP key in the configuration's
signer.keysDir (the password files in signer.passwordDir, default the keys dir). An existing key is kept, never
replaced.

rotate: make a new minisign and OpenPGP key (in <keysDir>/next) and begin the transition to them. For
signer.rotation.overlapDays (default 30) the signer signs with both OpenPGP keys (InRelease and Release.gpg carry
both signatures; the published kiln-archive-keyring.gpg holds both keys) and with the new minisign key (its trusted
comment names the key), so clients that trust only the old key and clients that trust only the new one both keep
updating: hand the new keyring to your users during that time. Then the signer retires the old keys by itself at its
next signature: they move to <keysDir>/retired/<time>/.
  --finish        retire the old keys now, without waiting for the overlap to end

  --config FILE   the server's configuration (default: $KILN_CONFIG, else kiln.yaml of this checkout)
  --json          what was done and where, as JSON`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({
      args: argv, allowPositionals: true, options: { ...COMMON_OPTIONS, config: { type: 'string' }, finish: { type: 'boolean' } },
    });
    const [sub] = positionals(args, ['subcommand']);
    if (sub !== 'generate' && sub !== 'rotate') throw usageError('keys takes one subcommand: generate or rotate');
    if (values.finish && sub !== 'rotate') throw usageError('--finish goes with keys rotate');
    const config = loadServerConfig(values.config, ctx.io.env);
    return sub === 'generate' ? generate(config, ctx) : rotate(config, ctx, values.finish === true);
  },
};

async function generate(config: KilnConfig, ctx: CommandContext): Promise<number> {
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
}

async function rotate(config: KilnConfig, ctx: CommandContext, finish: boolean): Promise<number> {
  const { keysDir, passwordDir, rotation } = config.signer;
  const { finishRotation, retiresAt, rotationPaths, startRotation } = await import('../../activities/signer/key-rotation');
  const { generateSignerKeys, loadSignerKeys } = await import('../../activities/signer/signer-keys');
  const { out } = ctx;
  if (finish) {
    const retired = await finishRotation(keysDir, passwordDir);
    if (out.json) out.document({ keysDir, finished: retired !== undefined, ...(retired ? { retired } : {}) });
    else if (retired) out.line(`the old keys retired to ${retired}; the new ones sign alone (the signer picks this up at its next signature)`);
    else out.line('no key rotation is under way');
    return EXIT.ok;
  }
  // The current keys must be whole before a rotation adds to them.
  await loadSignerKeys(keysDir, passwordDir);
  const record = await startRotation(keysDir, passwordDir, async (dir, passwords) => {
    await generateSignerKeys(dir, { passwordDir: passwords });
    const made = await loadSignerKeys(dir, passwords);
    return { minisignKeyId: made.minisign.keyIdHex, openpgpFingerprint: made.openpgp.fingerprint };
  });
  const next = rotationPaths(keysDir, passwordDir);
  const ends = new Date(retiresAt(record, rotation.overlapDays)).toISOString();
  if (out.json) {
    out.document({ keysDir, next: next.keysDir, ...record, overlapDays: rotation.overlapDays, retiresAt: ends });
    return EXIT.ok;
  }
  out.line(`key rotation begun ${record.startedAt}; the old keys retire after ${ends} (signer.rotation.overlapDays: ${rotation.overlapDays})`);
  out.line(`new minisign key: ${record.minisignKeyId} (${next.keysDir}/minisign.pub)`);
  out.line(`new OpenPGP key: ${record.openpgpFingerprint} (${next.keysDir}/kiln-archive-keyring.gpg)`);
  out.line('from the next publish on, each repository\'s kiln-archive-keyring.gpg holds both keys: give it (or the new key) to your users before the old key retires');
  return EXIT.ok;
}
