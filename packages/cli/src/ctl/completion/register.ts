/**
 * `pgwardenctl completion bash|zsh`: shell completion generated from the
 * command definitions, so it never drifts from them. Install with
 * `source <(pgwardenctl completion bash)` or
 * `pgwardenctl completion zsh > "${fpath[1]}/_pgwardenctl"`.
 */
import { Argument, type Command } from 'commander';
import type { CtlIo } from '../io.js';
import type { Runner } from '../program.js';
import { bashCompletion, describeCommands, zshCompletion } from './scripts.js';

export function registerCompletion(program: Command, _runner: Runner, io: CtlIo): void {
  program
    .command('completion')
    .description('Print a shell completion script: source <(pgwardenctl completion bash)')
    .addArgument(new Argument('<SHELL>', 'bash or zsh').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh') => {
      const spec = describeCommands(program);
      io.out((shell === 'bash' ? bashCompletion(spec) : zshCompletion(spec)).trimEnd());
    });
}
