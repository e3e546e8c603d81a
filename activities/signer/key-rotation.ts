import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../domain/atomic-file';
import { KilnError } from '../../domain/errors';
import { KeyLock } from '../builder/key-lock';
import { stopAgent } from '../openpgp/gpg';
import { OPENPGP_FILES } from './openpgp-key';
import { readSecretFile, secretExists } from './secret-files';

// A rotation of the signer's keys. `kiln keys rotate` makes a complete second key set in `<keysDir>/next` (its
// password files in `<passwordDir>/next`) and records when it began in `<keysDir>/rotation.json`. From then on the
// signer signs with both OpenPGP keys and publishes both in the keyring, and signs minisign with the new key
// (its trusted comment names the key); once `signer.rotation.overlapDays` have passed, the next signature retires the
// old keys: they move to `<keysDir>/retired/<time>/` (kept, never deleted) and the new ones take their place.

export const ROTATION_FILE = 'rotation.json';
export const NEXT_DIR = 'next';
export const RETIRED_DIR = 'retired';

/** The key files of one key set, relative to the keys dir (or to the password dir, for the passwords). */
const KEY_SET = ['minisign.key', 'minisign.pub', OPENPGP_FILES.home, OPENPGP_FILES.keyring, OPENPGP_FILES.armoredKeyring];
const PASSWORDS = ['minisign.password', OPENPGP_FILES.password];

export interface RotationRecord {
  /** ISO 8601: when `kiln keys rotate` made the new keys. */
  startedAt: string;
  /** The new keys, as their public halves name them. */
  minisignKeyId: string;
  openpgpFingerprint: string;
}

export function rotationPaths(keysDir: string, passwordDir: string = keysDir): { file: string; keysDir: string; passwordDir: string } {
  return { file: path.join(keysDir, ROTATION_FILE), keysDir: path.join(keysDir, NEXT_DIR), passwordDir: path.join(passwordDir, NEXT_DIR) };
}

/** The rotation under way, if any; SIGNER_STATE_INVALID for a file the signer did not write. */
export function readRotation(keysDir: string): RotationRecord | undefined {
  const file = path.join(keysDir, ROTATION_FILE);
  if (!secretExists(file)) return undefined;
  let record: unknown;
  try {
    record = JSON.parse(readSecretFile(file).toString('utf8'));
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new KilnError('SIGNER_STATE_INVALID', `${file} is not JSON: remove it only if no rotation is under way`);
  }
  const r = record as Partial<RotationRecord>;
  if (typeof r?.startedAt !== 'string' || Number.isNaN(Date.parse(r.startedAt)) || typeof r.minisignKeyId !== 'string' || typeof r.openpgpFingerprint !== 'string') {
    throw new KilnError('SIGNER_STATE_INVALID', `${file} is not a rotation record the signer wrote`);
  }
  return { startedAt: r.startedAt, minisignKeyId: r.minisignKeyId, openpgpFingerprint: r.openpgpFingerprint };
}

/** When the old keys retire: `overlapDays` after the rotation began. */
export function retiresAt(rotation: RotationRecord, overlapDays: number): number {
  return Date.parse(rotation.startedAt) + overlapDays * 86_400_000;
}

/** What on disk says which keys the signer holds: changes when a rotation begins or ends. */
export function keysStamp(keysDir: string): string {
  const stat = (file: string) => {
    try {
      const s = fs.lstatSync(file);
      return `${s.ino}:${s.mtimeMs}`;
    } catch {
      return '-';
    }
  };
  return `${stat(path.join(keysDir, ROTATION_FILE))}/${stat(path.join(keysDir, 'minisign.key'))}`;
}

async function withKeysLock<T>(keysDir: string, task: () => Promise<T>): Promise<T> {
  // The lock `kiln keys generate` takes: one change of the keys dir at a time.
  const lockFile = path.join(keysDir, 'generate.lock');
  let lock: KeyLock | undefined;
  while (!(lock = await KeyLock.tryAcquire(lockFile))) await new Promise((r) => setTimeout(r, 200));
  try {
    return await task();
  } finally {
    await lock.release();
  }
}

/**
 * Begin a rotation: `make(keysDir, passwordDir)` creates the new key set there (generateSignerKeys), then the record
 * is written. Refused while one is under way. An interrupted earlier start (keys made, no record) is finished.
 */
export async function startRotation(
  keysDir: string,
  passwordDir: string,
  make: (dir: string, passwords: string) => Promise<{ minisignKeyId: string; openpgpFingerprint: string }>,
  now: () => number = Date.now,
): Promise<RotationRecord> {
  const existing = readRotation(keysDir);
  if (existing) {
    throw new KilnError('KEY_ROTATION_UNDER_WAY', `a key rotation is under way (begun ${existing.startedAt}, new OpenPGP key ${existing.openpgpFingerprint}): let it end, or end it now with \`kiln keys rotate --finish\``);
  }
  const next = rotationPaths(keysDir, passwordDir);
  await fs.promises.mkdir(next.keysDir, { recursive: true, mode: 0o700 });
  await fs.promises.mkdir(next.passwordDir, { recursive: true, mode: 0o700 });
  const made = await make(next.keysDir, next.passwordDir);
  const record: RotationRecord = { startedAt: new Date(now()).toISOString(), ...made };
  await withKeysLock(keysDir, () => writeFileAtomic(next.file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 }));
  return record;
}

/**
 * End a rotation: the old key set moves to `retired/<time>/` (passwords to the password dir's `retired/<time>/`),
 * the new one into its place, and the record goes last (a crash in between leaves a record whose `next/` is partly
 * moved: finishing again completes it). Returns the folder the old keys went to; undefined when none was under way.
 */
export async function finishRotation(keysDir: string, passwordDir: string = keysDir, now: () => number = Date.now): Promise<string | undefined> {
  return withKeysLock(keysDir, async () => {
    const rotation = readRotation(keysDir);
    if (!rotation) return undefined;
    const next = rotationPaths(keysDir, passwordDir);
    const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
    const retired = path.join(keysDir, RETIRED_DIR, stamp);
    const retiredPasswords = path.join(passwordDir, RETIRED_DIR, stamp);
    await fs.promises.mkdir(retired, { recursive: true, mode: 0o700 });
    await fs.promises.mkdir(retiredPasswords, { recursive: true, mode: 0o700 });
    // The agents of both homes forget their passphrases before their homes move.
    await stopAgent(path.join(keysDir, OPENPGP_FILES.home));
    await stopAgent(path.join(next.keysDir, OPENPGP_FILES.home));
    const move = async (from: string, to: string) => {
      if (secretExists(to)) return; // moved before an interruption
      if (secretExists(from)) await fs.promises.rename(from, to);
    };
    for (const name of KEY_SET) {
      if (secretExists(path.join(next.keysDir, name))) await move(path.join(keysDir, name), path.join(retired, name));
      await move(path.join(next.keysDir, name), path.join(keysDir, name));
    }
    for (const name of PASSWORDS) {
      if (secretExists(path.join(next.passwordDir, name))) await move(path.join(passwordDir, name), path.join(retiredPasswords, name));
      await move(path.join(next.passwordDir, name), path.join(passwordDir, name));
    }
    await fs.promises.rm(next.file);
    await fs.promises.rm(next.keysDir, { recursive: true, force: true });
    if (next.passwordDir !== next.keysDir) await fs.promises.rm(next.passwordDir, { recursive: true, force: true });
    return retired;
  });
}
