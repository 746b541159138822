// Fails when dist/ or end/dist/ is not what the sources build to: rebuilds into a temporary directory and compares
// file by file. Fix with `npm run build` and commit both with the source change.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fresh = mkdtempSync(join(tmpdir(), 'taskbound-dist-'));
try {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), fresh], { stdio: 'inherit' });
  const names = new Set(
    ['dist', 'end/dist'].flatMap((d) => [...safeList(join(fresh, d)), ...safeList(join(root, d))].map((n) => join(d, n))),
  );
  const differing = [...names].filter((n) => !same(join(fresh, n), join(root, n)));
  if (differing.length > 0) {
    console.error(`dist/ does not match the sources (${differing.join(', ')}): run \`npm run build\` and commit dist/ and end/dist/`);
    process.exit(1);
  }
  console.log(`dist/ and end/dist/ match the sources (${names.size} files)`);
} finally {
  rmSync(fresh, { recursive: true, force: true });
}

function safeList(dir) {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)));
  } catch {
    return [];
  }
}

function same(a, b) {
  try {
    return readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
}
