// A small SVG chart of task lifetimes and residual exposure over time, drawn here (no library, no CDN): x is when a
// task began, y is seconds on a square-root scale (a 6 h task and a 30 s exposure fit one axis). Circles: how long each
// task lived (active ones so far); squares: its residual exposure once ended (the longest any of its credentials
// stayed valid past revocation). Presentation attributes and classes only, so the strict CSP holds.
"use strict";
const TaskboundChart = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const W = 900, H = 260, LEFT = 60, RIGHT = 20, TOP = 14, BOTTOM = 34;

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text != null) e.textContent = text;
    return e;
  }

  function seconds(s) {
    if (s < 120) return s + " s";
    if (s < 7200) return Math.round(s / 60) + " min";
    return (s / 3600).toFixed(1) + " h";
  }

  /** Draws {tasks: [{task_id, begun_at, lifetime_seconds, residual_exposure_seconds?}]} into the <svg> element. */
  function draw(svg, tasks) {
    svg.replaceChildren();
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("role", "img");
    const points = tasks.map((t) => ({ ...t, time: Date.parse(t.begun_at) })).filter((t) => !Number.isNaN(t.time));
    if (points.length === 0) {
      svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, "No task yet."));
      return;
    }
    let t0 = Math.min(...points.map((p) => p.time));
    let t1 = Math.max(...points.map((p) => p.time));
    if (t1 - t0 < 60000) { t0 -= 30000; t1 += 30000; }
    const ymax = Math.max(60, ...points.map((p) => Math.max(p.lifetime_seconds, p.residual_exposure_seconds || 0)));
    const x = (t) => LEFT + ((t - t0) / (t1 - t0)) * (W - LEFT - RIGHT);
    const y = (s) => H - BOTTOM - (Math.sqrt(Math.max(0, s)) / Math.sqrt(ymax)) * (H - TOP - BOTTOM);

    svg.appendChild(el("line", { x1: LEFT, y1: H - BOTTOM, x2: W - RIGHT, y2: H - BOTTOM, class: "axis" }));
    svg.appendChild(el("line", { x1: LEFT, y1: TOP, x2: LEFT, y2: H - BOTTOM, class: "axis" }));
    for (const s of [0, ymax / 16, ymax / 4, ymax].map(Math.round)) {
      svg.appendChild(el("line", { x1: LEFT, y1: y(s), x2: W - RIGHT, y2: y(s), class: "grid" }));
      svg.appendChild(el("text", { x: LEFT - 6, y: y(s) + 4, "text-anchor": "end", class: "tick" }, seconds(s)));
    }
    for (const t of [t0, (t0 + t1) / 2, t1]) {
      svg.appendChild(el("text", { x: x(t), y: H - BOTTOM + 16, "text-anchor": "middle", class: "tick" },
        new Date(t).toISOString().slice(11, 19) + "Z"));
    }
    svg.appendChild(el("text", { x: LEFT, y: H - 4, class: "legend lifetime" }, "● task lifetime"));
    svg.appendChild(el("text", { x: LEFT + 130, y: H - 4, class: "legend exposure" }, "■ residual exposure after end"));

    for (const p of points) {
      const c = el("circle", { cx: x(p.time), cy: y(p.lifetime_seconds), r: 4, class: "point lifetime " + p.state, "data-task-id": p.task_id });
      c.appendChild(el("title", {}, p.task_id + ": lived " + seconds(p.lifetime_seconds) + (p.state === "active" ? " so far" : "")));
      svg.appendChild(c);
      if (p.residual_exposure_seconds != null) {
        const s = el("rect", { x: x(p.time) - 3.5, y: y(p.residual_exposure_seconds) - 3.5, width: 7, height: 7,
          class: "point exposure", "data-task-id": p.task_id });
        s.appendChild(el("title", {}, p.task_id + ": residual exposure " + seconds(p.residual_exposure_seconds)));
        svg.appendChild(s);
      }
    }
  }

  return { draw };
})();
