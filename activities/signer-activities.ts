import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { suiteOf, type KilnConfig } from '../domain/config';
import { trustedComment as makeTrustedComment } from '../domain/publish/apt-index';
import { sign } from '../domain/signing/minisign';
import { checkReleaseAgrees, parseRelease, ReleaseRejected, type ReleaseIdentity } from '../domain/signing/release-check';
import { KeyLock } from './builder/key-lock';
import { AuditLog, type AuditCaller, type AuditRecord } from './signer/audit-log';
import { finishRotation, keysStamp, retiresAt } from './signer/key-rotation';
import { loadSignerKeys, type SignerKeys } from './signer/signer-keys';
import { joinClearSignatures, joinDetachedSignatures } from '../domain/signing/openpgp-armor';
import { SignerState, STATE_FILE } from './signer/signer-state';
import { checkDatabases, DatabaseRejected } from './signer/database-check';

/**
 * What the publish workflow asks the signer: the Release text and what it must be. The signer checks the text is a
 * Release Kiln writes, for a tree, branch and suite of its configuration, agreeing with these fields, and for a
 * snapshot newer than the last it signed for the branch; then it makes the trusted comment from these fields.
 */
export interface SignRequest extends ReleaseIdentity {
  /** The small index file to sign (a Release file), never the repository. */
  release: string;
  /** pacman trees: the databases the Release lists, to sign detached (bytes checked against the Release). */
  databases?: Array<{ path: string; base64: string }>;
  /**
   * Optional, from callers of before the signer made the comment itself: when present it must be exactly the comment
   * the signer makes from the fields (tree, branch, suite, snapshot, commit), or the request is refused.
   */
  trustedComment?: string;
}

export interface SignResult {
  /** minisign signature of the Release text (prehashed), carrying the trusted comment. */
  minisig: string;
  /** The minisign key id, as `minisign` prints it. */
  keyId: string;
  /** The clear-signed Release: publish it as InRelease. */
  inRelease: string;
  /** An armored detached OpenPGP signature of the Release text: publish it as Release.gpg. */
  releaseGpg: string;
  /** The OpenPGP key's fingerprint (40 hex digits, upper case): the newest key that signed. */
  openpgpFingerprint: string;
  /** Every OpenPGP key that signed, oldest first: two during a key rotation's overlap. */
  openpgpFingerprints?: string[];
  /** pacman trees: a binary detached signature of each database, base64. */
  databaseSignatures?: Array<{ path: string; base64: string }>;
  /** The public keys, so the orchestrator can publish them without reading the signer's keys dir. */
  publicKeys: {
    /** The text of minisign.pub. */
    minisignPub: string;
    /** kiln-archive-keyring.gpg (binary, what apt's `signed-by=` takes), base64: every key that signs. */
    openpgpKeyringBase64: string;
  };
}

type RefusalCode = 'SIGN_REQUEST_INVALID' | 'SIGN_UNKNOWN_TREE' | 'SIGN_SNAPSHOT_OLD' | 'SIGN_RATE_LIMITED';

/** A request the signer will not sign: audited, then answered as an ApplicationFailure of that type. */
class Refusal extends Error {
  constructor(readonly code: RefusalCode, message: string, readonly retryAfterMs?: number) { super(message); }

  toFailure(): ApplicationFailure {
    // Rate limited: retryable. The publish is legitimate as far as the signer knows, and its retry policy (every
    // 30 s at most, no attempt limit) brings it back once the minute has passed; failing it for good would need a
    // new push. A flood is still capped: every attempt is counted against the same limit and audited.
    if (this.code === 'SIGN_RATE_LIMITED') {
      return ApplicationFailure.create({ message: this.message, type: this.code, nonRetryable: false, nextRetryDelay: this.retryAfterMs });
    }
    // The rest would be refused again, whatever the time: not retried.
    return ApplicationFailure.nonRetryable(this.message, this.code);
  }
}

