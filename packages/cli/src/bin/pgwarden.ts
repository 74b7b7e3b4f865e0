#!/usr/bin/env node
// The agent: `pgwarden CONFIG`. See packages/cli/README.md.
import { setFlagsFromString } from 'node:v8';

/**
 * The agent's work is small and spread thin (one cycle every loop_wait): V8's
 * optimising compilers (Maglev, TurboFan) never pay for themselves there, yet
 * their code pages and compiled code stay resident. Without them the idle
 * agent is about 10 MiB smaller (RssFile -5.5, RssAnon -4.5) at the same CPU;
 * the interpreter and the baseline compiler still run everything. Set before
 * the agent's modules are loaded, so nothing is ever optimised. A command line
 * or NODE_OPTIONS that sets these flags itself wins.
 */
const own = `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`;
if (!/--(no-)?(opt|maglev|turbofan)\b/.test(own)) {
  setFlagsFromString('--no-opt');
  setFlagsFromString('--no-maglev');
}

const { runAgentCli } = await import('../agent-cli.js');
process.exitCode = await runAgentCli(process.argv.slice(2));
