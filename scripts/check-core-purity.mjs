// packages/core must stay pure: no I/O, no clocks, no timers, no randomness.
// Fails with the offending lines so that CI refuses an impure core.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const forbidden = [
  [/from\s+['"](node:[^'"]+|fs|net|http|https|child_process|os|dgram|dns|tls|worker_threads|process)['"]/, 'imports a Node.js module'],
  [/\bimport\(\s*['"]node:/, 'imports a Node.js module'],
  [/\bDate\.now\(/, 'reads the clock'],
  [/\bnew Date\(\s*\)/, 'reads the clock'],
  [/\bperformance\.now\(/, 'reads the clock'],
  [/\bMath\.random\(/, 'uses randomness'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\(/, 'uses a timer'],
  [/\bprocess\.(env|argv|exit|hrtime|cwd)\b/, 'reads the process'],
  [/\bconsole\./, 'writes to the console'],
];

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) yield path;
  }
}

export function findImpurities(root) {
  const problems = [];
  for (const file of walk(root)) {
    readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
      if (/^\s*(\/\/|\*)/.test(line)) return;
      for (const [pattern, why] of forbidden) {
        if (pattern.test(line)) problems.push(`${file}:${index + 1}: ${why}: ${line.trim()}`);
      }
    });
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = findImpurities(process.argv[2] ?? 'packages/core/src');
  if (problems.length > 0) {
    console.error(`packages/core must stay pure:\n${problems.join('\n')}`);
    process.exit(1);
  }
}
