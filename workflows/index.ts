// Every workflow type Kiln registers; the orchestrator worker bundles this file.
export { builderProbeWorkflow } from './builder-probe';
