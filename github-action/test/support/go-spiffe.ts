import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ACTION_ROOT } from './issuer.js';

/** The CLI tests' go-spiffe client (spiffe-issuer/cli/src/test/go), built from there, not copied. */
const SOURCE = resolve(ACTION_ROOT, '../spiffe-issuer/cli/src/test/go');

/**
 * Builds gospiffecheck into build/; returns null (with why) when it cannot be built here: no `go` on the PATH, or
 * go-spiffe's modules neither cached nor downloadable — as the CLI's GoSpiffeTest skips.
 */
export function buildGoSpiffeCheck(): { binary: string } | { skip: string } {
  const binary = join(ACTION_ROOT, 'build/gospiffecheck');
  const build = spawnSync('go', ['build', '-o', binary, '.'], { cwd: SOURCE, encoding: 'utf8' });
  if (build.error !== undefined) {
    return { skip: `go is not on the PATH: ${build.error.message}` };
  }
  if (build.status !== 0) {
    const output = `${build.stdout}${build.stderr}`;
    if (/dial tcp|proxy\.golang\.org|GOFLAGS=-mod=mod|missing go\.sum entry|lookup /.test(output)) {
      return { skip: `go-spiffe modules unavailable offline: ${output}` };
    }
    throw new Error(`go build of ${SOURCE} failed:\n${output}`);
  }
  return { binary };
}
