/** Entry of the `pgwarden` bin. Filled in by the configuration and agent work. */
export async function runAgentCli(argv: readonly string[]): Promise<number> {
  process.stderr.write(`pgwarden: not implemented yet (${argv.join(' ')})\n`);
  return 1;
}
