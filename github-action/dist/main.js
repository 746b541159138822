import { createRequire as __taskboundCreateRequire } from 'node:module';
const require = __taskboundCreateRequire(import.meta.url);
import {
  actionHooks,
  endAndReport,
  exportVariable,
  getBooleanInput,
  getIDToken,
  getInput,
  info,
  saveState,
  setFailed,
  setOutput,
  startRenewer,
  warning
} from "./chunks/chunk-EICGUTSZ.js";
import {
  IssuerClient,
  TaskSession,
  errorMessage
} from "./chunks/chunk-Z7DHDB4J.js";

// src/main.ts
import { tmpdir } from "node:os";

// src/attestation.ts
import { readFileSync } from "node:fs";
async function githubAttestationToken(audience) {
  if (!process.env.ACTIONS_ID_TOKEN_REQUEST_URL || !process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    if (isForkPullRequest()) {
      throw new Error(
        "this job runs for a pull request from a fork, and GitHub gives such jobs no OIDC token (whatever `permissions:` says), so there is nothing to attest with. Run Taskbound only for pushes and same-repository pull requests, e.g. `if: github.event.pull_request.head.repo.full_name == github.repository`"
      );
    }
    throw new Error(
      "the job has no GitHub OIDC token to attest with: add `permissions: id-token: write` to the job or workflow"
    );
  }
  try {
    return await getIDToken(audience);
  } catch (e) {
    throw new Error(`could not get the job's GitHub OIDC token: ${e instanceof Error ? e.message : String(e)}`);
  }
}
function isForkPullRequest() {
  if (!(process.env.GITHUB_EVENT_NAME ?? "").startsWith("pull_request") || process.env.GITHUB_EVENT_NAME === "pull_request_target") {
    return false;
  }
  try {
    const event = JSON.parse(readFileSync(process.env.GITHUB_EVENT_PATH ?? "", "utf8"));
    const head = event.pull_request?.head?.repo;
    const base = event.pull_request?.base?.repo;
    return head === null || head?.full_name !== void 0 && head.full_name !== base?.full_name;
  } catch {
    return false;
  }
}

// src/inputs.ts
var WORKLOAD_API_UNSUPPORTED = 'workload-api: true is not supported by this action. The per-step SPIFFE Workload API is served by the taskbound CLI (Java 17 and taskbound.jar): run your command with `java -jar taskbound.jar run --workload-api --audience \u2026 -- CMD` in a run step instead (docs/github-actions.md, "Workload API").';
function readInputs() {
  const issuerUrl = getInput("issuer-url", { required: true });
  if (getInput("workload-api") !== "" && getBooleanInput("workload-api")) {
    throw new Error(WORKLOAD_API_UNSUPPORTED);
  }
  const run = getInput("run", { trimWhitespace: false });
  return {
    issuerUrl,
    audiences: parseAudiences(getInput("audiences")),
    exchangeAudiences: parseAudiences(getInput("exchange-audiences")),
    awsRoleArn: getInput("aws-role-arn") || null,
    attestationAudience: getInput("attestation-audience") || null,
    run: run.trim() === "" ? null : run,
    shell: getInput("shell") || "bash",
    ttl: getInput("ttl") || null,
    workingDirectory: getInput("working-directory") || null
  };
}
function parseAudiences(text) {
  const audiences = text.split(/[\n,]/).map((a) => a.trim()).filter((a) => a !== "");
  return [...new Set(audiences)];
}

// src/job-export.ts
function exportJobScoped(session, awsRoleArn) {
  for (const [name, value] of Object.entries(session.environment(awsRoleArn))) {
    exportVariable(name, value);
  }
  const svids = session.svids;
  if (svids !== null) {
    startRenewer(session.directory, svids.renew_after);
  }
  info(
    `Taskbound: task ${session.taskId} is active for the rest of the job as ${session.spiffeId}; it ends when the job ends (post) or at the end action`
  );
}

