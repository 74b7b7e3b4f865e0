#!/usr/bin/env node
// Copies every ```ts block of the package READMEs into readme-snippets/ (one
// module each, named after its package and line), so that `tsc` checks the
// snippets people copy against the packages' real types. Run by `typecheck`.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const examples = dirname(dirname(fileURLToPath(import.meta.url)));
const packages = join(examples, '..', 'packages');
const target = join(examples, 'readme-snippets');
rmSync(target, { recursive: true, force: true });
mkdirSync(target);

let count = 0;
for (const name of readdirSync(packages).sort()) {
  const readme = join(packages, name, 'README.md');
  if (!existsSync(readme)) continue;
  const lines = readFileSync(readme, 'utf8').split('\n');
  let start = -1;
  for (const [index, line] of lines.entries()) {
    if (start < 0 && /^```(ts|typescript)\s*$/.test(line)) start = index;
    else if (start >= 0 && /^```\s*$/.test(line)) {
      const body = lines.slice(start + 1, index).join('\n');
      const file = join(target, `${name}-line-${start + 1}.ts`);
      // `export {}` keeps each snippet a module of its own (top-level await, no shared names).
      writeFileSync(file, `// packages/${name}/README.md line ${start + 1}\n${body}\nexport {};\n`);
      count += 1;
      start = -1;
    }
  }
}
process.stdout.write(`readme snippets: ${count} written to ${target}\n`);
