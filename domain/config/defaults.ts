// Defaults and closed vocabularies of the configuration, in one place: the schema, the resolver and
// docs/CONFIGURATION.md all state these same values.

/** Debian's names for deb trees, pacman's for pacman trees (semantic-checks.ts keeps them apart). */
export const ARCHITECTURES = ['amd64', 'i386', 'arm64', 'x86_64', 'i686'] as const;
export const PACKAGE_FORMATS = ['deb', 'pacman'] as const;
export const FORMAT_ARCHITECTURES = { deb: ['amd64', 'i386', 'arm64'], pacman: ['x86_64', 'i686'] } as const;

export const DEFAULT_API = { port: 8080, host: '127.0.0.1', readsRequireToken: false, healthChecks: ['temporal', 'docker'], blobMaxMb: 8192 } as const;

export const DEFAULT_TEMPORAL = {
  address: '127.0.0.1:7233',
  namespace: 'default',
  uiUrl: 'http://127.0.0.1:8233',
  embedded: true,
} as const;

export const DEFAULT_BUILD = {
  concurrency: 2,
  timeoutMinutes: 60,
  memoryMb: 2048,
  cpus: 1,
  pids: 1024,
  diskMb: 10240,
  logMaxMb: 100,
  minFreeMb: 2048,
  network: false,
  installTest: true,
} as const;

export const DEFAULT_SIGNER = {
  signaturesPerMinute: 60,
  overlapDays: 30,
} as const;

export const DEFAULT_PUBLISH = {
  keepSnapshots: 10,
} as const;

/** What a push can tell a notification target about (docs/CONFIGURATION.md "Notifications"). */
export const PUSH_EVENTS = ['failed', 'published', 'cancelled', 'superseded'] as const;
/** Forges whose commit status API Kiln reports to; forgejo speaks Gitea's API. */
export const FORGE_KINDS = ['gitea', 'forgejo', 'github', 'gitlab'] as const;

export const DEFAULT_MAIL = {
  sendmail: '/usr/sbin/sendmail',
} as const;

export const DEFAULT_RETENTION = {
  logsDays: 90,
  workflowDays: 30,
  gcEveryHours: 6,
} as const;

/** Narrows a string (a CLI flag, an env var) to a configured-architecture name. */
export function isArchitecture(value: string): value is (typeof ARCHITECTURES)[number] {
  return (ARCHITECTURES as readonly string[]).includes(value);
}
