import type { Secret } from '../secret';
import type { ARCHITECTURES, FORGE_KINDS, PACKAGE_FORMATS, PUSH_EVENTS } from './defaults';

// The loaded configuration: every default applied, every path absolute, secrets read, deeply frozen.

export type Architecture = (typeof ARCHITECTURES)[number];
export type PackageFormat = (typeof PACKAGE_FORMATS)[number];
export type PushEventName = (typeof PUSH_EVENTS)[number];
export type ForgeKind = (typeof FORGE_KINDS)[number];

/** Resource limits of one build container; `concurrency` is per architecture. */
export interface BuildLimits {
  readonly concurrency: number;
  readonly timeoutMinutes: number;
  readonly memoryMb: number;
  readonly cpus: number;
  readonly pids: number;
  /** Bytes (MiB) a build may write to the host's disk, whoever in the container writes. */
  readonly diskMb: number;
  /** A build log longer than this is cut and the build fails (BuildLogTooLarge). */
  readonly logMaxMb: number;
  /** Builds wait (they do not start) while the data dir has less free space than this (MiB); 0: never wait. */
  readonly minFreeMb: number;
  /** true: the build step keeps a network (unsafe: a recipe can then reach anything the host can). */
  readonly network: boolean;
  /** true: every build's packages are install-tested (and the recipe's tests run) before the push may publish. */
  readonly installTest: boolean;
}

export interface ApiConfig {
  readonly port: number;
  readonly host: string;
  /** Base URL users and webhooks reach the API at, without a trailing slash. */
  readonly publicUrl: string;
  /** true: the REST API's reads (GET /api/...) need a token too; actions always do. */
  readonly readsRequireToken: boolean;
  /** What /healthz checks: where the API has no Docker engine (compose), only Temporal. */
  readonly healthChecks: readonly HealthCheckName[];
  /** The largest blob a build worker may upload (a build result, a log), in MiB. */
  readonly blobMaxMb: number;
}

export type HealthCheckName = 'temporal' | 'docker';

export interface TemporalConfig {
  /** `host:port` of the Temporal frontend. */
  readonly address: string;
  readonly namespace: string;
  readonly uiUrl: string;
  /** true: Kiln's start command runs the Temporal dev server itself. */
  readonly embedded: boolean;
  /** Absent: plain gRPC. Paths absolute. */
  readonly tls?: TemporalTlsConfig;
}

export interface TemporalTlsConfig {
  /** CA that signed the server's certificate. */
  readonly caFile: string;
  /** Client certificate and key for mTLS: both or neither. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Name to check the server certificate against, when it is not the host of `address`. */
  readonly serverName?: string;
}

export interface WebhookConfig {
  /** Absolute path the secret was read from, when it came from a file. */
  readonly secretFile?: string;
  /** Environment variable the secret was read from, when it came from the environment. */
  readonly secretEnv?: string;
  readonly secret: Secret;
}

/** Where a published branch goes besides the served folder. `branches`: always given after defaults. */
export type PublishTarget =
  | {
    readonly kind: 'rsync';
    /** An absolute local path, or `host:path` / `user@host:path` as written (over ssh). */
    readonly destination: string;
    /** Exactly one branch: the destination mirrors that branch's repository. */
    readonly branches: readonly string[];
  }
  | {
    readonly kind: 'trigger';
    /** POSTed to after each publication of one of `branches`. */
    readonly url: string;
    readonly branches: readonly string[];
    /** Signs the body: `X-Kiln-Signature-256: sha256=<hex HMAC-SHA256>`. Absent: the request is unsigned. */
    readonly secret?: Secret;
  }
  | {
    readonly kind: 's3';
    readonly bucket: string;
    /** '' or ending in '/': the keys under it are Kiln's (whatever the snapshot lacks is deleted). */
    readonly prefix: string;
    /** Absent: AWS's endpoint for `region`. */
    readonly endpoint?: string;
    readonly region: string;
    /** true: `<endpoint>/<bucket>/<key>` URLs (most S3-compatible servers); false: `<bucket>.<endpoint host>`. */
    readonly forcePathStyle: boolean;
    /** Absent: the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws, instance roles). */
    readonly credentials?: { readonly accessKeyId: Secret; readonly secretAccessKey: Secret };
    /** Exactly one branch: the prefix holds that branch's repository. */
    readonly branches: readonly string[];
  };

export interface PublishConfig {
  /** Every branch of the tree → its APT suite name (defaults filled in); read it with `suiteOf`. */
  readonly suites: Readonly<Record<string, string>>;
  /** Snapshots kept per branch, the current one included (≥ 2, so there is always one to roll back to). */
  readonly keepSnapshots: number;
  /** In configuration order; `targetsOf` picks a branch's. */
  readonly targets: readonly PublishTarget[];
}

/** Where Kiln reports each push's state on the pushed commit (the forge's commit status API). */
export interface ForgeConfig {
  readonly kind: ForgeKind;
  /** The forge's API base without a trailing slash: https://gitea.example/api/v1, https://api.github.com,
   * https://gitlab.example/api/v4. */
  readonly apiUrl: string;
  /** owner/name (Gitea, Forgejo, GitHub); a project id or its full path (GitLab). */
  readonly repository: string;
  /** The status's name on the commit; default `kiln/<tree>`. */
  readonly context: string;
  readonly token: Secret;
}

