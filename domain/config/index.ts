// The server configuration: one YAML file, validated at start, typed and deeply frozen (docs/CONFIGURATION.md).
export { loadConfig, parseConfig } from './load';
export { findTree } from './find-tree';
export { classifyRsyncDestination, defaultSuite, isSuiteName, suiteOf, targetsOf, type RsyncDestination } from './publish';
export {
  ARCHITECTURES,
  PACKAGE_FORMATS,
  isArchitecture,
  DEFAULT_API,
  DEFAULT_BUILD,
  DEFAULT_PUBLISH,
  DEFAULT_RETENTION,
  DEFAULT_SIGNER,
  DEFAULT_TEMPORAL,
  FORGE_KINDS,
  PUSH_EVENTS,
} from './defaults';
export type {
  ApiConfig,
  Architecture,
  BuildLimits,
  ConfigProblem,
  ForgeConfig,
  ForgeKind,
  MailConfig,
  NotifyTarget,
  PushEventName,
  KilnConfig,
  PackageFormat,
  PublishConfig,
  PublishTarget,
  SignerConfig,
  TemporalConfig,
  TemporalTlsConfig,
  TreeConfig,
  WebhookConfig,
} from './types';
export type { Env } from './secrets';