const MINUTE_MS = 60_000;
/** Refusals listed one by one in the audit log in any minute; the rest are counted (a flood must not fill the disk). */
export const REFUSALS_LISTED_PER_MINUTE = 120;
const MAX_AUDITED_STRING = 200;

/** A caller's value as the audit log keeps it: strings cut short, anything else by its type. */
function clip(value: unknown): unknown {
  if (typeof value === 'string') return value.length > MAX_AUDITED_STRING ? `${value.slice(0, MAX_AUDITED_STRING)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return value;
  return `(${value === null ? 'null' : typeof value})`;
}

/** The Temporal execution that asked, from the activity's Info (the scheduling worker's identity is not in it). */
function callerOf(): AuditRecord['caller'] {
  let info: ReturnType<typeof Context.current>['info'];
  try {
    info = Context.current().info;
  } catch {
    return { outside: 'no Temporal activity context' };
  }
  const caller: AuditCaller = {
    namespace: info.workflowNamespace ?? info.activityNamespace,
    workflowId: info.workflowExecution?.workflowId,
    runId: info.workflowExecution?.runId,
    workflowType: info.workflowType,
    activityId: info.activityId,
    attempt: info.attempt,
    taskQueue: info.taskQueue,
  };
  return caller;
}

/**
 * A state lock naming this host and this very pid was left by an earlier life of this signer (a container restarted
 * after SIGKILL is pid 1 on the same hostname again): this process holds it at most once, between the queue's turns,
 * so it is stale. KeyLock would wait its STALE_MS for it, long enough to time out the first sign attempt.
 */
async function removeOwnStaleLock(file: string): Promise<void> {
  try {
    const owner = JSON.parse(await fs.promises.readFile(file, 'utf8')) as { host?: string; pid?: number };
    if (owner.host === os.hostname() && owner.pid === process.pid) await fs.promises.rm(file, { force: true });
  } catch {
    // No lock, or a torn one: KeyLock deals with it.
  }
}

export interface SignerActivityOptions {
  /** Milliseconds since the epoch; tests move time. */
  now?: () => number;
}

/**
 * Activities of the signer worker (task queue `sign`): the only code that holds the final keys. `config` is the
 * signer's own loaded configuration: its trees, branches and suites are all it signs for. Reads (and, at start,
 * checks) `signer-state.json` in the keys dir: SIGNER_STATE_INVALID when it is not one the signer wrote.
 */
export function createSignerActivities(keys: SignerKeys, config: Pick<KilnConfig, 'signer' | 'trees'>, options: SignerActivityOptions = {}) {
  const now = options.now ?? Date.now;
  let held = keys;
  let heldStamp = keysStamp(config.signer.keysDir);

  /**
   * The keys to sign with now. A rotation begun (or ended) on disk since they were read is picked up here; one whose
   * overlap has passed is ended first (the old keys retire to `retired/`).
   */
  async function keysNow(): Promise<SignerKeys> {
    const { keysDir, passwordDir } = config.signer;
    if (held.next && now() >= retiresAt(held.next.rotation, config.signer.rotation.overlapDays)) {
      await finishRotation(keysDir, passwordDir, now);
    }
    const stamp = keysStamp(keysDir);
    if (stamp !== heldStamp) {
      held = await loadSignerKeys(keysDir, passwordDir);
      heldStamp = stamp;
    }
    return held;
  }
  // Checked now, so a bad state file stops the signer at start; read again under its lock for every request, so two
  // signer processes sharing a keys dir cannot both sign one snapshot number (each keeps its own rate window).
  let state = SignerState.load(config.signer.keysDir);
  const lockFile = path.join(config.signer.keysDir, `${STATE_FILE}.lock`);
  const audit = new AuditLog(config.signer.keysDir);
  /** When the signatures of the last minute were made (attempted), oldest first. */
  const recent: number[] = [];
  /** When the refusals listed in the audit log in the last minute were, oldest first; and those not listed since. */
  const refusedRecently: number[] = [];
  let unlisted: { count: number; since: string } | undefined;
  // One request at a time: the snapshot check, the state and the rate window are read and written in one piece.
  let queue: Promise<unknown> = Promise.resolve();

  function check(request: SignRequest): { id: ReleaseIdentity; data: Buffer; sha256: string; comment: string; architectures: readonly string[]; databases?: Array<{ path: string; data: Buffer }> } {
    if (typeof request !== 'object' || request === null) throw new Refusal('SIGN_REQUEST_INVALID', 'a sign request is an object');
    for (const field of ['tree', 'branch', 'suite', 'commit', 'release'] as const) {
      if (typeof request[field] !== 'string' || request[field] === '') {
        throw new Refusal('SIGN_REQUEST_INVALID', `a sign request needs ${field} (a non-empty string)`);
      }
    }
    if (!Number.isSafeInteger(request.snapshot) || request.snapshot < 1) {
      throw new Refusal('SIGN_REQUEST_INVALID', 'a sign request needs snapshot, a whole number from 1');
    }
    if (request.trustedComment !== undefined && typeof request.trustedComment !== 'string') {
      throw new Refusal('SIGN_REQUEST_INVALID', 'a sign request\'s trustedComment, when given, is a string');
    }
    const id: ReleaseIdentity = { tree: request.tree, branch: request.branch, suite: request.suite, snapshot: request.snapshot, commit: request.commit };

    const tree = config.trees.find((t) => t.name === id.tree);
    if (!tree) throw new Refusal('SIGN_UNKNOWN_TREE', `no tree named "${id.tree}" is configured on the signer`);
    if (!tree.branches.includes(id.branch)) throw new Refusal('SIGN_UNKNOWN_TREE', `branch "${id.branch}" of tree ${id.tree} is not configured on the signer`);
    const suite = suiteOf(tree, id.branch);
    if (suite !== id.suite) throw new Refusal('SIGN_UNKNOWN_TREE', `${id.tree}/${id.branch} publishes suite ${suite} on the signer, not "${id.suite}"`);

    let parsed: ReturnType<typeof parseRelease>;
    try {
      parsed = parseRelease(request.release);
      checkReleaseAgrees(parsed, id, tree.architectures, tree.format === 'pacman' ? 'pacman' : 'apt');
    } catch (err) {
      if (err instanceof ReleaseRejected) throw new Refusal('SIGN_REQUEST_INVALID', `not a Release Kiln would write for ${id.tree}/${id.branch} snapshot ${id.snapshot}: ${err.message}`);
      throw err;
    }
    // A pacman tree's databases are signed too, and only those the signed Release lists, byte for byte.
    let databases: Array<{ path: string; data: Buffer }> | undefined;
    if (tree.format === 'pacman') {
      try {
        databases = checkDatabases(request.databases, parsed.sha256);
      } catch (err) {
        if (err instanceof DatabaseRejected) throw new Refusal('SIGN_REQUEST_INVALID', `not the databases of ${id.tree}/${id.branch} snapshot ${id.snapshot}: ${err.message}`);
        throw err;
      }
    } else if (request.databases !== undefined) {
      throw new Refusal('SIGN_REQUEST_INVALID', `tree ${id.tree} is ${tree.format}: its Release is all the signer signs`);
    }
    const comment = makeTrustedComment(id);
    if (request.trustedComment !== undefined && request.trustedComment !== comment) {
      throw new Refusal('SIGN_REQUEST_INVALID', `the trusted comment "${request.trustedComment}" is not the signer's "${comment}"`);
    }
    const data = Buffer.from(request.release, 'utf8');
    return { id, data, sha256: crypto.createHash('sha256').update(data).digest('hex'), comment, architectures: tree.architectures, databases };
  }

  /**
   * Only forward: a snapshot number greater than the last one signed for the branch. Rollbacks keep working: a
   * rollback republishes an older snapshot's packages as a NEW snapshot with the next number (workflows/rollback.ts,
   * branch.ts `nextSnapshot++`, publish-activities `assemble`), so it is signed like any publish; an old number is
   * never signed again, and apt never sees a Release older than one it has. The same number with the same Release
   * (a Temporal retry after the signer died between signing and answering) is signed again: it adds nothing new.
   */
  function checkForward(id: ReleaseIdentity, sha256: string): { retry: boolean } {
    const last = state.last(id.tree, id.branch);
    if (!last || id.snapshot > last.snapshot) return { retry: false };
    if (id.snapshot === last.snapshot && sha256 === last.releaseSha256) return { retry: true };
    throw new Refusal('SIGN_SNAPSHOT_OLD', id.snapshot === last.snapshot
      ? `snapshot ${id.snapshot} of ${id.tree}/${id.branch} was signed with another Release (SHA-256 ${last.releaseSha256}); a new Release needs a new snapshot number`
      : `snapshot ${id.snapshot} of ${id.tree}/${id.branch} is not newer than snapshot ${last.snapshot}, signed ${last.at}`);
  }

  /** At most signaturesPerMinute attempts in any 60 s; the next one is counted when it passes. */
  function checkRate(at: number): void {
    while (recent.length > 0 && recent[0] <= at - MINUTE_MS) recent.shift();
    if (recent.length >= config.signer.signaturesPerMinute) {
      const retryAfterMs = Math.max(1_000, recent[0] + MINUTE_MS - at);
      throw new Refusal('SIGN_RATE_LIMITED', `the signer made ${recent.length} signatures in the last minute (signer.signaturesPerMinute: ${config.signer.signaturesPerMinute}); try again in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs);
    }
    recent.push(at);
  }

  /**
   * A refusal's audit line, up to REFUSALS_LISTED_PER_MINUTE a minute: a caller flooding the signer with requests it
   * refuses must not grow the audit log without bound. Beyond the cap refusals are counted, and the count is written
   * (outcome `refusals-unlisted`) before the next line that is listed.
   */
  async function auditRefusal(line: AuditRecord): Promise<void> {
    const at = now();
    while (refusedRecently.length > 0 && refusedRecently[0] <= at - MINUTE_MS) refusedRecently.shift();
    if (refusedRecently.length >= REFUSALS_LISTED_PER_MINUTE) {
      unlisted = { count: (unlisted?.count ?? 0) + 1, since: unlisted?.since ?? line.at };
      return;
    }
    refusedRecently.push(at);
    await flushUnlisted(line.caller);
    await audit.append(line);
  }

  async function flushUnlisted(caller: AuditRecord['caller']): Promise<void> {
    if (!unlisted) return;
    const { count, since } = unlisted;
    unlisted = undefined;
    await audit.append({ at: new Date(now()).toISOString(), outcome: 'refusals-unlisted', count, since, reason: `${count} refusals over the cap of ${REFUSALS_LISTED_PER_MINUTE} a minute were not listed one by one`, caller });
  }

  async function handle(request: SignRequest): Promise<SignResult> {
    const caller = callerOf();
    const r = (typeof request === 'object' && request !== null ? request : {}) as Partial<SignRequest>;
    const asked = { tree: clip(r.tree), branch: clip(r.branch), snapshot: clip(r.snapshot), suite: clip(r.suite), commit: clip(r.commit) };
    const releaseSha256 = typeof r.release === 'string' ? crypto.createHash('sha256').update(r.release, 'utf8').digest('hex') : undefined;
    const bytes = typeof r.release === 'string' ? Buffer.byteLength(r.release, 'utf8') : undefined;
    const record = (rest: Omit<AuditRecord, 'at' | 'caller'>): AuditRecord => ({ at: new Date(now()).toISOString(), ...asked, releaseSha256, bytes, ...rest, caller });

    let checked: ReturnType<typeof check>;
    let retry: boolean;
    try {
      checked = check(request);
      ({ retry } = checkForward(checked.id, checked.sha256));
      checkRate(now());
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      // Refused whether or not the audit line makes it to disk; a failing audit log is the operator's to see.
      await auditRefusal(record({ outcome: 'refused', code: err.code, reason: err.message }))
        .catch((e: unknown) => console.error(`kiln signer: cannot write ${audit.file}: ${(e as Error).message}`));
      throw err.toFailure();
    }

    const { id, data, sha256 } = checked;
    let signing: SignerKeys;
    try {
      signing = await keysNow();
    } catch (err) {
      await audit.append(record({ outcome: 'failed', reason: `the signing keys: ${(err as Error).message}`, retry }))
        .catch((e: unknown) => console.error(`kiln signer: cannot write ${audit.file}: ${(e as Error).message}`));
      throw err;
    }
    // During a rotation minisign signs with the new key only (a minisign signature has one key); both OpenPGP keys
    // sign, so apt clients that trust either one keep updating. The trusted comment names the minisign key.
    const minisignKey = signing.next ?? signing;
    const openpgpKeys = signing.next ? [signing.openpgp, signing.next.openpgp] : [signing.openpgp];
    const comment = `${checked.comment} key:${minisignKey.minisign.keyIdHex}`;
    let minisig: string;
    let signatures: { inRelease: string; releaseGpg: string };
    let databaseSignatures: SignResult['databaseSignatures'];
    try {
      // Recorded before anything is signed: no signature leaves the signer unless the state knows it.
      if (!retry) await state.record({ tree: id.tree, branch: id.branch, snapshot: id.snapshot, suite: id.suite, releaseSha256: sha256, at: new Date(now()).toISOString() });
      minisig = sign(data, minisignKey.minisign, { trustedComment: comment, prehash: true });
      // gpg failing (agent, disk) is worth a retry: a plain error, after its audit line.
      const each = [];
      for (const key of openpgpKeys) each.push(await key.signRelease(data));
      signatures = { inRelease: joinClearSignatures(each.map((s) => s.inRelease)), releaseGpg: joinDetachedSignatures(each.map((s) => s.releaseGpg)) };
      if (checked.databases) {
        databaseSignatures = [];
        for (const db of checked.databases) {
          // Binary signature packets concatenate into one signature file of several signatures.
          const parts: Buffer[] = [];
          for (const key of openpgpKeys) parts.push(await key.detachSign(db.data));
          databaseSignatures.push({ path: db.path, base64: Buffer.concat(parts).toString('base64') });
        }
      }
    } catch (err) {
      await audit.append(record({ outcome: 'failed', reason: (err as Error).message, retry, trustedComment: comment }))
        .catch((e: unknown) => console.error(`kiln signer: cannot write ${audit.file}: ${(e as Error).message}`));
      throw err;
    }
    // On disk (fsynced) before the signature is returned; if it cannot be written, no signature is returned.
    await flushUnlisted(caller);
    await audit.append(record({
      outcome: 'signed', retry, trustedComment: comment, keyId: minisignKey.minisign.keyIdHex, openpgpFingerprint: openpgpKeys.at(-1)!.fingerprint,
      ...(openpgpKeys.length > 1 ? { openpgpFingerprints: openpgpKeys.map((k) => k.fingerprint) } : {}),
    }));
    return {
      minisig,
      keyId: minisignKey.minisign.keyIdHex,
      inRelease: signatures.inRelease,
      releaseGpg: signatures.releaseGpg,
      openpgpFingerprint: openpgpKeys.at(-1)!.fingerprint,
      openpgpFingerprints: openpgpKeys.map((k) => k.fingerprint),
      ...(databaseSignatures ? { databaseSignatures } : {}),
      publicKeys: {
        minisignPub: minisignKey.minisignPublicFile,
        openpgpKeyringBase64: Buffer.concat(openpgpKeys.map((k) => k.keyring)).toString('base64'),
      },
    };
  }

  return {
    async signRelease(request: SignRequest): Promise<SignResult> {
      const run = queue.then(async () => {
        await removeOwnStaleLock(lockFile);
        let lock: KeyLock | undefined;
        while (!(lock = await KeyLock.tryAcquire(lockFile))) await new Promise((r) => setTimeout(r, 50));
        try {
          state = SignerState.load(config.signer.keysDir);
          return await handle(request);
        } finally {
          await lock.release();
        }
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

export type SignerActivities = ReturnType<typeof createSignerActivities>;
