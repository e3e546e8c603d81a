// What the REST API reads, as plain functions and classes over the data dir (and, for live state, a PushControl):
// the API's routes use it, and so can a web UI, without going through HTTP.
export { configuredBranch } from './branches';
export {
  ARCH_PATTERN, SOURCE_NAME_PATTERN, buildLogFile, completeUtf8Length, followLog, openLog, readTail, type FollowOptions,
} from './build-logs';
export { buildLogUrl, pushUrl, repositoryUrl, rollbackUrl, snapshotUrl, temporalWorkflowUrl } from './links';
export { temporalPushControl, type PushControl, type RollbackOutcome } from './push-control';
export {
  COMMIT_PATTERN, FINAL_PUSH_STATES, PUSH_STATES, PushRecords, countBuilds, decodeCursor, encodeCursor, summarize,
  type BuildCounts, type PushListQuery, type PushPage, type PushRecord, type PushSummary,
} from './push-records';
export { buildMayWrite, pushDetail, pushStatusOf, type BuildView, type PushDetail, type PushStatusView } from './push-view';
export {
  Snapshots, type SnapshotBinary, type SnapshotDetail, type SnapshotDiff, type SnapshotSummary, type SourceChange,
} from './snapshots';
export { treesOverview, type BranchOverview, type TreeOverview } from './trees';