// src/step-run.ts
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// src/command-group.ts
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync as readFileSync2 } from "node:fs";
var SIGTERM_AFTER_MS = 7500;
var SIGKILL_AFTER_SIGTERM_MS = 1500;
var GROUP_POLL_MS = 100;
var AFTER_SIGKILL_WAIT_MS = 1e3;
function runInProcessGroup(file, args, cwd, env, log) {
  return new Promise((resolve) => {
    let cancelledBy = null;
    let termTimer = null;
    let killTimer = null;
    let killedAt = null;
    let leaderExit = null;
    let settled = false;
    const child = spawn(file, args, { cwd: cwd ?? void 0, env, stdio: "inherit", detached: true });
    const pgid = child.pid;
    const sendKill = () => {
      killTimer = null;
      if (pgid !== void 0 && groupAlive(pgid)) {
        log.warning(`Taskbound: the command's processes outlived SIGTERM; sending SIGKILL to its process group`);
        signalGroup(pgid, "SIGKILL");
      }
      killedAt = Date.now();
    };
    const sendTerm = (why) => {
      if (termTimer !== null) {
        clearTimeout(termTimer);
        termTimer = null;
      }
      if (pgid !== void 0 && groupAlive(pgid)) {
        log.info(`Taskbound: ${why}; sending SIGTERM to the command's process group`);
        signalGroup(pgid, "SIGTERM");
      }
      if (killTimer === null && killedAt === null) {
        killTimer = setTimeout(sendKill, SIGKILL_AFTER_SIGTERM_MS);
      }
    };
    const onSignal = (signal) => {
      const first = cancelledBy === null;
      cancelledBy ??= signal;
      if (pgid === void 0) {
        return;
      }
      if (signal === "SIGTERM") {
        sendTerm("the runner sent SIGTERM");
      } else if (first) {
        signalGroup(pgid, signal);
        termTimer = setTimeout(() => sendTerm(`the command's processes outlived ${signal}`), SIGTERM_AFTER_MS);
      }
    };
    const onSigint = () => onSignal("SIGINT");
    const onSigterm = () => onSignal("SIGTERM");
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigterm);
    const settle = (e, groupStopped) => {
      if (settled) {
        return;
      }
      settled = true;
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
      for (const t of [termTimer, killTimer]) {
        if (t !== null) {
          clearTimeout(t);
        }
      }
      resolve({ ...e, cancelledBy, groupStopped });
    };
    const waitForGroup = () => {
      if (leaderExit === null) {
        return;
      }
      if (cancelledBy === null || pgid === void 0 || !groupAlive(pgid)) {
        return settle({ ...leaderExit, startError: null }, true);
      }
      if (killedAt !== null && Date.now() - killedAt >= AFTER_SIGKILL_WAIT_MS) {
        log.warning(`Taskbound: some of the command's processes outlived SIGKILL (stuck in the kernel?)`);
        return settle({ ...leaderExit, startError: null }, false);
      }
      setTimeout(waitForGroup, GROUP_POLL_MS);
    };
    child.once("error", (startError) => settle({ code: null, signal: null, startError }, true));
    child.once("exit", (code, signal) => {
      leaderExit = { code, signal };
      waitForGroup();
    });
  });
}
function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
  }
}
function groupAlive(pgid) {
  if (!existsSync("/proc/self/stat")) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let stat;
    try {
      stat = readFileSync2(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") {
      return true;
    }
  }
  return false;
}

// src/shell-command.ts
var KNOWN = {
  bash: { template: "bash --noprofile --norc -eo pipefail {0}", ext: ".sh" },
  sh: { template: "sh -e {0}", ext: ".sh" },
  python: { template: "python {0}", ext: ".py" },
  pwsh: { template: "pwsh -NoLogo -NoProfile -NonInteractive -File {0}", ext: ".ps1" }
};
function shellCommand(shell, scriptBase) {
  const known = KNOWN[shell.trim()];
  const template = known?.template ?? shell.trim();
  const ext = known?.ext ?? "";
  const parts = template.split(/\s+/).filter((p) => p !== "");
  if (!parts.includes("{0}")) {
    throw new Error(`shell '${shell}' is neither bash, sh, python or pwsh nor a command template with {0} for the script`);
  }
  const scriptPath = scriptBase + ext;
  const argv = parts.map((p) => p === "{0}" ? scriptPath : p);
  return { file: argv[0], args: argv.slice(1), scriptPath };
}

