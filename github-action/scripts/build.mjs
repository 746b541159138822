// Bundles the action's entry points with their node_modules, so the action runs without `npm install`:
// OUTROOT/dist/ (main, post, renewer; shared chunks) and OUTROOT/end/dist/end.js (the end action's own,
// self-contained copy: the runner runs `main` from the directory of end/action.yml). OUTROOT defaults to this
// package. Paths are resolved from this package and the output names only package-relative paths, so a rebuild
// elsewhere is byte-identical (scripts/check-dist.mjs).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outRoot = resolve(root, process.argv[2] ?? '.');
const OUTPUT_DIRS = ['dist', 'end/dist'];

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  // action.yml runs node24; nothing here needs syntax newer than node20, so the bundle also runs the tests on 20.
  target: 'node20',
  format: 'esm',
  // Bundled CommonJS dependencies call require() for node built-ins; ESM has none, so give them one.
  banner: { js: "import { createRequire as __taskboundCreateRequire } from 'node:module';\nconst require = __taskboundCreateRequire(import.meta.url);" },
  legalComments: 'eof',
  logLevel: 'warning',
};

// Start empty: a chunk left over from an earlier build would otherwise stay.
for (const d of OUTPUT_DIRS) {
  rmSync(join(outRoot, d), { recursive: true, force: true });
}

await build({
  ...common,
  entryPoints: ['src/main.ts', 'src/post.ts', 'src/renewer.ts'],
  outdir: join(outRoot, 'dist'),
  // The entry points share @actions/core and its HTTP client: one chunk instead of a copy in each.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});

await build({ ...common, entryPoints: ['src/end.ts'], outdir: join(outRoot, 'end/dist') });
