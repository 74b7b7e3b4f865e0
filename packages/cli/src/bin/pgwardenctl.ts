#!/usr/bin/env node
// The operator CLI, patronictl-compatible. See packages/cli/README.md.
import { runCtl } from '../ctl/main.js';

process.exitCode = await runCtl(process.argv.slice(2));
