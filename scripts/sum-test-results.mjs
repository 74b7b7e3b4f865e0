// Sums vitest's per-package summaries ("Tests  3 failed | 40 passed | 1 skipped (44)")
// from a turbo log into one closing line "N passed, N failed, N skipped".
// Before it, names each failed test with the first line of its error, and each
// task turbo reports as failed, so the end of a long CI log says what broke.
// Exits 1 when no test ran at all, so an empty run never looks green.
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '').split('\n');
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
for (const [index, line] of lines.entries()) {
  const summary = /\bTests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (summary) {
    for (const [, count, kind] of summary[1].matchAll(/(\d+)\s+(passed|failed|skipped|todo)/g)) {
      totals[kind === 'todo' ? 'skipped' : kind] += Number(count);
    }
    continue;
  }
  // vitest's "Failed Tests" section: " FAIL  file > describe > test", the error on the next lines.
  const failed = /^(?:(\S+):test:)?\s*FAIL\s+(\S.*)$/.exec(line);
  if (failed) {
    const prefix = failed[1] === undefined ? '' : `${failed[1]}: `;
    const error = lines
      .slice(index + 1, index + 6)
      .map((next) => next.replace(/^\S+:test:/, '').trim())
      .find((next) => next !== '');
    failures.push(`FAILED ${prefix}${failed[2].trim()}${error === undefined ? '' : ` — ${error.slice(0, 300)}`}`);
    continue;
  }
  // turbo: "@pgwarden/daemon#test:  ERROR  command (/path) /usr/bin/npm run test exited (1)"
  const task = /^(\S+#\S+):\s+(?:ERROR\s+)?command .* exited \((\d+)\)/.exec(line);
  if (task) failures.push(`FAILED task ${task[1]} (exit ${task[2]})`);
}
for (const failure of [...new Set(failures)].slice(0, 40)) console.log(failure);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.passed + totals.failed === 0 || totals.failed > 0 ? 1 : 0);
