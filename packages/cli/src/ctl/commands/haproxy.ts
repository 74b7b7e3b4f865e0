/** `haproxy`: filled in with @pgwarden/haproxy-gen. */
import type { Command } from 'commander';
import type { Runner } from '../program.js';

export function registerHaproxy(_program: Command, _runner: Runner): void {}
