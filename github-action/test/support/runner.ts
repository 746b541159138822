import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ACTION_ROOT } from './issuer.js';

/**
 * What the GitHub runner gives a JavaScript action, on disk: the file-command files (GITHUB_ENV, GITHUB_OUTPUT,
 * GITHUB_STATE, GITHUB_STEP_SUMMARY), RUNNER_TEMP, and the process it starts — `node dist/<entry>.js` with INPUT_*
 * for inputs and, for post, STATE_* from what main saved.
 */
export class FakeRunner {
  readonly root = mkdtempSync(join(tmpdir(), 'taskbound-runner-'));
  readonly temp = join(this.root, 'temp');
  readonly workspace = join(this.root, 'workspace');
  private readonly files = join(this.root, 'file_commands');

  constructor(private readonly baseEnv: Record<string, string>) {
    for (const d of [this.temp, this.workspace, this.files]) {
      mkdirSync(d, { recursive: true });
    }
  }

  /** Runs one action step; `onStart` sees the process (to cancel it). */
  async step(
    entry: 'main' | 'post' | 'end',
    inputs: Record<string, string>,
    opts: { state?: Record<string, string>; env?: Record<string, string>; onStart?: (pid: number) => void } = {},
  ): Promise<StepResult> {
    const id = `${entry}-${Date.now()}-${Math.random().toString(16).slice(2)}`;
    const fileFor = (name: string) => {
      const path = join(this.files, `${name}_${id}`);
      writeFileSync(path, '');
      return path;
    };
    const paths = {
      GITHUB_ENV: fileFor('set_env'),
      GITHUB_OUTPUT: fileFor('set_output'),
      GITHUB_STATE: fileFor('save_state'),
      GITHUB_STEP_SUMMARY: fileFor('step_summary'),
    };
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? this.root,
      RUNNER_TEMP: this.temp,
      GITHUB_WORKSPACE: this.workspace,
      GITHUB_ACTIONS: 'true',
      ...this.baseEnv,
      ...paths,
      ...opts.env,
    };
    for (const [name, value] of Object.entries(inputs)) {
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    }
    for (const [name, value] of Object.entries(opts.state ?? {})) {
      env[`STATE_${name}`] = value;
    }
    const child = spawn(process.execPath, [entryScript(entry)], {
      cwd: this.workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    if (child.pid !== undefined) {
      opts.onStart?.(child.pid);
    }
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    return {
      code,
      stdout,
      stderr,
      env: parseFileCommand(readFileSync(paths.GITHUB_ENV, 'utf8')),
      outputs: parseFileCommand(readFileSync(paths.GITHUB_OUTPUT, 'utf8')),
      state: parseFileCommand(readFileSync(paths.GITHUB_STATE, 'utf8')),
      summary: readFileSync(paths.GITHUB_STEP_SUMMARY, 'utf8'),
      rawEnvFile: readFileSync(paths.GITHUB_ENV, 'utf8'),
    };
  }

  cleanUp(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * The script the runner starts, resolved as the runner does: `runs.main` / `runs.post` of the action.yml, relative
 * to the directory that holds it (the end action's is github-action/end/).
 */
export function entryScript(entry: 'main' | 'post' | 'end'): string {
  const actionDir = entry === 'end' ? join(ACTION_ROOT, 'end') : ACTION_ROOT;
  const yml = readFileSync(join(actionDir, 'action.yml'), 'utf8');
  const runs = yml.slice(yml.search(/^runs:/m));
  const key = entry === 'post' ? 'post' : 'main';
  const m = new RegExp(`^\\s+${key}:\\s*(\\S+)\\s*$`, 'm').exec(runs);
  if (!m) {
    throw new Error(`no runs.${key} in ${actionDir}/action.yml`);
  }
  const script = resolve(actionDir, m[1]);
  if (!script.startsWith(actionDir + '/')) {
    throw new Error(`runs.${key} of ${actionDir}/action.yml leaves the action's directory: ${m[1]}`);
  }
  return script;
}

export interface StepResult {
  code: number | null;
  stdout: string;
  stderr: string;
  env: Record<string, string>;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  rawEnvFile: string;
}

/**
 * Parses a file-command file as the runner does: `name<<DELIMITER\nvalue\nDELIMITER` (multi-line) or `name=value`.
 * Later lines win.
 */
export function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') {
      continue;
    }
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) {
        throw new Error(`unterminated value of ${name}`);
      }
      values[name] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else {
      const eq = line.indexOf('=');
      values[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return values;
}

/** Lines a step printed, without the `::add-mask::` commands (which necessarily carry the secret to the runner). */
export function visibleOutput(r: StepResult): string {
  return (r.stdout + '\n' + r.stderr)
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}
