// One registry of Kiln's error codes: stable strings that logs, API answers and failure types use.
// A test keeps this table and docs/ERRORS.md in sync.
export const ERROR_CODES = {
  CONFIG_INVALID: { status: 500, message: 'The configuration file is invalid' },
  CONFIG_NOT_FOUND: { status: 500, message: 'The configuration file was not found' },
  SECRET_UNREADABLE: { status: 500, message: 'A secret file or environment variable could not be read' },
  TEMPORAL_UNAVAILABLE: { status: 503, message: 'The Temporal server does not answer' },
  TEMPORAL_TLS_FILE_INVALID: { status: 500, message: 'A Temporal TLS file (CA, client certificate or key) is missing, unreadable or not PEM' },
  DOCKER_UNAVAILABLE: { status: 503, message: 'The Docker engine does not answer' },
  BUILDER_IMAGE_MISSING: { status: 500, message: 'The builder image is not in the Docker engine (run the setup)' },
  BUILD_SANDBOX_UNSUPPORTED: { status: 500, message: 'The Docker engine cannot cap a build container\'s disk' },
  BUILD_SANDBOX_STRAYS: { status: 500, message: 'Processes the dependency phase left behind would not die' },
  RECIPE_INVALID: { status: 422, message: 'A package recipe could not be read' },
  RECIPE_TOO_LARGE: { status: 422, message: 'A package recipe is over one of Kiln\'s size limits' },
  RECIPE_VERSION_UNCHANGED: { status: 422, message: 'A package changed but its version did not' },
  BINARY_DECLARED_TWICE: { status: 422, message: 'Two packages of the tree declare the same binary package' },
  DEPENDENCY_CYCLE: { status: 422, message: 'Packages build-depend on each other in a cycle' },
  DEPENDENCY_FAILED: { status: 422, message: 'A build dependency of this package could not be built' },
  WEBHOOK_PAYLOAD_INVALID: { status: 400, message: 'The webhook body is not a valid push event' },
  WEBHOOK_SIGNATURE_INVALID: { status: 401, message: 'The webhook signature or token is missing or wrong' },
  WEBHOOK_BODY_TOO_LARGE: { status: 413, message: 'The webhook body is larger than Kiln accepts' },
  TREE_UNKNOWN: { status: 404, message: 'No tree of that name is configured' },
  MINISIGN_KEY_INVALID: { status: 500, message: 'A minisign key is malformed or unsupported' },
  MINISIGN_PASSWORD_WRONG: { status: 500, message: 'The password does not decrypt the minisign secret key' },
  MINISIGN_SIGNATURE_INVALID: { status: 422, message: 'A minisign signature is malformed or does not verify' },
  SIGNER_KEYS_MISSING: { status: 500, message: 'The signer has no signing keys (run kiln keys generate)' },
  SIGNER_KEY_PERMISSIONS: { status: 500, message: 'A signer key or password file is not a regular 0600 file owned by the signer' },
  SIGNER_STATE_INVALID: { status: 500, message: 'The signer\'s state file is unreadable or malformed' },
  KEY_ROTATION_UNDER_WAY: { status: 409, message: 'A key rotation is under way: let it end, or end it with kiln keys rotate --finish' },
  TREE_UNREACHABLE: { status: 502, message: 'The tree\'s git repository cannot be read' },
  BRANCH_UNKNOWN: { status: 404, message: 'No such branch in the tree' },
  PUBLISH_TARGET_FAILED: { status: 502, message: 'A publish target (rsync mirror or trigger URL) could not be updated' },
  PUBLISH_TARGET_TIMEOUT: { status: 504, message: 'A publish target did not finish in time' },
  REPORT_FAILED: { status: 502, message: 'A commit status or notification could not be delivered (the push itself is unaffected)' },
  COMMIT_UNKNOWN: { status: 404, message: 'The commit is not in the tree\'s repository' },
  NOT_FOUND: { status: 404, message: 'No such resource' },
  REQUEST_INVALID: { status: 400, message: 'The request is malformed' },
  INTERNAL: { status: 500, message: 'Kiln failed unexpectedly; the server log has the details' },
  SNAPSHOT_UNKNOWN: { status: 404, message: 'No such snapshot of the branch (it may have been pruned)' },
  SNAPSHOT_ARTIFACT_MISSING: { status: 500, message: 'A package of the snapshot is missing from the artifact store' },
  SNAPSHOT_STAGING_CHANGED: { status: 500, message: 'The staged snapshot is not the one that was signed' },
  SNAPSHOT_BASE_CHANGED: { status: 409, message: 'The published repository changed since the push was planned' },
  SNAPSHOT_CONFLICT: { status: 409, message: 'Two builds of the push would publish different files under one name' },
  PUBLISH_REQUEST_INVALID: { status: 400, message: 'A publish request names a push that is not fully built' },
  SIGN_REQUEST_INVALID: { status: 400, message: 'The signer was asked to sign something malformed' },
  SIGN_UNKNOWN_TREE: { status: 404, message: 'The signer was asked to sign for a tree, branch or suite it has not configured' },
  SIGN_SNAPSHOT_OLD: { status: 409, message: 'The signer already signed this or a newer snapshot of the branch' },
  SIGN_RATE_LIMITED: { status: 429, message: 'The signer made its configured signatures per minute; retried later' },
  BRANCH_NOT_RUNNING: { status: 409, message: 'The branch has no coordinator running (nothing was pushed yet)' },
  TOKEN_MISSING: { status: 401, message: 'The request needs an API token (Authorization: Bearer <token>)' },
  TOKEN_INVALID: { status: 401, message: 'The API token is not one Kiln knows (wrong, or revoked)' },
  TOKEN_FORBIDDEN: { status: 403, message: 'The token is of the other kind (a worker token where an operator\'s is needed, or the reverse)' },
  BLOB_UNKNOWN: { status: 404, message: 'No blob of that digest is stored' },
  BLOB_DIGEST_MISMATCH: { status: 400, message: 'The uploaded bytes do not have the digest the URL names' },
  BLOB_TOO_LARGE: { status: 413, message: 'The blob is over api.blobMaxMb' },
  LOG_OFFSET_CONFLICT: { status: 409, message: 'A build log append does not continue the log where it ends (another worker writes it)' },
  LOG_TOO_LARGE: { status: 413, message: 'A build log would grow past what Kiln keeps of one build' },
  TOKEN_EXISTS: { status: 409, message: 'An API token of that name already exists' },
  TOKEN_UNKNOWN: { status: 404, message: 'No API token of that name exists' },
  TOKEN_FILE_INVALID: { status: 500, message: 'The API token file is malformed' },
  PUSH_UNKNOWN: { status: 404, message: 'No push of that tree, branch and commit is known' },
  PUSH_NOT_RUNNING: { status: 409, message: 'The push has finished: it cannot be cancelled or retried' },
  LOG_UNKNOWN: { status: 404, message: 'No build log of that push, package and architecture exists' },
  ROLLBACK_UNKNOWN: { status: 404, message: 'No rollback of that id is known for the branch' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class KilnError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'KilnError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = details;
  }
}
