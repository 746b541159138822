import { createRequire as __taskboundCreateRequire } from 'node:module';
const require = __taskboundCreateRequire(import.meta.url);
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __require = /* @__PURE__ */ ((x) => typeof require !== "undefined" ? require : typeof Proxy !== "undefined" ? new Proxy(x, {
  get: (a, b) => (typeof require !== "undefined" ? require : a)[b]
}) : x)(function(x) {
  if (typeof require !== "undefined") return require.apply(this, arguments);
  throw Error('Dynamic require of "' + x + '" is not supported');
});
var __commonJS = (cb, mod) => function __require2() {
  try {
    return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
  } catch (e) {
    throw mod = 0, e;
  }
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// src/issuer-client.ts
function refreshAt(t) {
  return t.issuedAt + (t.expiresAt - t.issuedAt) / 2;
}
var TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
var JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
var IssuerError = class extends Error {
  constructor(message, problemType = null, status = null) {
    super(message);
    this.problemType = problemType;
    this.status = status;
  }
  problemType;
  status;
  name = "IssuerError";
  /** True when retrying cannot help: the issuer understood and refused. */
  get isRefusal() {
    return this.status !== null && this.status >= 400 && this.status < 500;
  }
};
var IssuerClient = class {
  constructor(issuerUrl, timeoutMs = 3e4) {
    this.timeoutMs = timeoutMs;
    this.issuerUrl = normaliseIssuerUrl(issuerUrl);
  }
  timeoutMs;
  issuerUrl;
  begin(request) {
    return this.json("begin the task", "POST", "/v1/tasks", null, request);
  }
  /** Begins a task, or learns that policy wants approvers first (202 with an approval request). */
  async start(request) {
    const response = await this.send("begin the task", "POST", "/v1/tasks", null, request);
    const body = await response.json();
    return response.status === 202 ? { approval: body } : { task: body };
  }
  /**
   * The approval request, long-polled: the issuer answers as soon as it changes, or after `waitSeconds` (it caps
   * the wait at 25 s) with the request still pending.
   */
  approval(approvalId, requestToken, waitSeconds, signal) {
    const path = `/v1/approvals/${encodeURIComponent(approvalId)}?wait=${Math.max(1, Math.floor(waitSeconds))}s`;
    return this.json("check the approval request", "GET", path, requestToken, void 0, waitSeconds * 1e3, signal);
  }
  /** Withdraws an approval request (the job was cancelled while it waited). */
  withdraw(approvalId, requestToken) {
    return this.json("withdraw the approval request", "DELETE", `/v1/approvals/${encodeURIComponent(approvalId)}`, requestToken);
  }
  /** The task of an approved request, for a fresh proof by the key given with the begin. */
  collect(approvalId, requestToken, proof) {
    return this.json("collect the approved task", "POST", `/v1/approvals/${encodeURIComponent(approvalId)}/task`, requestToken, { proof });
  }
  renew(taskId, controlToken) {
    return this.json("renew the task", "POST", `/v1/tasks/${encodeURIComponent(taskId)}/renew`, controlToken);
  }
  end(taskId, controlToken, outcome, reason) {
    const body = reason ? { outcome, reason: reason.slice(0, 1024) } : { outcome };
    return this.json("end the task", "POST", `/v1/tasks/${encodeURIComponent(taskId)}/end`, controlToken, body);
  }
  /**
   * Exchanges a JWT-SVID whose `aud` is this issuer for a downstream token for `audience` (RFC 8693, `POST /token`).
   * The issuer records it as a credential of the task and revokes it when the task ends. Errors are RFC 6749 JSON.
   */
  async exchange(subjectJwtSvid, audience) {
    const what = `exchange the task's JWT-SVID for a token for ${audience}`;
    const form = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token_type: JWT_TOKEN_TYPE,
      subject_token: subjectJwtSvid,
      audience
    });
    const issuedAt = Date.now();
    let response;
    try {
      response = await fetch(this.issuerUrl + "/token", {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: "error"
      });
    } catch (e) {
      throw new IssuerError(`could not reach the issuer at ${this.issuerUrl} to ${what}: ${networkCause(e)}`);
    }
    if (!response.ok) {
      throw await oauthError(what, response);
    }
    const answer = await response.json();
    if (typeof answer.access_token !== "string" || typeof answer.expires_in !== "number" || answer.expires_in <= 0) {
      throw new IssuerError(`the issuer's answer to ${what} has no access_token or expires_in`);
    }
    return { audience, token: answer.access_token, issuedAt, expiresAt: issuedAt + answer.expires_in * 1e3 };
  }
  async evidenceBundle(taskId) {
    const response = await this.send("download the evidence bundle", "GET", `/evidence/tasks/${encodeURIComponent(taskId)}`);
    return Buffer.from(await response.arrayBuffer());
  }
  /** The issuer's SPIFFE bundle document (JWKS form, `GET /bundle`): its JWT authorities for the Workload API. */
  async bundleJson() {
    const response = await this.send("download the trust bundle", "GET", "/bundle");
    return response.text();
  }
  async evidenceKey() {
    const response = await this.send("download the evidence key", "GET", "/evidence/key");
    return (await response.text()).trim();
  }
  async json(what, method, path, bearer, body, extraMs = 0, signal) {
    const response = await this.send(what, method, path, bearer, body, extraMs, signal);
    return await response.json();
  }
  async send(what, method, path, bearer = null, body, extraMs = 0, signal) {
    const headers = { accept: "application/json" };
    if (bearer !== null) {
      headers.authorization = `Bearer ${bearer}`;
    }
    if (body !== void 0) {
      headers["content-type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(this.issuerUrl + path, {
        method,
        headers,
        body: body === void 0 ? void 0 : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs + extraMs)]) : AbortSignal.timeout(this.timeoutMs + extraMs),
        redirect: "error"
      });
    } catch (e) {
      throw new IssuerError(`could not reach the issuer at ${this.issuerUrl} to ${what}: ${networkCause(e)}`);
    }
    if (!response.ok) {
      throw await problem(what, response);
    }
    return response;
  }
};
function normaliseIssuerUrl(url) {
  const parsed = new URL(url.trim());
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new Error(`issuer-url must be an https URL, got ${parsed.protocol}`);
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw new Error("issuer-url must not carry a query, fragment or credentials");
  }
  return parsed.toString().replace(/\/+$/, "");
}
async function problem(what, response) {
  let type = null;
  let detail = "";
  try {
    const body = await response.json();
    if (typeof body.type === "string") {
      type = body.type.replace(/^.*\//, "");
    }
    if (typeof body.detail === "string") {
      detail = body.detail;
    }
  } catch {
  }
  const named = type ?? `HTTP ${response.status}`;
  const message = `the issuer refused to ${what}: ${named} (${response.status})${detail ? `: ${detail}` : ""}`;
  return new IssuerError(message, type, response.status);
}
async function oauthError(what, response) {
  let error = null;
  let description = "";
  try {
    const body = await response.json();
    if (typeof body.error === "string") {
      error = body.error;
    }
    if (typeof body.error_description === "string") {
      description = body.error_description;
    }
  } catch {
  }
  const named = error ?? `HTTP ${response.status}`;
  return new IssuerError(
    `the issuer refused to ${what}: ${named} (${response.status})${description ? `: ${description}` : ""}`,
    error,
    response.status
  );
}
function networkCause(e) {
  if (e instanceof Error && e.name === "TimeoutError") {
    return "timed out";
  }
  const cause = e instanceof Error ? e.cause : void 0;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

// src/approval-wait.ts
function waitingLine(a) {
  return `waiting for approval by ${a.approvers}${a.min_approvers > 1 ? ` (${a.min_approvers} approvers)` : ""}: ${a.url} (request ${a.approval_id}, expires ${a.expires_at})`;
}
var HELD_AT_LEAST_MS = 500;
var POLL_MIN_MS = 1e3;
var POLL_MAX_MS = 15e3;
async function awaitApproval(client, key, request, hooks) {
  const token = request.request_token;
  if (!token) {
    throw new IssuerError(`the issuer's approval request ${request.approval_id} carries no request token`);
  }
  await hooks.onPending(request);
  {
    let now = request;
    let quick = 0;
    let failures = 0;
    for (; ; ) {
      if (hooks.signal?.aborted) {
        await client.withdraw(request.approval_id, token).catch(() => void 0);
        throw new IssuerError(`cancelled while waiting for approval; request ${request.approval_id} withdrawn`, "approval-withdrawn");
      }
      if (now.status === "approved") {
        return await client.collect(request.approval_id, token, key.proofForApproval(client.issuerUrl, request.approval_id));
      }
      if (now.status !== "pending") {
        throw refused(now);
      }
      const asked = Date.now();
      try {
        const next = await client.approval(request.approval_id, token, hooks.longPollSeconds ?? 25, hooks.signal);
        failures = 0;
        const unchanged = next.status === now.status && (next.approved_by ?? []).join() === (now.approved_by ?? []).join();
        if (unchanged && Date.now() - asked < HELD_AT_LEAST_MS) {
          await sleep(Math.min(POLL_MAX_MS, POLL_MIN_MS * 2 ** quick++), hooks.signal);
        }
        now = next;
      } catch (e) {
        if (hooks.signal?.aborted) {
          continue;
        }
        if (e instanceof IssuerError && e.isRefusal) {
          throw e;
        }
        await sleep(Math.min(POLL_MAX_MS, POLL_MIN_MS * 2 ** failures++), hooks.signal);
      }
    }
  }
}
function refused(a) {
  switch (a.status) {
    case "denied":
      return new IssuerError(`approval denied by ${a.denied_by}: ${a.reason}`, "approval-denied", 403);
    case "expired":
      return new IssuerError(
        `approval request ${a.approval_id} expired at ${a.expires_at} without approval by ${a.approvers}`,
        "approval-expired",
        410
      );
    default:
      return new IssuerError(`approval request ${a.approval_id} is ${a.status}`, "approval-withdrawn", 410);
  }
}
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

// src/credential-directory.ts
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// src/audience-names.ts
import { createHash } from "node:crypto";
var MAX_FILE_PART = 180;
function tokenFileName(audience) {
  return `jwt_svid.${filePart(audience)}.token`;
}
function downstreamFileName(audience) {
  return `downstream.${filePart(audience)}.token`;
}
function filePart(audience) {
  const part = escape(audience, (c) => /[A-Za-z0-9.-]/.test(c), false);
  return part.length > MAX_FILE_PART ? "_h" + createHash("sha256").update(audience, "utf8").digest("hex") : part;
}
function environmentSuffix(audience) {
  return escape(audience, (c) => /[a-z0-9]/.test(c), true);
}
function escape(audience, keep, upperCase) {
  let out = "";
  for (const byte of Buffer.from(audience, "utf8")) {
    const c = String.fromCharCode(byte);
    if (byte < 128 && keep(c)) {
      out += upperCase ? c.toUpperCase() : c;
    } else {
      out += "_" + byte.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return out;
}

// src/credential-directory.ts
var SVID_FILE = "svid.pem";
var KEY_FILE = "svid_key.pem";
var BUNDLE_FILE = "bundle.pem";
var DEFAULT_JWT_FILE = "jwt_svid.token";
var STATE_FILE = ".taskbound-state.json";
var DOWNSTREAM_STATE_FILE = ".taskbound-downstream.json";
var CredentialDirectory = class _CredentialDirectory {
  constructor(path) {
    this.path = path;
  }
  path;
  static create(parent) {
    const path = mkdtempSync(join(parent, "taskbound-"));
    chmodSync(path, 448);
    return new _CredentialDirectory(path);
  }
  /** A directory made earlier (maybe already wiped); refused when it exists and others can enter it. */
  static fromPath(path) {
    if (existsSync(path)) {
      const mode = statSync(path).mode & 511;
      if (mode !== 448) {
        throw new Error(`credential directory ${path} has mode ${mode.toString(8)}, expected 700`);
      }
    }
    return new _CredentialDirectory(path);
  }
  exists() {
    return existsSync(this.path);
  }
  /** Writes (or rewrites, on renewal) every credential file; the key is written once, at begin. */
  writeSvids(svids, audiences) {
    this.writeAtomically(SVID_FILE, svids.x509_svid_chain_pem);
    this.writeAtomically(BUNDLE_FILE, svids.bundle_pem);
    for (const jwt of svids.jwt_svids) {
      this.writeAtomically(tokenFileName(jwt.audience), jwt.token);
      if (jwt.audience === audiences[0]) {
        this.writeAtomically(DEFAULT_JWT_FILE, jwt.token);
      }
    }
  }
  /** Writes (or rewrites, on refresh) `downstream.<audience>.token` for each token. */
  writeDownstream(tokens) {
    for (const t of tokens) {
      this.writeAtomically(downstreamFileName(t.audience), t.token);
    }
  }
  downstreamFile(audience) {
    return this.file(downstreamFileName(audience));
  }
  writeDownstreamLifetimes(lifetimes) {
    this.writeAtomically(DOWNSTREAM_STATE_FILE, JSON.stringify(lifetimes));
  }
  readDownstreamLifetimes() {
    try {
      return JSON.parse(readFileSync(this.file(DOWNSTREAM_STATE_FILE), "utf8"));
    } catch {
      return [];
    }
  }
  writePrivateKey(pem) {
    this.writeAtomically(KEY_FILE, pem);
  }
  /** audience → token file path, in request order, for the audiences the issuer minted. */
  tokenFiles(svids, audiences) {
    const minted = new Set(svids.jwt_svids.map((j) => j.audience));
    return new Map(audiences.filter((a) => minted.has(a)).map((a) => [a, this.file(tokenFileName(a))]));
  }
  writeState(state) {
    this.writeAtomically(STATE_FILE, JSON.stringify(state));
  }
  readState() {
    try {
      return JSON.parse(readFileSync(this.file(STATE_FILE), "utf8"));
    } catch {
      return null;
    }
  }
  /** Every JWT-SVID and downstream token the directory holds now (`*.token`), for masking. */
  currentTokens() {
    try {
      return readdirSync(this.path).filter((n) => n.endsWith(".token") && !n.startsWith(".")).map((n) => readFileSync(this.file(n), "utf8").trim()).filter((t) => t !== "");
    } catch {
      return [];
    }
  }
  file(name) {
    return join(this.path, name);
  }
  writeAtomically(name, content) {
    const temp = this.file(`.${name}.${randomBytes(6).toString("hex")}.tmp`);
    writeFileSync(temp, content, { mode: 384, flag: "wx" });
    renameSync(temp, this.file(name));
  }
  /** Deletes the directory and everything in it. Overwriting first buys nothing on journaling file systems. */
  wipe() {
    rmSync(this.path, { recursive: true, force: true });
  }
};

// src/credential-environment.ts
var AWS_STS_AUDIENCE = "sts.amazonaws.com";
function credentialEnvironment(c) {
  const env = {
    TASKBOUND_SVID_DIR: c.directory,
    TASKBOUND_TASK_ID: c.taskId,
    TASKBOUND_SPIFFE_ID: c.spiffeId,
    TASKBOUND_ISSUER_URL: c.issuerUrl
  };
  for (const [audience, file] of c.tokenFiles) {
    env[`TASKBOUND_JWT_${environmentSuffix(audience)}_FILE`] = file;
  }
  if (c.tokenFiles.size > 0) {
    env.TASKBOUND_JWT_SVID_FILE = `${c.directory}/${DEFAULT_JWT_FILE}`;
  }
  for (const [audience, file] of c.downstreamFiles ?? []) {
    env[`TASKBOUND_DOWNSTREAM_${environmentSuffix(audience)}_FILE`] = file;
  }
  const sts = c.downstreamFiles?.get(AWS_STS_AUDIENCE) ?? c.tokenFiles.get(AWS_STS_AUDIENCE);
  if (sts !== void 0) {
    env.AWS_WEB_IDENTITY_TOKEN_FILE = sts;
  }
  if (c.awsRoleArn) {
    env.AWS_ROLE_ARN = c.awsRoleArn;
  }
  return env;
}

// src/task-key.ts
import { createHash as createHash2, generateKeyPairSync, randomUUID, sign } from "node:crypto";
var PROOF_TYPE = "taskbound-pop+jwt";
var TaskKey = class _TaskKey {
  constructor(privateKey, publicJwk) {
    this.privateKey = privateKey;
    this.publicJwk = publicJwk;
  }
  privateKey;
  publicJwk;
  static generate() {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    return new _TaskKey(privateKey, { kty: "EC", crv: "P-256", x: String(jwk.x), y: String(jwk.y) });
  }
  /** Unencrypted PKCS#8 PEM, for `svid_key.pem`. */
  privateKeyPem() {
    return this.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  }
  /** Unencrypted PKCS#8 DER, as the Workload API sends it (`x509_svid_key`). */
  privateKeyDer() {
    return this.privateKey.export({ format: "der", type: "pkcs8" });
  }
  /**
   * A compact ES256 JWS over {aud, iat, jti, attestation_sha256}: binds this key to one attestation and one issuer,
   * so the pair cannot be replayed elsewhere. JOSE wants the raw r‖s signature, not DER (RFC 7518 §3.4).
   */
  proofOfPossession(issuerUrl, attestationToken, now = /* @__PURE__ */ new Date()) {
    const header = { alg: "ES256", typ: PROOF_TYPE };
    const claims = {
      aud: issuerUrl,
      iat: Math.floor(now.getTime() / 1e3),
      jti: randomUUID(),
      attestation_sha256: createHash2("sha256").update(attestationToken, "utf8").digest("base64url")
    };
    const signingInput = `${base64UrlJson(header)}.${base64UrlJson(claims)}`;
    const signature = sign("sha256", Buffer.from(signingInput, "ascii"), {
      key: this.privateKey,
      dsaEncoding: "ieee-p1363"
    });
    return `${signingInput}.${signature.toString("base64url")}`;
  }
  /** The proof that collects the task of approved request `approvalId` (bound to it, not to an attestation). */
  proofForApproval(issuerUrl, approvalId, now = /* @__PURE__ */ new Date()) {
    return this.sign({ aud: issuerUrl, iat: Math.floor(now.getTime() / 1e3), jti: randomUUID(), approval_id: approvalId });
  }
  sign(claims) {
    const signingInput = `${base64UrlJson({ alg: "ES256", typ: PROOF_TYPE })}.${base64UrlJson(claims)}`;
    const signature = sign("sha256", Buffer.from(signingInput, "ascii"), { key: this.privateKey, dsaEncoding: "ieee-p1363" });
    return `${signingInput}.${signature.toString("base64url")}`;
  }
  toString() {
    return "TaskKey[P-256, private=<redacted>]";
  }
};
function base64UrlJson(value) {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

// src/task-session.ts
var RENEW_RETRY_MIN_MS = 5e3;
var RENEW_RETRY_MAX_MS = 6e4;
var END_RETRY_MIN_MS = 500;
var END_RETRY_MAX_MS = 15e3;
var TaskSession = class _TaskSession {
  constructor(client, directory, state, current, hooks, key = null) {
    this.client = client;
    this.directory = directory;
    this.state = state;
    this.current = current;
    this.hooks = hooks;
    this.key = key;
    for (const d of directory.readDownstreamLifetimes()) {
      this.downstream.set(d.audience, d);
    }
  }
  client;
  directory;
  state;
  current;
  hooks;
  key;
  renewTimer = null;
  ended = null;
  /** downstream audience → the lifetime of its current token, in the order asked for. */
  downstream = /* @__PURE__ */ new Map();
  listeners = /* @__PURE__ */ new Set();
  static async begin(o) {
    const key = TaskKey.generate();
    const exchange = o.exchangeAudiences ?? [];
    const audiences = exchange.length > 0 && !o.audiences.includes(o.client.issuerUrl) ? [...o.audiences, o.client.issuerUrl] : o.audiences;
    const started = await o.client.start({
      attestation: { type: "github", token: o.attestationToken },
      public_key: key.publicJwk,
      proof: key.proofOfPossession(o.client.issuerUrl, o.attestationToken),
      audiences,
      ...o.ttl ? { ttl: o.ttl } : {}
    });
    let begun;
    if (started.approval) {
      if (started.approval.request_token) {
        o.hooks.mask(started.approval.request_token);
      }
      if (!o.approval) {
        throw new IssuerError(
          `the task needs approval by ${started.approval.approvers} (${started.approval.url}); this caller cannot wait for it`,
          "approval-pending",
          202
        );
      }
      begun = await awaitApproval(o.client, key, started.approval, o.approval);
    } else {
      begun = started.task;
    }
    o.hooks.mask(begun.control_token);
    maskSvids(begun, o.hooks);
    const keyPem = key.privateKeyPem();
    maskPem(keyPem, o.hooks);
    const directory = CredentialDirectory.create(o.directoryParent);
    const state = {
      issuer_url: o.client.issuerUrl,
      task_id: begun.task_id,
      spiffe_id: begun.spiffe_id,
      control_token: begun.control_token,
      audiences,
      end_retry_seconds: o.endRetrySeconds ?? 30
    };
    const session = new _TaskSession(o.client, directory, state, begun, o.hooks, key);
    try {
      directory.writePrivateKey(keyPem);
      directory.writeSvids(begun, audiences);
      directory.writeState(state);
    } catch (e) {
      await session.end("aborted", "the action could not write the credential files").catch(() => void 0);
      throw e;
    }
    try {
      for (const audience of exchange) {
        session.keepDownstream(await session.exchange(begun, audience));
      }
    } catch (e) {
      await session.end("failed", "a token exchange the step asked for was refused").catch(() => void 0);
      throw e;
    }
    return session;
  }
  /** The session a directory's state file describes (the end action, post, the background renewer); null when gone. */
  static resume(directory, hooks) {
    const state = directory.exists() ? directory.readState() : null;
    if (state === null) {
      return null;
    }
    hooks.mask(state.control_token);
    for (const token of directory.currentTokens()) {
      hooks.mask(token);
    }
    return new _TaskSession(new IssuerClient(state.issuer_url), directory, state, null, hooks);
  }
  get taskId() {
    return this.state.task_id;
  }
  get spiffeId() {
    return this.state.spiffe_id;
  }
  get audiences() {
    return this.state.audiences;
  }
  /** The SVIDs of this process's begin or last renewal; null for a resumed session that has not renewed. */
  get svids() {
    return this.current;
  }
  tokenFiles() {
    return this.current === null ? /* @__PURE__ */ new Map() : this.directory.tokenFiles(this.current, this.state.audiences);
  }
  /** downstream audience → the file of its exchanged token, in the order asked for. */
  downstreamFiles() {
    return new Map([...this.downstream.keys()].map((a) => [a, this.directory.downstreamFile(a)]));
  }
  environment(awsRoleArn = null) {
    return credentialEnvironment({
      directory: this.directory.path,
      taskId: this.taskId,
      spiffeId: this.spiffeId,
      issuerUrl: this.client.issuerUrl,
      tokenFiles: this.tokenFiles(),
      downstreamFiles: this.downstreamFiles(),
      awsRoleArn
    });
  }
  /**
   * Renews now: fresh SVIDs over the same key, files rewritten atomically, new secrets masked; then exchanges the
   * fresh issuer JWT-SVID again for each downstream token past half its life. A refused or failed refresh keeps the
   * old token (valid until it expires) and is reported as a warning: it must not keep the fresh SVIDs from the step.
   */
  async renew() {
    const fresh = await this.client.renew(this.taskId, this.state.control_token);
    maskSvids(fresh, this.hooks);
    this.directory.writeSvids(fresh, this.state.audiences);
    this.current = fresh;
    for (const l of this.listeners) {
      try {
        l.rotated(fresh);
      } catch (e) {
        this.hooks.warning(`Taskbound: ${errorMessage(e)}`);
      }
    }
    for (const old of [...this.downstream.values()].filter((d) => refreshAt(d) <= Date.now())) {
      try {
        this.keepDownstream(await this.exchange(fresh, old.audience));
      } catch (e) {
        this.hooks.warning(
          `Taskbound: could not refresh the downstream token for ${old.audience}; the old one stays until it expires at ${new Date(old.expiresAt).toISOString()}: ${errorMessage(e)}`
        );
      }
    }
    return fresh;
  }
  async exchange(svids, audience) {
    const subject = svids.jwt_svids.find((j) => j.audience === this.client.issuerUrl);
    if (subject === void 0) {
      throw new Error(`the task holds no JWT-SVID for the issuer (${this.client.issuerUrl}) to exchange`);
    }
    const token = await this.client.exchange(subject.token, audience);
    this.hooks.mask(token.token);
    return token;
  }
  /** Writes a downstream token's file and records its lifetime (masked already by `exchange`). */
  keepDownstream(token) {
    this.directory.writeDownstream([token]);
    this.downstream.set(token.audience, { audience: token.audience, issuedAt: token.issuedAt, expiresAt: token.expiresAt });
    this.directory.writeDownstreamLifetimes([...this.downstream.values()]);
  }
  addListener(listener) {
    this.listeners.add(listener);
  }
  removeListener(listener) {
    this.listeners.delete(listener);
  }
  /** Keeps renewing at each `renew_after` until the task ends; `onStopped` hears why renewal gave up. */
  startRenewing(renewAfter, onStopped = () => void 0) {
    const schedule = (at, retryMs) => {
      this.renewTimer = setTimeout(async () => {
        this.renewTimer = null;
        try {
          const fresh = await this.renew();
          this.hooks.info(`Taskbound: renewed the task's credentials; next renewal after ${fresh.renew_after}`);
          schedule(Date.parse(fresh.renew_after), RENEW_RETRY_MIN_MS);
        } catch (e) {
          if (this.ended !== null) {
            return;
          }
          if (e instanceof IssuerError && e.isRefusal) {
            onStopped(e.message);
            return;
          }
          this.hooks.warning(`Taskbound: renewal failed, retrying in ${retryMs / 1e3}s: ${errorMessage(e)}`);
          schedule(Date.now() + retryMs, Math.min(retryMs * 2, RENEW_RETRY_MAX_MS));
        }
      }, Math.max(0, at - Date.now()));
    };
    this.stopRenewing();
    schedule(Date.parse(renewAfter), RENEW_RETRY_MIN_MS);
  }
  stopRenewing() {
    if (this.renewTimer !== null) {
      clearTimeout(this.renewTimer);
      this.renewTimer = null;
    }
  }
  /**
   * Ends the task with `outcome`, retrying while the issuer is unreachable, and wipes the directory whatever
   * happens. End is idempotent at the issuer: a repeat returns the first end's document.
   */
  async end(outcome, reason, retrySeconds = this.state.end_retry_seconds) {
    this.stopRenewing();
    try {
      const deadline = Date.now() + retrySeconds * 1e3;
      for (let wait = END_RETRY_MIN_MS; ; wait = Math.min(wait * 2, END_RETRY_MAX_MS)) {
        try {
          this.ended = await this.client.end(this.taskId, this.state.control_token, outcome, reason);
          return this.ended;
        } catch (e) {
          if (e instanceof IssuerError && e.isRefusal || Date.now() + wait > deadline) {
            throw e;
          }
          this.hooks.warning(`Taskbound: could not end the task yet, retrying: ${errorMessage(e)}`);
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    } finally {
      this.directory.wipe();
      for (const l of this.listeners) {
        try {
          l.ended();
        } catch (e) {
          this.hooks.warning(`Taskbound: ${errorMessage(e)}`);
        }
      }
    }
  }
};
function maskSvids(svids, hooks) {
  for (const jwt of svids.jwt_svids) {
    hooks.mask(jwt.token);
  }
}
function maskPem(pem, hooks) {
  for (const line of pem.split("\n")) {
    if (line.trim() !== "" && !line.startsWith("-----")) {
      hooks.mask(line.trim());
    }
  }
}
function errorMessage(e) {
  return e instanceof Error ? e.message : String(e);
}

export {
  __require,
  __commonJS,
  __toESM,
  IssuerClient,
  waitingLine,
  STATE_FILE,
  CredentialDirectory,
  TaskSession,
  errorMessage
};
