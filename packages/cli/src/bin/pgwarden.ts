#!/usr/bin/env node
// The agent: `pgwarden CONFIG`. See packages/cli/README.md.
import { runAgentCli } from '../agent-cli.js';

process.exitCode = await runAgentCli(process.argv.slice(2));
