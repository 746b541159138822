// The standing-privilege exception register on the dashboard: every unrevoked exception with where it stands
// (active, expiring, expired, unreviewed), counts per state, and for operators add / review / revoke. A module of
// its own beside app.js: it shows itself whenever the live view is shown, and reads /v1/admin/exceptions with the
// same session token (sessionStorage, this tab).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN = "taskbound.admin.token";
  const ORDER = ["expired", "unreviewed", "expiring", "active"];
  let operator = false;
  let poll = null;

  async function api(path, options = {}) {
    const headers = { Authorization: "Bearer " + sessionStorage.getItem(TOKEN) };
    if (options.body) headers["Content-Type"] = "application/json";
    const r = await fetch(path, { ...options, headers, cache: "no-store" });
    const body = await r.json();
    if (!r.ok) throw new Error(body.detail || r.statusText);
    return body;
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function daysFromNow(days) {
    return new Date(Date.now() + Number(days) * 86400000).toISOString();
  }

  async function act(id, action, body, error) {
    error.textContent = "";
    try {
      await api("/v1/admin/exceptions/" + id + "/" + action, { method: "POST", body: JSON.stringify(body) });
      await refresh();
    } catch (e) {
      error.textContent = e.message;
    }
  }

  /** Review (optionally moving the expiry) and revoke, for operators: one small form per row. */
  function actions(row, e) {
    const td = document.createElement("td");
    if (operator) {
      const note = document.createElement("input");
      note.className = "exc-note";
      note.placeholder = "note / reason";
      note.maxLength = 1024;
      const extend = document.createElement("input");
      extend.className = "exc-extend";
      extend.type = "number";
      extend.min = "1";
      extend.placeholder = "new expiry (days)";
      const review = document.createElement("button");
      review.type = "button";
      review.className = "exc-review";
      review.textContent = "Review";
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "exc-revoke";
      revoke.textContent = "Revoke";
      const error = document.createElement("span");
      error.className = "bad exc-error";
      review.addEventListener("click", () => {
        const body = {};
        if (note.value) body.note = note.value;
        if (extend.value) body.expires_at = daysFromNow(extend.value);
        act(e.exception_id, "review", body, error);
      });
      revoke.addEventListener("click", () => act(e.exception_id, "revoke", { reason: note.value }, error));
      td.append(note, extend, review, revoke, error);
    }
    row.appendChild(td);
  }

  async function refresh() {
    const { exceptions, counts, rules } = await api("/v1/admin/exceptions?limit=1000");
    const parts = [...ORDER, "revoked"].map((s) => s + " " + counts[s]);
    $("exception-counts").textContent = parts.join(" · ");
    $("exception-counts").className = counts.expired + counts.unreviewed > 0 ? "bad" : "";
    $("exception-rules").textContent =
      "expiry at most " + rules.max_lifetime + " ahead · review every " + rules.review_interval +
      " · expiring within " + rules.expiring_within;
    const open = exceptions
      .filter((e) => e.state !== "revoked")
      .sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state));
    const rows = $("exception-rows");
    rows.replaceChildren();
    for (const e of open) {
      const row = document.createElement("tr");
      row.className = "exception state-" + e.state;
      row.dataset.exceptionId = e.exception_id;
      cell(row, e.exception_id);
      cell(row, e.state, "exc-state");
      cell(row, e.identity);
      cell(row, e.scope);
      cell(row, e.owner);
      cell(row, e.expires_at);
      cell(row, e.last_reviewed_at ? e.last_reviewed_at + " by " + e.last_reviewed_by : "never");
      cell(row, e.review_due_at);
      actions(row, e);
      rows.appendChild(row);
    }
    $("no-exceptions").hidden = open.length > 0;
  }

  async function show() {
    $("exceptions").hidden = false;
    try {
      const who = await api("/v1/admin/whoami");
      operator = who.roles.includes("operator");
      $("exception-add").hidden = !operator;
      await refresh();
    } catch (e) {
      $("exception-counts").textContent = e.message;
    }
    // Rows carry half-typed notes: refresh while nobody is typing in one.
    poll = poll || setInterval(() => {
      if (!$("exceptions").hidden && !$("exceptions").contains(document.activeElement)) refresh().catch(() => {});
    }, 5000);
  }

  $("exception-add").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("exc-error").textContent = "";
    try {
      await api("/v1/admin/exceptions", {
        method: "POST",
        body: JSON.stringify({
          identity: $("exc-identity").value, scope: $("exc-scope").value, owner: $("exc-owner").value,
          reason: $("exc-reason").value, expires_at: daysFromNow($("exc-days").value) }) });
      $("exception-add").reset();
      await refresh();
    } catch (e) {
      $("exc-error").textContent = e.message;
    }
  });

  // Shown with the live view (app.js toggles it), hidden with it.
  new MutationObserver(() => {
    if ($("live").hidden) $("exceptions").hidden = true;
    else show();
  }).observe($("live"), { attributes: true, attributeFilter: ["hidden"] });
  if (!$("live").hidden) show();
})();
