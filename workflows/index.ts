// Every workflow type Kiln registers; the orchestrator worker bundles this file.
export { builderProbeWorkflow } from './builder-probe';
export { branchWorkflow } from './branch';
export { pushWorkflow } from './push';
export { archBuildWorkflow } from './arch-builds';
export { publishWorkflow } from './publish';
export { rollbackWorkflow } from './rollback';
export { buildWorkflow } from './build';
export { gcWorkflow } from './gc';
