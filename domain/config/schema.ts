import { ARCHITECTURES, FORGE_KINDS, PACKAGE_FORMATS, PUSH_EVENTS } from './defaults';
import { SUITE_NAME_PATTERN } from './publish';

// The JSON schema of the config file (ajv, draft-07). `errorHint` is an annotation read by problems.ts: the message a
// user sees when a `pattern` or property-count rule fails, instead of echoing a regular expression at them.
// Rules a schema states badly (unique tree names, git branch names, git URLs) live in semantic-checks.ts.

const NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';

const buildLimits = {
  type: 'object',
  additionalProperties: false,
  properties: {
    concurrency: { type: 'integer', minimum: 1, maximum: 64 },
    timeoutMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
    // Docker refuses tiny memory limits, and no Debian build fits in less anyway.
    memoryMb: { type: 'integer', minimum: 64 },
    cpus: { type: 'number', exclusiveMinimum: 0, maximum: 256 },
    pids: { type: 'integer', minimum: 32 },
    // A build needs room for its toolchain's scratch files; below 64 MiB nothing real builds.
    diskMb: { type: 'integer', minimum: 64 },
    logMaxMb: { type: 'integer', minimum: 1, maximum: 10240 },
    minFreeMb: { type: 'integer', minimum: 0 },
    network: { type: 'boolean' },
    installTest: { type: 'boolean' },
  },
} as const;

const httpUrl = {
  type: 'string',
  pattern: '^https?://[^\\s/?#]+[^\\s]*$',
  errorHint: 'must be an http:// or https:// URL',
} as const;

const secretEnv = {
  type: 'string',
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  errorHint: 'must be an environment variable name (letters, digits and "_", not starting with a digit)',
} as const;

// An S3 bucket and the prefix Kiln owns in it. Which credential fields go together: semantic-checks.ts.
const s3Target = {
  type: 'object',
  additionalProperties: false,
  required: ['bucket'],
  properties: {
    bucket: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      errorHint: 'must be an S3 bucket name: 3-63 lowercase letters, digits, "." or "-", starting and ending with a letter or digit',
    },
    prefix: {
      type: 'string',
      maxLength: 512,
      pattern: '^(?!/)(?!.*(^|/)\\.\\.?(/|$))[A-Za-z0-9._~+=@/-]*$',
      errorHint: 'must be a key prefix such as debian/ or repos/stable (letters, digits, ._~+=@-/; no leading /, no . or .. segments)',
    },
    endpoint: httpUrl,
    region: { type: 'string', minLength: 1, maxLength: 64 },
    forcePathStyle: { type: 'boolean' },
    accessKeyIdFile: { type: 'string', minLength: 1 },
    accessKeyIdEnv: secretEnv,
    secretAccessKeyFile: { type: 'string', minLength: 1 },
    secretAccessKeyEnv: secretEnv,
  },
} as const;

// A target's kind (exactly one of rsync, trigger, s3), which fields go with which kind, and its branches are checked
// in semantic-checks.ts: the schema would say it in oneOf errors nobody can read.
const publishTarget = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rsync: { type: 'string', minLength: 1 },
    s3: s3Target,
    trigger: httpUrl,
    secretFile: { type: 'string', minLength: 1 },
    secretEnv,
    branches: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
  },
} as const;

// A plain address (no display name, no list): it goes to sendmail as an argument and into a header.
const emailAddress = {
  type: 'string',
  maxLength: 254,
  pattern: '^[^-\\s@<>,;:"()\\[\\]\\\\][^\\s@<>,;:"()\\[\\]\\\\]*@[A-Za-z0-9.-]+$',
  errorHint: 'must be a plain e-mail address such as ops@example.org',
} as const;

// Which token field goes with which kind, and the repository's form, are checked in semantic-checks.ts.
const forge = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'apiUrl', 'repository'],
  properties: {
    kind: { enum: [...FORGE_KINDS] },
    apiUrl: httpUrl,
    repository: { type: 'string', minLength: 1, maxLength: 255 },
    tokenFile: { type: 'string', minLength: 1 },
    tokenEnv: secretEnv,
    context: { type: 'string', minLength: 1, maxLength: 100 },
  },
} as const;

