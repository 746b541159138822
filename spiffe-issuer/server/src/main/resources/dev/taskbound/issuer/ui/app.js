// The operators' dashboard: pending approval requests (approve / deny with a reason, for approvers), live tasks, a
// task's timeline with its evidence verified here, residual exposure per credential, the policy in force, and "end
// task". Talks only to /v1/admin/ and /evidence/ on this origin; the
// session token lives in sessionStorage (this tab), never in a cookie or the URL.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN = "taskbound.admin.token";
  const CLIENT_NONCE = "taskbound.login.client_nonce";
  let current = null;
  let poll = null;
  let approver = false;
  let shownApprovals = "";

  async function api(path, options = {}) {
    const headers = { Authorization: "Bearer " + sessionStorage.getItem(TOKEN) };
    if (options.body) headers["Content-Type"] = "application/json";
    const r = await fetch(path, { ...options, headers, cache: "no-store" });
    const body = await r.json();
    if (r.status === 401) { sessionStorage.removeItem(TOKEN); show("login"); loginMethods().catch(() => {}); }
    if (!r.ok) throw new Error(body.detail || r.statusText);
    return body;
  }

  function show(section) {
    for (const id of ["login", "live", "timeline"]) $(id).hidden = id !== section;
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    row.appendChild(td);
    return td;
  }

  async function post(path, body) {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    return { ok: r.ok, body: await r.json() };
  }

  // Dev mode's link (#login=code), or the IdP sending the browser back here with ?code=&state= (or ?error=).
  // Either is taken out of the address bar first; the issuer redeems the IdP's code and checks state and nonce.
  async function login() {
    const m = /^#login=(.+)$/.exec(location.hash);
    const params = new URLSearchParams(location.search);
    let r;
    if (m) {
      history.replaceState(null, "", location.pathname);
      r = await post("/v1/admin/login", { code: m[1] });
    } else if (params.has("code") || params.has("error")) {
      history.replaceState(null, "", location.pathname);
      const clientNonce = sessionStorage.getItem(CLIENT_NONCE) || "";
      sessionStorage.removeItem(CLIENT_NONCE);
      if (params.has("error")) {
        $("login-error").textContent = "the IdP refused the sign-in: " + params.get("error");
        return;
      }
      r = await post("/v1/admin/oidc/callback", { code: params.get("code"), state: params.get("state") || "", client_nonce: clientNonce });
    } else {
      return;
    }
    if (r.ok) sessionStorage.setItem(TOKEN, r.body.token);
    else $("login-error").textContent = r.body.detail;
  }

  async function loginMethods() {
    const { methods } = await fetch("/v1/admin/login", { cache: "no-store" }).then((r) => r.json());
    $("idp-login-row").hidden = !methods.includes("oidc");
  }

  // The page's own random value, kept in this tab: the issuer finishes a sign-in only for the page that started it.
  $("idp-login").addEventListener("click", async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const clientNonce = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    sessionStorage.setItem(CLIENT_NONCE, clientNonce);
    const r = await post("/v1/admin/oidc/start", { client_nonce: clientNonce });
    if (r.ok) location.assign(r.body.authorization_url);
    else $("login-error").textContent = r.body.detail;
  });

  async function header() {
    const who = await api("/v1/admin/whoami");
    $("who").textContent = who.subject + " (" + who.roles.join(", ") + ")";
    $("end-form").hidden = !who.roles.includes("operator");
    approver = who.roles.includes("approver");
    $("approvals").hidden = !approver;
    const policy = await api("/v1/admin/policy");
    $("policy").textContent = "policy: " + policy.source + " " + policy.version + " [" + policy.rules.join(", ") + "]";
  }

  async function live() {
    const { tasks } = await api("/v1/admin/tasks?state=active");
    const body = $("tasks");
    body.replaceChildren();
    for (const t of tasks) {
      const row = document.createElement("tr");
      row.className = "task";
      row.dataset.taskId = t.task_id;
      cell(row, t.task_id);
      cell(row, t.spiffe_id);
      cell(row, t.attestor);
      cell(row, t.created_at);
      cell(row, t.expires_at);
      row.addEventListener("click", () => open(t.task_id));
      body.appendChild(row);
    }
    $("no-tasks").hidden = tasks.length > 0;
    const exposure = await api("/v1/admin/exposure?limit=50");
    TaskboundChart.draw($("chart"), exposure.tasks);
  }

  // Rows are rebuilt only when the pending set changes, so a reason being typed survives the 2 s refresh.
  async function approvals(force) {
    if (!approver) return;
    const { approvals: pending } = await api("/v1/admin/approvals?state=pending");
    const key = pending.map((a) => a.approval_id + ":" + a.approved_by.length).join(",");
    if (!force && key === shownApprovals) return;
    shownApprovals = key;
    const body = $("pending-approvals");
    body.replaceChildren();
    for (const a of pending) {
      const row = document.createElement("tr");
      row.className = "approval";
      row.dataset.approvalId = a.approval_id;
      cell(row, a.approval_id);
      cell(row, a.approvers + (a.min_approvers > 1 ? " (" + a.min_approvers + " needed)" : ""));
      cell(row, a.requester || "");
      cell(row, a.policy_rule);
      cell(row, a.spiffe_id);
      cell(row, a.approved_by.join(", "));
      cell(row, a.expires_at);
      const actions = cell(row, "");
      const approve = document.createElement("button");
      approve.type = "button";
      approve.className = "approve";
      approve.textContent = "Approve";
      approve.addEventListener("click", () => decide(a.approval_id, "approve", {}));
      const reason = document.createElement("input");
      reason.className = "deny-reason";
      reason.placeholder = "reason to deny";
      reason.maxLength = 1024;
      const deny = document.createElement("button");
      deny.type = "button";
      deny.className = "deny";
      deny.textContent = "Deny";
      deny.addEventListener("click", () => decide(a.approval_id, "deny", { reason: reason.value }));
      actions.append(approve, " ", reason, " ", deny);
      body.appendChild(row);
    }
    $("no-approvals").hidden = pending.length > 0;
  }

  // The issuer decides: it refuses the requester's own request, non-members of the group and a deny without reason.
  // The rows are rebuilt only if the decision changed the pending set: after a refusal the reason typed so far stays.
  async function decide(approvalId, action, body) {
    $("approval-error").textContent = "";
    try {
      await api("/v1/admin/approvals/" + approvalId + "/" + action, { method: "POST", body: JSON.stringify(body) });
    } catch (e) {
      $("approval-error").textContent = approvalId + ": " + e.message;
    }
    await approvals(false);
  }

  function describe(e) {
    const parts = [new Date(e.time * 1000).toISOString(), e.type];
    if (e.kind) parts.push(e.kind, e.credential_id);
    if (e.audience) parts.push("aud " + e.audience);
    if (e.outcome) parts.push(e.outcome);
    if (e.operator) parts.push("by " + e.operator + " (" + e.role + "): " + e.reason);
    if (e.approver) parts.push("by " + e.approver + (e.reason ? ": " + e.reason : ""));
    if (e.residual_exposure_seconds != null) parts.push("residual " + e.residual_exposure_seconds + " s");
    return parts.join(" · ");
  }

  async function open(taskId) {
    current = taskId;
    show("timeline");
    $("task-id").textContent = taskId;
    $("evidence-status").textContent = "verifying…";
    $("evidence-status").className = "";
    $("evidence-detail").textContent = "";
    const task = await api("/v1/admin/tasks/" + taskId);
    $("task-state").textContent = task.outcome || task.state;
    $("task-spiffe-id").textContent = task.spiffe_id;
    const creds = $("credentials");
    creds.replaceChildren();
    for (const c of task.credentials) {
      const row = document.createElement("tr");
      row.className = "credential";
      cell(row, c.kind); cell(row, c.id); cell(row, c.audience); cell(row, c.expires_at);
      cell(row, c.revoked_at || "not revoked");
      cell(row, c.residual_exposure_seconds == null ? "" : c.residual_exposure_seconds + " s");
      creds.appendChild(row);
    }
    await evidence(taskId);
  }

  async function evidence(taskId) {
    const events = $("events");
    events.replaceChildren();
    try {
      const [bundle, key] = await Promise.all([
        fetch("/evidence/tasks/" + taskId, { cache: "no-store" }).then((r) => r.json()),
        fetch("/evidence/key", { cache: "no-store" }).then((r) => r.text())]);
      const result = await TaskboundEvidence.verify(bundle, key);
      for (const e of result.events) {
        const li = document.createElement("li");
        li.textContent = describe(e.event);
        events.appendChild(li);
      }
      $("evidence-status").textContent = result.ok ? "evidence verified" : "evidence NOT verified";
      $("evidence-status").className = result.ok ? "good" : "bad";
      $("evidence-detail").textContent = result.detail;
    } catch (e) {
      $("evidence-status").textContent = "evidence NOT verified";
      $("evidence-status").className = "bad";
      $("evidence-detail").textContent = e.message;
    }
  }

  $("end-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("end-error").textContent = "";
    try {
      await api("/v1/admin/tasks/" + current + "/end", {
        method: "POST", body: JSON.stringify({ reason: $("end-reason").value }) });
      await open(current);
    } catch (e) {
      $("end-error").textContent = e.message;
    }
  });
  $("back").addEventListener("click", () => { current = null; show("live"); live(); approvals(true).catch(() => {}); });

  async function start() {
    await login();
    if (!sessionStorage.getItem(TOKEN)) {
      show("login");
      await loginMethods();
      return;
    }
    try {
      await header();
      show("live");
      await Promise.all([live(), approvals(true)]);
      poll = setInterval(() => {
        if (current === null) {
          live().catch(() => {});
          approvals(false).catch(() => {});
        }
      }, 2000);
    } catch (e) {
      $("login-error").textContent = e.message;
    }
  }
  start();
})();
