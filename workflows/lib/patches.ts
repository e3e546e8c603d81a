/**
 * Workflow patches shared by more than one workflow (`patched(id)`): the histories of workflows that began before a
 * change replay on the path they took.
 */

/** The orchestrator's per-build activities (prepare, record, add to the WIP repository) run as local activities. */
export const LOCAL_ORCHESTRATOR_ACTIVITIES = 'local-orchestrator-activities';