// A notification target is exactly one of url, email (semantic-checks.ts).
const notifyTarget = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: httpUrl,
    secretFile: { type: 'string', minLength: 1 },
    secretEnv,
    email: { type: 'array', minItems: 1, uniqueItems: true, items: emailAddress },
    events: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...PUSH_EVENTS] } },
  },
} as const;

const publish = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Branch → suite; the keys are checked against the tree's branches in semantic-checks.ts.
    suites: {
      type: 'object',
      additionalProperties: {
        type: 'string',
        pattern: SUITE_NAME_PATTERN,
        errorHint: 'must be an APT suite name: letters, digits, ".", "+", "_" or "-", not starting with "." or "-"',
      },
    },
    keepSnapshots: { type: 'integer', minimum: 2 },
    targets: { type: 'array', items: publishTarget },
  },
} as const;

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['dataDir', 'trees'],
  properties: {
    dataDir: { type: 'string', minLength: 1 },
    api: {
      type: 'object',
      additionalProperties: false,
      properties: {
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        host: { type: 'string', minLength: 1 },
        publicUrl: httpUrl,
        readsRequireToken: { type: 'boolean' },
        healthChecks: { type: 'array', items: { type: 'string', enum: ['temporal', 'docker'] }, uniqueItems: true },
        blobMaxMb: { type: 'integer', minimum: 1, maximum: 1048576 },
      },
    },
    temporal: {
      type: 'object',
      additionalProperties: false,
      properties: {
        address: {
          type: 'string',
          pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):[0-9]{1,5}$',
          errorHint: 'must be host:port, e.g. 127.0.0.1:7233',
        },
        namespace: { type: 'string', minLength: 1 },
        uiUrl: httpUrl,
        embedded: { type: 'boolean' },
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['caFile'],
          properties: {
            caFile: { type: 'string', minLength: 1 },
            certFile: { type: 'string', minLength: 1 },
            keyFile: { type: 'string', minLength: 1 },
            serverName: { type: 'string', minLength: 1 },
          },
        },
      },
    },
    signer: {
      type: 'object',
      additionalProperties: false,
      properties: {
        keysDir: { type: 'string', minLength: 1 },
        passwordDir: { type: 'string', minLength: 1 },
        signaturesPerMinute: { type: 'integer', minimum: 1, maximum: 6000 },
        rotation: {
          type: 'object',
          additionalProperties: false,
          properties: { overlapDays: { type: 'number', exclusiveMinimum: 0, maximum: 3650 } },
        },
      },
    },
    build: buildLimits,
    mail: {
      type: 'object',
      additionalProperties: false,
      properties: {
        sendmail: { type: 'string', minLength: 1, pattern: '^/', errorHint: 'must be an absolute path, e.g. /usr/sbin/sendmail' },
        from: emailAddress,
      },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      properties: {
        logsDays: { type: 'integer', minimum: 1 },
        workflowDays: { type: 'integer', minimum: 1, maximum: 3650 },
        gcEveryHours: { type: 'number', minimum: 0.1, maximum: 720 },
      },
    },
    trees: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'url', 'format', 'distribution', 'branches', 'architectures'],
        properties: {
          name: {
            type: 'string',
            pattern: NAME_PATTERN,
            errorHint: 'must be 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
          },
          url: { type: 'string', minLength: 1 },
          format: { enum: [...PACKAGE_FORMATS] },
          distribution: {
            type: 'string',
            pattern: NAME_PATTERN,
            errorHint: 'must be a Debian suite or codename such as bookworm (lowercase letters, digits, ".", "_" or "-")',
          },
          branches: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
          architectures: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...ARCHITECTURES] } },
          build: buildLimits,
          webhook: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            maxProperties: 1,
            errorHint: 'must give exactly one of secretFile, secretEnv',
            properties: {
              secretFile: { type: 'string', minLength: 1 },
              secretEnv,
            },
          },
          publish,
          forge,
          notify: { type: 'array', items: notifyTarget },
        },
      },
    },
  },
} as const;
