/**
 * The interactive part of edit-config: write the YAML to a temporary file,
 * open `$EDITOR` (else `editor`, else `vi`) on the terminal, read it back.
 */
import { PgwardenError } from '@pgwarden/core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function editorCommand(env: NodeJS.ProcessEnv): string {
  if (env['EDITOR']) return env['EDITOR'];
  for (const candidate of ['editor', 'vi']) {
    if (spawnSync('sh', ['-c', `command -v ${candidate}`], { stdio: 'ignore', env }).status === 0) return candidate;
  }
  throw new PgwardenError('no-editor', 'No editor found: set $EDITOR, or use --set/--pg/--apply/--replace');
}

export function editInEditor(text: string, clusterName: string, env: NodeJS.ProcessEnv = process.env): string {
  const editor = editorCommand(env);
  const dir = mkdtempSync(join(tmpdir(), `pgwardenctl-${clusterName}-`));
  const file = join(dir, `${clusterName}-config.yaml`);
  try {
    writeFileSync(file, text, { mode: 0o600 });
    // Through the shell so that EDITOR="code --wait" works as it does for git.
    const result = spawnSync('sh', ['-c', `${editor} "$1"`, 'editor', file], { stdio: 'inherit', env });
    if (result.status !== 0) throw new PgwardenError('editor-failed', `Editor ${editor} exited with status ${result.status ?? result.signal}`);
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
