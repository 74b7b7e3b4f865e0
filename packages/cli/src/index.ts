/**
 * @pgwarden/cli — the bins `pgwarden` (the agent) and `pgwardenctl` (the
 * patronictl-compatible operator CLI), also callable in-process: both take
 * argv and return the exit code, with their input/output injectable.
 */
export { runAgentCli, type AgentCliIo } from './agent-cli.js';
export { renderSampleConfig, type SampleConfigInput } from './sample-config.js';
export { runCtl, type CtlDependencies } from './ctl/main.js';
