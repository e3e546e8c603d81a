import * as fs from 'node:fs';
import * as path from 'node:path';

// audit.log in the keys dir: one JSON line per sign request, signed or refused, appended and fsynced before the
// signer answers. JSON keeps a caller's strings from forging lines (a newline in a tree name stays `\n`).

export const AUDIT_FILE = 'audit.log';

/** Who asked, as far as Temporal tells the activity: the workflow execution and the attempt. */
export interface AuditCaller {
  namespace?: string;
  workflowId?: string;
  runId?: string;
  workflowType?: string;
  activityId?: string;
  attempt?: number;
  taskQueue?: string;
}

export interface AuditRecord {
  at: string;
  outcome: 'signed' | 'refused' | 'failed' | 'refusals-unlisted';
  /** `refusals-unlisted`: how many refusals went unlisted (over the per-minute cap), and since when. */
  count?: number;
  since?: string;
  /** For refusals and failures: the error code (a failure type) and why. */
  code?: string;
  reason?: string;
  tree?: unknown;
  branch?: unknown;
  snapshot?: unknown;
  suite?: unknown;
  commit?: unknown;
  releaseSha256?: string;
  bytes?: number;
  /** Signed again: a retry of the snapshot and Release signed last for the branch. */
  retry?: boolean;
  trustedComment?: string;
  /** During a key rotation: every OpenPGP key that signed. */
  openpgpFingerprints?: string[];
  keyId?: string;
  openpgpFingerprint?: string;
  caller: AuditCaller | { outside: 'no Temporal activity context' };
}

export class AuditLog {
  readonly file: string;
  constructor(keysDir: string) { this.file = path.join(keysDir, AUDIT_FILE); }

  /** Append one line and fsync it: when this resolves, the line is on disk. */
  async append(record: AuditRecord): Promise<void> {
    const handle = await fs.promises.open(this.file,
      fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    try {
      await handle.write(JSON.stringify(record) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