/** Who hears of a push's end (`events`: which ends; default all). */
export type NotifyTarget =
  | {
    readonly kind: 'http';
    /** POSTed a JSON body per event, signed like a trigger (`X-Kiln-Signature-256`) when there is a secret. */
    readonly url: string;
    readonly secret?: Secret;
    readonly events: readonly PushEventName[];
  }
  | {
    readonly kind: 'email';
    /** Plain addresses, handed to the configured sendmail. */
    readonly to: readonly string[];
    readonly events: readonly PushEventName[];
  };

export interface MailConfig {
  /** A sendmail-compatible program (exim4's, msmtp's, postfix's): the message on stdin, recipients as arguments. */
  readonly sendmail: string;
  /** The envelope and header sender; default `kiln@<hostname>`. */
  readonly from: string;
}

export interface TreeConfig {
  readonly name: string;
  /** A remote git URL as written, or a local path made absolute against the config file's folder. */
  readonly url: string;
  readonly format: PackageFormat;
  readonly distribution: string;
  readonly branches: readonly string[];
  /** Order matters: the first architecture also builds `Architecture: all` packages. */
  readonly architectures: readonly Architecture[];
  /** The global limits with this tree's overrides merged in. */
  readonly build: BuildLimits;
  /** Absent: the tree accepts no webhooks at all. */
  readonly webhook?: WebhookConfig;
  /** Always present: suites and snapshot count have defaults; no targets means the served folder only. */
  readonly publish: PublishConfig;
  /** Absent: no commit statuses. */
  readonly forge?: ForgeConfig;
  /** Empty: nobody is notified. */
  readonly notify: readonly NotifyTarget[];
}

export interface SignerConfig {
  /** Absolute. The final signing keys and their password files: read by the signer worker only. */
  readonly keysDir: string;
  /** Absolute. Where the key password files are (default: keysDir), e.g. a tmpfs or another mount. */
  readonly passwordDir: string;
  /** Signatures the signer makes per minute at most; more are refused (SIGN_RATE_LIMITED). */
  readonly signaturesPerMinute: number;
  /** A key rotation (`kiln keys rotate`): how long both keys sign, and both are published, before the old one retires. */
  readonly rotation: { readonly overlapDays: number };
}

/** What garbage collection keeps (docs/OPERATIONS.md "Disk"). */
export interface RetentionConfig {
  /** Build records, push records and logs unused this long are removed (except what a kept snapshot holds). */
  readonly logsDays: number;
  /** Temporal keeps a closed workflow's history this long (the namespace's retention, set at start). */
  readonly workflowDays: number;
  /** How often the scheduled collection runs. */
  readonly gcEveryHours: number;
}

export interface KilnConfig {
  /** Absolute. */
  readonly dataDir: string;
  readonly api: ApiConfig;
  readonly temporal: TemporalConfig;
  readonly signer: SignerConfig;
  readonly build: BuildLimits;
  readonly mail: MailConfig;
  readonly retention: RetentionConfig;
  readonly trees: readonly TreeConfig[];
}

/** One thing wrong with the file: `path` in dotted/bracket form, e.g. `trees[0].architectures[1]`. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

// What the file holds once the schema accepted it (before defaults, path resolution and secrets).

export interface BuildLimitsInput {
  concurrency?: number;
  timeoutMinutes?: number;
  memoryMb?: number;
  cpus?: number;
  pids?: number;
  diskMb?: number;
  logMaxMb?: number;
  minFreeMb?: number;
  network?: boolean;
  installTest?: boolean;
}

export interface TreeInput {
  name: string;
  url: string;
  format: PackageFormat;
  distribution: string;
  branches: string[];
  architectures: Architecture[];
  build?: BuildLimitsInput;
  webhook?: { secretFile?: string; secretEnv?: string };
  publish?: PublishInput;
  forge?: { kind: ForgeKind; apiUrl: string; repository: string; tokenFile?: string; tokenEnv?: string; context?: string };
  notify?: NotifyTargetInput[];
}

export interface NotifyTargetInput {
  url?: string;
  secretFile?: string;
  secretEnv?: string;
  email?: string[];
  events?: PushEventName[];
}

export interface S3TargetInput {
  bucket: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  accessKeyIdFile?: string;
  accessKeyIdEnv?: string;
  secretAccessKeyFile?: string;
  secretAccessKeyEnv?: string;
}

export interface PublishTargetInput {
  rsync?: string;
  s3?: S3TargetInput;
  trigger?: string;
  secretFile?: string;
  secretEnv?: string;
  branches?: string[];
}

export interface PublishInput {
  suites?: Record<string, string>;
  keepSnapshots?: number;
  targets?: PublishTargetInput[];
}

export interface ConfigInput {
  dataDir: string;
  api?: { port?: number; host?: string; publicUrl?: string; readsRequireToken?: boolean; healthChecks?: HealthCheckName[]; blobMaxMb?: number };
  temporal?: {
    address?: string; namespace?: string; uiUrl?: string; embedded?: boolean;
    tls?: { caFile: string; certFile?: string; keyFile?: string; serverName?: string };
  };
  signer?: { keysDir?: string; passwordDir?: string; signaturesPerMinute?: number; rotation?: { overlapDays?: number } };
  build?: BuildLimitsInput;
  mail?: { sendmail?: string; from?: string };
  retention?: { logsDays?: number; workflowDays?: number; gcEveryHours?: number };
  trees: TreeInput[];
}