// src/step-run.ts
var END_RETRY_ON_CANCEL_SECONDS = 2;
async function runStepScoped(inputs, session, runnerTemp) {
  const svids = session.svids;
  if (svids !== null) {
    session.startRenewing(svids.renew_after, (reason2) => warning(`Taskbound: renewal stopped: ${reason2}`));
  }
  const scriptDir = mkdtempSync(join(runnerTemp, "taskbound-run-"));
  let exit;
  try {
    const command = shellCommand(inputs.shell, join(scriptDir, "run"));
    writeFileSync(command.scriptPath, inputs.run ?? "", { mode: 384 });
    exit = await runInProcessGroup(
      command.file,
      command.args,
      inputs.workingDirectory,
      { ...process.env, ...session.environment(inputs.awsRoleArn) },
      { info: (m) => info(m), warning: (m) => warning(m) }
    );
  } finally {
    rmSync(scriptDir, { recursive: true, force: true });
  }
  const { outcome, reason } = describe(exit);
  await endAndReport(
    session,
    "step",
    outcome,
    reason,
    "the step",
    exit.cancelledBy !== null ? END_RETRY_ON_CANCEL_SECONDS : void 0
  );
  if (outcome !== "succeeded") {
    setFailed(`Taskbound: ${reason}`);
  }
}
function describe(exit) {
  if (exit.cancelledBy !== null) {
    return { outcome: "aborted", reason: `the step was cancelled (${exit.cancelledBy})` };
  }
  if (exit.startError !== null) {
    return { outcome: "failed", reason: `the command could not start: ${exit.startError.message}` };
  }
  if (exit.signal !== null) {
    return { outcome: "aborted", reason: `the command was killed by ${exit.signal}` };
  }
  if (exit.code === 0) {
    return { outcome: "succeeded", reason: "the command exited with 0" };
  }
  return { outcome: "failed", reason: `the command exited with ${exit.code}` };
}

// src/main.ts
async function main() {
  const inputs = readInputs();
  const client = new IssuerClient(inputs.issuerUrl);
  const runnerTemp = process.env.RUNNER_TEMP || tmpdir();
  const attestationToken = await githubAttestationToken(inputs.attestationAudience ?? client.issuerUrl);
  const session = await TaskSession.begin({
    client,
    attestationToken,
    audiences: inputs.audiences,
    exchangeAudiences: inputs.exchangeAudiences,
    ttl: inputs.ttl ?? void 0,
    directoryParent: runnerTemp,
    hooks: actionHooks
  });
  const scope = inputs.run !== null ? "step" : "job";
  saveState({ directory: session.directory.path, scope, taskId: session.taskId });
  info(`Taskbound: began ${scope}-scoped task ${session.taskId} as ${session.spiffeId} (expires ${session.svids?.expires_at})`);
  setOutputs(session, scope);
  if (inputs.run !== null) {
    await runStepScoped(inputs, session, runnerTemp);
  } else {
    exportJobScoped(session, inputs.awsRoleArn);
  }
}
function setOutputs(session, scope) {
  setOutput("task-id", session.taskId);
  setOutput("spiffe-id", session.spiffeId);
  setOutput("expires-at", session.svids?.expires_at ?? "");
  if (scope === "step") {
    return;
  }
  const tokenFiles = session.tokenFiles();
  setOutput("svid-dir", session.directory.path);
  setOutput("token-files", JSON.stringify(Object.fromEntries(tokenFiles)));
  setOutput("token-file", tokenFiles.values().next().value ?? "");
  setOutput("downstream-token-files", JSON.stringify(Object.fromEntries(session.downstreamFiles())));
}
main().catch((e) => setFailed(`Taskbound: ${errorMessage(e)}`));
