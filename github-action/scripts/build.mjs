// Bundles the action's entry points with their node_modules into OUTDIR (default dist/), so the action runs
// without `npm install`. Run from anywhere: paths are resolved from this package, and the output names only
// package-relative paths, so a rebuild into another directory is byte-identical (scripts/check-dist.mjs).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(root, process.argv[2] ?? 'dist');

// Start empty: a chunk left over from an earlier build would otherwise stay in dist/.
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: ['src/main.ts', 'src/post.ts', 'src/end.ts', 'src/renewer.ts'],
  outdir,
  bundle: true,
  // The entry points share @actions/core and its HTTP client: one chunk instead of a copy in each.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Bundled CommonJS dependencies call require() for node built-ins; ESM has none, so give them one.
  banner: { js: "import { createRequire as __taskboundCreateRequire } from 'node:module';\nconst require = __taskboundCreateRequire(import.meta.url);" },
  legalComments: 'eof',
  logLevel: 'warning',
});
