// commsim workbench, the planning views (docs/workbench.md): an allocation (where N more workers
// go, POST /api/allocations) drawn as a map of the workers added and the unmet hours they remove,
// and a front (the trade-off between two outcomes over levers, POST /api/fronts) drawn as a
// scatter chart whose points open their levers and run as a run. Uses app.js's helpers (el, api,
// fmt, setTable, chart, collectSet, showServerError, refreshRuns, openRun...).
"use strict";

const plan = {
  current: null,      // {kind, id} shown
  pollTimer: null,
  signature: "",
  front: null,        // the shown front's record
  allocMap: null,     // {points, data}
};

const FRONT_OBJECTIVES = ["cost_total_yuan", "unmet_hours", "coverage", "gini", "cost_per_resident_yuan",
  "cost_per_served_yuan", "access_share"];
const PLAN_COLLECTION = { allocation: "allocations", front: "fronts" };

// ------------------------------------------------------------------ forms
// Fills the role and lever choices from the scenario's schema (called when a scenario loads).
function planFormsFromSchema() {
  if (!state.schema) return;
  const roles = new Set();
  for (const lever of state.schema.levers) {
    const m = /^staffing\.roles\.([^.]+)\./.exec(lever.key);
    if (m) roles.add(m[1]);
  }
  fillSelect(document.getElementById("alloc-role"), [...roles], "community_worker");
  const numbers = state.schema.levers.filter((l) => l.type === "number" || l.type === "integer").map((l) => l.key);
  fillSelect(document.getElementById("front-lever-1"), numbers, "staffing.rules.community_worker.per_10k");
  fillSelect(document.getElementById("front-lever-2"), [""].concat(numbers), "");
  document.getElementById("front-lever-2").options[0].textContent = "(none)";
  // Ranges for the levers now picked: 10 to 30 workers per 10,000 (the example), else around the value.
  if (document.getElementById("front-lever-1").value === "staffing.rules.community_worker.per_10k") leverRange(1, 10, 30);
  else leverPicked(1);
  leverPicked(2);
}

function fillSelect(select, values, preferred) {
  const keep = select.value;
  select.replaceChildren();
  for (const v of values) select.append(el("option", { value: v, text: v }));
  select.value = values.includes(keep) ? keep : values.includes(preferred) ? preferred : values[0] || "";
}

function leverRange(k, low, high) {
  document.getElementById("front-low-" + k).value = low;
  document.getElementById("front-high-" + k).value = high;
}

// A lever picked anew: its range suggested around the scenario's value, within the schema's range.
function leverPicked(k) {
  const key = document.getElementById("front-lever-" + k).value;
  const lever = state.schema.levers.find((l) => l.key === key);
  if (!lever) { leverRange(k, "", ""); return; }
  const v = Number(lever.value);
  let low = v / 2, high = v > 0 ? v * 1.5 : 1;
  if (lever.low !== null && lever.low !== undefined) low = Math.max(low, lever.low);
  if (lever.high !== null && lever.high !== undefined) high = Math.min(high, lever.high);
  if (lever.type === "integer") { low = Math.ceil(low); high = Math.floor(high); }
  leverRange(k, low, high);
}

function planError(kind, message) { document.getElementById(kind === "allocation" ? "alloc-error" : "front-error").textContent = message; }

// The request's fields in the page's form: {fields} or {error}.
function allocationFields() {
  const add = document.getElementById("alloc-add").value.trim();
  if (!/^\d+$/.test(add)) return { error: "Workers to add: a whole number ≥ 0" };
  return { fields: { role: document.getElementById("alloc-role").value, add: Number(add),
    objective: document.getElementById("alloc-objective").value } };
}

function frontFields() {
  const levers = {};
  for (const k of [1, 2]) {
    const key = document.getElementById("front-lever-" + k).value;
    if (!key) continue;
    const low = Number(document.getElementById("front-low-" + k).value), high = Number(document.getElementById("front-high-" + k).value);
    if (document.getElementById("front-low-" + k).value.trim() === "" || !Number.isFinite(low) || !Number.isFinite(high) || !(low < high))
      return { error: "Lever " + k + ": give numbers low < high" };
    if (key in levers) return { error: "Pick two different levers" };
    levers[key] = [low, high];
  }
  const objectives = [1, 2].map((k) => document.getElementById("front-objective-" + k).value);
  if (objectives[0] === objectives[1]) return { error: "Pick two different objectives" };
  const population = Number(document.getElementById("front-population").value), generations = Number(document.getElementById("front-generations").value);
  if (!Number.isInteger(population) || !Number.isInteger(generations)) return { error: "Population and generations: whole numbers" };
  return { fields: { levers, objectives, population, generations } };
}

