/** Entry of the `pgwardenctl` bin. Filled in by the CLI work. */
export async function runCtl(argv: readonly string[]): Promise<number> {
  process.stderr.write(`pgwardenctl: not implemented yet (${argv.join(' ')})\n`);
  return 1;
}
