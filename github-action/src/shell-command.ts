/**
 * How the `run` script is started, following the `shell:` keyword of a workflow step: a known name, or a
 * template holding `{0}` for the script path (split at spaces; quote-free).
 */
export interface ShellCommand {
  file: string;
  args: string[];
  /** Where the script must be written (some interpreters insist on an extension). */
  scriptPath: string;
}

const KNOWN: Record<string, { template: string; ext: string }> = {
  bash: { template: 'bash --noprofile --norc -eo pipefail {0}', ext: '.sh' },
  sh: { template: 'sh -e {0}', ext: '.sh' },
  python: { template: 'python {0}', ext: '.py' },
  pwsh: { template: 'pwsh -NoLogo -NoProfile -NonInteractive -File {0}', ext: '.ps1' },
};

/** `scriptBase` is the script's path without extension. */
export function shellCommand(shell: string, scriptBase: string): ShellCommand {
  const known = KNOWN[shell.trim()];
  const template = known?.template ?? shell.trim();
  const ext = known?.ext ?? '';
  const parts = template.split(/\s+/).filter((p) => p !== '');
  if (!parts.includes('{0}')) {
    throw new Error(`shell '${shell}' is neither bash, sh, python or pwsh nor a command template with {0} for the script`);
  }
  const scriptPath = scriptBase + ext;
  const argv = parts.map((p) => (p === '{0}' ? scriptPath : p));
  return { file: argv[0], args: argv.slice(1), scriptPath };
}