async function submitPlan(kind, event) {
  event.preventDefault();
  planError(kind, "");
  const set = collectSet();
  if (!set) { planError(kind, "Fix the marked lever in the form above first."); return; }
  const r0 = kind === "allocation" ? allocationFields() : frontFields();
  if (r0.error) { planError(kind, r0.error); return; }
  const button = document.getElementById(kind === "allocation" ? "alloc-button" : "front-button");
  button.disabled = true;
  try {
    const body = Object.assign({ scenario: document.getElementById("scenario").value, set }, r0.fields);
    const r = await api("/api/" + PLAN_COLLECTION[kind], { method: "POST", headers: { "Content-Type": "application/json" }, body: jsonText(body) });
    if (r.status === 202) {
      await refreshPlans();
      openPlan(kind, r.body.id);
    } else if (r.body && r.body.key && state.fields.get(r.body.key)) {
      showServerError(r.body);  // a lever of the form
    } else {
      planError(kind, (r.body && r.body.error) || "the server refused it");
    }
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ list
function askedText(job) {
  const q = job.request || {};
  if (job.kind === "allocation") return "+" + q.add + " " + q.role + " by " + q.objective;
  return Object.keys(q.levers || {}).join(", ") + " → " + (q.objectives || []).join(" vs ") + " (" + q.population + "×" + q.generations + ")";
}

async function refreshPlans() {
  const [a, f] = await Promise.all([api("/api/allocations"), api("/api/fronts")]);
  if (!a.ok || !f.ok) return;
  const jobs = a.body.allocations.concat(f.body.fronts).sort((x, y) => (x.id < y.id ? 1 : -1));
  const signature = JSON.stringify(jobs.map((x) => [x.id, x.status]));
  if (signature === plan.signature) return;
  plan.signature = signature;
  const tbody = document.querySelector("#plans-table tbody");
  tbody.replaceChildren();
  for (const job of jobs) {
    const tr = el("tr", { "data-id": job.id, "data-kind": job.kind }, el("td", { text: job.id }), el("td", { text: job.kind }),
      el("td", { text: askedText(job) }), el("td", { class: "status-" + job.status, text: job.status }));
    if (plan.current && plan.current.id === job.id) tr.classList.add("selected");
    tr.addEventListener("click", () => openPlan(job.kind, job.id));
    tbody.append(tr);
  }
}

// ------------------------------------------------------------------ one job
function openPlan(kind, id) {
  plan.current = { kind, id };
  state.currentRun = null;
  for (const view of ["welcome", "run-view", "compare-view", "alloc-view", "front-view"]) document.getElementById(view).hidden = true;
  const prefix = kind === "allocation" ? "alloc" : "front";
  document.getElementById(prefix + "-view").hidden = false;
  document.getElementById(prefix + "-results").hidden = true;
  document.getElementById(prefix + "-job-error").textContent = "";
  document.getElementById(prefix + "-title").textContent = id;
  for (const tr of document.querySelectorAll("#plans-table tbody tr")) tr.classList.toggle("selected", tr.dataset.id === id);
  pollPlan();
}

async function pollPlan() {
  clearTimeout(plan.pollTimer);
  const shown = plan.current;
  if (!shown) return;
  const r = await api("/api/" + PLAN_COLLECTION[shown.kind] + "/" + shown.id);
  if (plan.current !== shown) return;
  const prefix = shown.kind === "allocation" ? "alloc" : "front";
  if (!r.ok) { document.getElementById(prefix + "-job-error").textContent = r.body.error; return; }
  const job = r.body;
  document.getElementById(prefix + "-title").textContent = job.id + " · " + job.scenario + " · " + askedText(job);
  const status = document.getElementById(prefix + "-status");
  status.textContent = "levers: " + leversText(job.set) + " — " + (job.status === "queued" ? "queued" + (job.queue_position ? " (position " + job.queue_position + ")" : "")
    : job.status === "running" ? "computing (many runs of the city)…" : job.status === "done" ? "done " + (job.finished || "").replace("T", " ").replace("Z", " UTC") : "failed");
  refreshPlans();
  if (job.status === "queued" || job.status === "running") { plan.pollTimer = setTimeout(pollPlan, 700); return; }
  if (job.status === "failed") { document.getElementById(prefix + "-job-error").textContent = job.error; return; }
  document.getElementById(prefix + "-results").hidden = false;
  if (shown.kind === "allocation") showAllocation(job);
  else showFront(job);
}

// ------------------------------------------------------------------ allocation
function showAllocation(job) {
  const a = job.result, unmet = a.per_community === "unmet_hours";
  const placed = a.communities.filter((c) => c.added > 0).length;
  const g = a.check.gain;
  const better = a.objective === "coverage" ? "higher coverage" : a.objective === "gini" ? "lower Gini" : "fewer unmet hours";
  const digits = a.objective === "unmet_hours" ? 0 : 3;
  document.getElementById("alloc-facts").textContent = a.added + " " + a.role + " added to " + placed + " of " + a.communities.length +
    " communities, by " + a.objective + ". On the search's streams the city's " + a.objective + " goes from " + fmt(a.search.before, digits) +
    " to " + fmt(a.search.after, digits) + (a.search.proportional === null ? "" : " (spread in proportion to residents: " + fmt(a.search.proportional, digits) + ")") +
    ". Checked on a seed the search never saw (" + a.check.seed + ", " + g.n + " replicates): " + fmt(g.mean, digits) + " ± " + fmt(g.ci95, digits) +
    " " + better + " than the same workers spread in proportion to residents (95 % interval, paired).";
  const rows = a.communities.slice().sort((x, y) => y.added - x.added || (unmet ? y.unmet_hours_removed - x.unmet_hours_removed : 0));
  setTable(document.getElementById("alloc-table"),
    ["community", "district", "residents", "staff before", "added", "in proportion", unmet ? "unmet before (h)" : "coverage before",
      unmet ? "unmet after (h)" : "coverage after", unmet ? "removed (h)" : "Δ coverage"],
    rows.map((c) => [c.name, c.district, fmt(c.residents, 0), fmt(c.staff_before, 0), fmt(c.added, 0), fmt(c.proportional, 0)].concat(unmet
      ? [fmt(c.unmet_hours_before, 0), fmt(c.unmet_hours_after, 0), fmt(c.unmet_hours_removed, 0)]
      : [pct(c.coverage_before), pct(c.coverage_after), signed(c.coverage_after - c.coverage_before, 2, 100, " pp")])));
  const link = document.getElementById("download-alloc-csv");
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([a.communities_csv], { type: "text/csv" }));
  link.setAttribute("download", "commsim-allocation-" + job.id + ".csv");
  drawAllocation(a);
}

// What the map colours: the unmet hours a community's added workers remove (or its coverage gain).
function allocationGain(c) { return c.unmet_hours_removed !== undefined ? c.unmet_hours_removed : c.coverage_after - c.coverage_before; }

function drawAllocation(a) {
  const canvas = document.getElementById("alloc-map"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const cs = a.communities.filter((c) => c.x_m !== undefined);
  plan.allocMap = { points: [], communities: cs };
  if (!cs.length) return;
  const place = mapProjection(cs.map((c) => c.x_m), cs.map((c) => c.y_m), canvas, 30);
  const maxAdded = Math.max(1, ...cs.map((c) => c.added)), maxGain = Math.max(1e-9, ...cs.map(allocationGain));
  const maxR = Math.max(6, Math.min(28, 0.6 * Math.sqrt((canvas.width * canvas.height) / cs.length)));
  const unmet = a.per_community === "unmet_hours";
  document.getElementById("alloc-legend-what").textContent = unmet ? "unmet hours removed" : "coverage gained";
  document.getElementById("alloc-legend-high").textContent = unmet ? fmt(maxGain, 0) + " h" : signed(maxGain, 1, 100, " pp");
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.font = "600 12px system-ui, sans-serif";
  cs.forEach((c, i) => {
    const [x, y] = place(i);
    const r = c.added > 0 ? Math.max(7, maxR * Math.sqrt(c.added / maxAdded)) : 2.5;
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = c.added > 0 ? rampColour(Math.max(0, allocationGain(c)) / maxGain) : "#9aa5b1";
    ctx.fill();
    ctx.strokeStyle = "rgba(31,41,51,0.6)";
    ctx.lineWidth = c.added > 0 ? 1 : 0;
    if (c.added > 0) ctx.stroke();
    if (c.added > 0) { ctx.fillStyle = "#1f2933"; ctx.fillText(String(c.added), x, y); }
    plan.allocMap.points.push({ x, y, r, i });
  });
}

function allocHover(event) {
  const m = plan.allocMap;
  if (!m) return;
  showTip(event, m.points, document.getElementById("alloc-tip"), (i) => {
    const c = m.communities[i];
    return c.name + " (" + c.district + "): " + fmt(c.residents, 0) + " residents, staff " + c.staff_before + " + " + c.added +
      (c.unmet_hours_removed !== undefined ? ", unmet hours " + fmt(c.unmet_hours_before, 0) + " → " + fmt(c.unmet_hours_after, 0)
        : ", coverage " + pct(c.coverage_before) + " → " + pct(c.coverage_after));
  });
}

// ------------------------------------------------------------------ front
function showFront(job) {
  plan.front = job;
  const f = job.result, [ox, oy] = f.objectives;
  document.getElementById("front-facts").textContent = f.front.length + " points on the front of " + f.evaluations + " mixes evaluated (" +
    f.city_runs + " city runs); " + ox + " against " + oy + " over " + f.levers.join(", ") + ".";
  document.getElementById("front-point").hidden = true;
  chart("front-chart", {
    type: "scatter",
    data: { datasets: [{ label: "the front", data: f.front.map((p) => ({ x: p.objectives[ox], y: p.objectives[oy] })),
      pointRadius: 7, pointHoverRadius: 9, backgroundColor: f.front.map(() => "#1d5fa8"), showLine: true, borderColor: "rgba(29,95,168,0.35)" }] },
    options: { maintainAspectRatio: false, animation: false,
      plugins: { title: { display: true, text: "The front: " + ox + " against " + oy + " (click a point)" }, legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => ox + " " + fmt(ctx.parsed.x, 3) + ", " + oy + " " + fmt(ctx.parsed.y, 3) } } },
      scales: { x: { title: { display: true, text: ox } }, y: { title: { display: true, text: oy } } },
      onClick: (event, elements) => { if (elements.length) selectPoint(elements[0].index); } },
  });
}

function selectPoint(index) {
  const f = plan.front.result, p = f.front[index];
  plan.point = index;
  const c = Chart.getChart("front-chart");
  c.data.datasets[0].backgroundColor = f.front.map((_, i) => (i === index ? "#b42318" : "#1d5fa8"));
  c.update();
  const rows = f.levers.map((k) => ["lever " + k, fmt(p.levers[k], 4), "--set " + k + "=" + p.set[k]])
    .concat(f.objectives.map((k) => ["objective " + k, fmt(p.objectives[k], 3), ""]));
  setTable(document.getElementById("front-point-table"), ["point " + (index + 1) + " of " + f.front.length, "value", "as a lever"], rows);
  document.getElementById("front-point").hidden = false;
}

async function runPoint() {
  const job = plan.front, p = job.result.front[plan.point];
  const button = document.getElementById("front-run-button");
  button.disabled = true;
  try {
    const r = await api("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" },
      body: jsonText({ scenario: job.scenario, set: p.run_set }) });
    if (r.status !== 202) { document.getElementById("front-job-error").textContent = (r.body && r.body.error) || "the server refused the run"; return; }
    plan.current = null;
    await refreshRuns();
    openRun(r.body.id);
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ start
function startPlan() {
  fillSelect(document.getElementById("front-objective-1"), FRONT_OBJECTIVES, "cost_total_yuan");
  fillSelect(document.getElementById("front-objective-2"), FRONT_OBJECTIVES, "unmet_hours");
  document.getElementById("front-objective-2").value = "unmet_hours";
  document.getElementById("alloc-form").addEventListener("submit", (e) => submitPlan("allocation", e));
  document.getElementById("front-form").addEventListener("submit", (e) => submitPlan("front", e));
  for (const k of [1, 2]) document.getElementById("front-lever-" + k).addEventListener("change", () => leverPicked(k));
  document.getElementById("front-run-button").addEventListener("click", runPoint);
  document.getElementById("alloc-map").addEventListener("mousemove", allocHover);
  document.getElementById("alloc-map").addEventListener("mouseleave", () => { document.getElementById("alloc-tip").hidden = true; });
  refreshPlans();
  setInterval(() => { if (!document.hidden) refreshPlans(); }, 5000);
}

document.addEventListener("DOMContentLoaded", startPlan);
