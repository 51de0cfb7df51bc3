// commsim workbench page (docs/workbench.md). Plain JavaScript and Chart.js (Debian's
// libjs-chart.js, served by the workbench itself): no framework, no network beyond this server.
// Text from the server is always set as text (textContent), never parsed as HTML.
"use strict";

const state = {
  token: null,          // "Authorization: Bearer" token, from the address's #token=... (servers bound beyond loopback)
  scenarios: [],
  schema: null,         // /api/schema?scenario=NAME
  fields: new Map(),    // key -> {lever, input, box, error}
  runs: [],
  currentRun: null,     // id shown in the run view
  pollTimer: null,
  charts: {},
  map: null,            // {data, points}
};

// ------------------------------------------------------------------ helpers
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401 && !options.retried) {
    // A server bound beyond loopback needs its token: asked once, kept for this tab.
    const token = window.prompt("This workbench needs its access token (the COMMSIM_SERVE_TOKEN it was started with):");
    if (token) {
      state.token = token.trim();
      sessionStorage.setItem("commsim-token", state.token);
      return api(path, Object.assign({}, options, { retried: true }));
    }
  }
  let body = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.startsWith("application/json")) body = await response.json();
  else body = await response.text();
  return { status: response.status, ok: response.ok, body };
}

function fmt(x, digits = 1) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  return Number(x).toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
function pct(x, digits = 1) { return x === null || x === undefined ? "–" : (100 * x).toFixed(digits) + " %"; }
function signed(x, digits, scale = 1, unit = "") {
  if (x === null || x === undefined) return "–";
  const v = x * scale;
  return (v > 0 ? "+" : "") + v.toFixed(digits) + unit;
}

function setTable(table, header, rows) {
  table.replaceChildren();
  const thead = el("thead");
  const tr = el("tr");
  for (const h of header) tr.append(el("th", { text: h }));
  thead.append(tr);
  const tbody = el("tbody");
  for (const row of rows) {
    const r = el("tr");
    for (const cell of row) {
      if (cell instanceof Node) { const td = el("td"); td.append(cell); r.append(td); }
      else r.append(el("td", { text: cell }));
    }
    tbody.append(r);
  }
  table.append(thead, tbody);
}

// A name that may wrap at its underscores only (never inside a word): "household_<wbr>visits".
function wrappable(name) {
  const span = el("span");
  name.split("_").forEach((part, i) => { if (i) span.append("_", el("wbr")); span.append(part); });
  return span;
}

function leversText(set) {
  const keys = Object.keys(set || {});
  if (!keys.length) return "as shipped";
  return keys.map((k) => k + " = " + JSON.stringify(set[k])).join(", ");
}

// ------------------------------------------------------------------ scenario and form
async function loadScenarios() {
  const r = await api("/api/scenarios");
  if (!r.ok) { document.getElementById("server-note").textContent = (r.body && r.body.error) || "the server did not answer"; return; }
  state.scenarios = r.body.scenarios;
  const select = document.getElementById("scenario");
  select.replaceChildren();
  for (const s of state.scenarios) select.append(el("option", { value: s.name, text: s.name }));
  const preferred = state.scenarios.find((s) => s.name === "xian-baseline") || state.scenarios[0];
  if (preferred) select.value = preferred.name;
  await loadSchema(select.value);
}

async function loadSchema(name) {
  const r = await api("/api/schema?scenario=" + encodeURIComponent(name));
  if (!r.ok) { document.getElementById("form-error").textContent = r.body.error; return; }
  state.schema = r.body;
  const info = state.scenarios.find((s) => s.name === name);
  const description = document.getElementById("scenario-description");
  description.textContent = info ? info.description + " (" + fmt(info.residents_estimate, 0) + " residents, " +
    info.days + " days, " + info.replicates + " replicate" + (info.replicates === 1 ? "" : "s") + ")" +
    (info.within_limits ? "" : " As shipped it is larger than this server runs: reduce the days or communities.") : "";
  buildForm();
  if (typeof planFormsFromSchema === "function") planFormsFromSchema();  // plan.js
}

function rangeText(lever) {
  if (lever.low === undefined) return "";
  if (lever.nonzero_low !== undefined) return lever.allowed;
  // Integer bounds come as exact text too: a double prints 2^64 - 1 as 18446744073709552000.
  const lo = lever.low === null ? null : (lever.low_text || lever.low), hi = lever.high === null ? null : (lever.high_text || lever.high);
  if (lo !== null && hi !== null) return (lever.low_open ? "(" : "[") + lo + ", " + hi + (lever.high_open ? ")" : "]");
  if (lo !== null) return (lever.low_open ? "> " : "≥ ") + lo;
  if (hi !== null) return (lever.high_open ? "< " : "≤ ") + hi;
  return "";
}

// A field's human label, from the schema's description ("master seed of every random stream" ->
// "Master seed of every random stream"), the key beneath it; the key's last part when there is none.
function humanLabel(lever) {
  let text = (lever.meaning || "").split(/;| \(|\. /)[0].trim();
  const parts = lever.key.split(".");
  if (!text || /^\d/.test(text)) text = parts[parts.length - 1];
  else if (/^N\d[\d.]*$/.test(text)) text = parts[parts.length - 1] + " (" + text + ")";  // a norm's number alone
  text = text.replace(/_/g, " ");
  if (text.length > 70) text = text.slice(0, 68).replace(/\s+\S*$/, "") + " …";
  // A key of a named entry (a service, a role) names it: "gp: mean service time".
  const owner = parts.length >= 3 && /^(services|staffing|roles|rules|facility)$/.test(parts[parts.length - 3]) ? parts[parts.length - 2] : "";
  return (owner ? owner.replace(/_/g, " ") + ": " : "") + text.charAt(0).toUpperCase() + text.slice(1);
}

function makeField(lever) {
  const id = "lever-" + lever.key.replace(/[^A-Za-z0-9_-]/g, "_");
  const box = el("div", { class: "field", "data-key": lever.key });
  const label = el("label", { for: id }, el("span", { class: "label-text", text: humanLabel(lever) }), el("code", { class: "key", text: lever.key }));
  let input;
  if (lever.type === "boolean") {
    input = el("input", { type: "checkbox", id, "data-key": lever.key });
    input.checked = lever.value === true;
  } else if (lever.type === "choice") {
    input = el("select", { id, "data-key": lever.key });
    for (const c of lever.choices) input.append(el("option", { value: c, text: c }));
    input.value = lever.value;
  } else {
    input = el("input", { type: "text", id, "data-key": lever.key, autocomplete: "off", spellcheck: "false" });
    if (lever.type === "integer" || lever.type === "number") input.setAttribute("inputmode", "decimal");
    input.value = String(lever.value);
  }
  const unit = lever.unit ? " [" + lever.unit + "]" : "";
  const range = rangeText(lever);
  const meaning = el("div", { class: "meaning", text: (lever.meaning || "") + unit + (range ? " — allowed: " + range : lever.allowed ? " — " + lever.allowed : "") });
  const error = el("div", { class: "field-error", role: "alert" });
  box.append(label, input, meaning, error);
  const field = { lever, input, box, error };
  input.addEventListener("input", () => { checkField(field); updateChanged(); });
  input.addEventListener("change", () => { checkField(field); updateChanged(); });
  return field;
}

// The value typed into a field as JSON, or {error} when it cannot be one.
function fieldValue(field) {
  const { lever, input } = field;
  if (lever.type === "boolean") return { value: input.checked };
  if (lever.type === "choice") return { value: input.value };
  const text = input.value.trim();
  if (lever.type === "integer" && /^[-+]?\d+$/.test(text)) return integerValue(lever, text);
  if (lever.type === "integer" || lever.type === "number") {
    if (text === "" || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return { error: "expected a number" + (rangeText(lever) ? " in " + rangeText(lever) : "") };
    const v = Number(text);
    if (lever.type === "integer" && !Number.isInteger(v)) return { error: "expected a whole number" };
    if (lever.low !== null && lever.low !== undefined && (lever.low_open ? v <= lever.low : v < lever.low)) return { error: "must be " + rangeText(lever) + ", got " + text };
    if (lever.high !== null && lever.high !== undefined && (lever.high_open ? v >= lever.high : v > lever.high)) return { error: "must be " + rangeText(lever) + ", got " + text };
    return { value: v };
  }
  return { value: input.value };
}

// An integer field's value, checked against the exact bounds (low_text, high_text) with BigInt;
// kept as a BigInt when a double cannot hold it (seeds up to 2^64 - 1).
function integerValue(lever, text) {
  const v = BigInt(text);
  const bad = { error: "must be " + rangeText(lever) + ", got " + text };
  if (lever.low_text !== undefined && lever.low_text !== null && (lever.low_open ? v <= BigInt(lever.low_text) : v < BigInt(lever.low_text))) return bad;
  if (lever.high_text !== undefined && lever.high_text !== null && (lever.high_open ? v >= BigInt(lever.high_text) : v > BigInt(lever.high_text))) return bad;
  if (lever.nonzero_low !== undefined && v !== 0n && v < BigInt(lever.nonzero_low)) return bad;
  return { value: Number.isSafeInteger(Number(v)) ? Number(v) : v };
}

function sameValue(a, b) { return String(a) === String(b); }

function isChanged(field) {
  const r = fieldValue(field);
  return r.error !== undefined || !sameValue(r.value, field.lever.value);
}

// JSON with BigInt values written as exact integers.
function jsonText(body) {
  return JSON.stringify(body, (k, v) => (typeof v === "bigint" ? "\u0000big:" + v.toString() : v))
    .replace(/"\\u0000big:(-?\d+)"/g, "$1");
}

function checkField(field) {
  const r = fieldValue(field);
  showFieldError(field, r.error || "");
  return r;
}

function showFieldError(field, message) {
  field.error.textContent = message;
  field.box.classList.toggle("invalid", !!message);
}

function updateChanged() {
  let n = 0;
  for (const f of state.fields.values()) {
    const changed = isChanged(f);
    f.box.classList.toggle("changed", changed);
    if (changed) n++;
  }
  document.getElementById("changed-note").textContent = n ? n + " lever" + (n === 1 ? "" : "s") + " changed from the scenario" : "all levers as in the scenario";
}

function buildForm() {
  const main = document.getElementById("main-levers");
  const advanced = document.getElementById("advanced-levers");
  main.replaceChildren();
  advanced.replaceChildren();
  state.fields.clear();
  document.getElementById("form-error").textContent = "";
  const mainKeys = new Set(state.schema.main);
  for (const key of state.schema.main) {
    const lever = state.schema.levers.find((l) => l.key === key);
    const f = makeField(lever);
    state.fields.set(key, f);
    main.append(f.box);
  }
  let count = 0;
  for (const lever of state.schema.levers) {
    if (mainKeys.has(lever.key)) continue;
    const f = makeField(lever);
    state.fields.set(lever.key, f);
    advanced.append(f.box);
    count++;
  }
  document.getElementById("advanced-count").textContent = count;
  filterAdvanced();
  updateChanged();
}

function filterAdvanced() {
  const q = document.getElementById("advanced-search").value.trim().toLowerCase();
  for (const f of state.fields.values()) {
    if (!f.box.parentElement || f.box.parentElement.id !== "advanced-levers") continue;
    const hit = !q || f.lever.key.toLowerCase().includes(q) || (f.lever.meaning || "").toLowerCase().includes(q);
    f.box.classList.toggle("hidden", !hit);
  }
}

// Shows a server error at the field it names (the CLI's message), or above the buttons.
function showServerError(body) {
  const message = (body && body.error) || "the server refused the run";
  const key = body && body.key;
  const field = key && state.fields.get(key);
  if (field) {
    showFieldError(field, body.message || message);
    if (field.box.parentElement.id === "advanced-levers") {
      document.getElementById("advanced").open = true;
      field.box.classList.remove("hidden");
    }
    field.input.focus();
    field.box.scrollIntoView({ block: "center" });
    document.getElementById("form-error").textContent = "The run was not started: " + message;
  } else {
    document.getElementById("form-error").textContent = message;
  }
}

// The levers changed in the form as a "set" object; null (with the field marked) when one is invalid.
function collectSet() {
  document.getElementById("form-error").textContent = "";
  const set = {};
  let firstBad = null;
  for (const [key, f] of state.fields) {
    const r = checkField(f);
    if (r.error) { firstBad = firstBad || f; continue; }
    if (!sameValue(r.value, f.lever.value)) set[key] = r.value;
  }
  if (firstBad) {
    if (firstBad.box.parentElement.id === "advanced-levers") document.getElementById("advanced").open = true;
    firstBad.input.focus();
    document.getElementById("form-error").textContent = "Fix the marked field first.";
    return null;
  }
  return set;
}

async function submitRun(event) {
  event.preventDefault();
  const set = collectSet();
  if (!set) return;
  const button = document.getElementById("run-button");
  button.disabled = true;
  try {
    const r = await api("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" },
      body: jsonText({ scenario: document.getElementById("scenario").value, set }) });
    if (r.status === 202) {
      await refreshRuns();
      openRun(r.body.id);
    } else {
      showServerError(r.body);
    }
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ runs list
async function refreshRuns() {
  const r = await api("/api/runs");
  if (!r.ok) return;
  state.runs = r.body.runs;
  // Rebuilt only when something shown changed (no flicker, and a row being clicked stays in place).
  const signature = JSON.stringify(state.runs.map((x) => [x.id, x.status, Math.round(100 * x.progress)]));
  if (signature === state.runsSignature) {
    for (const tr of document.querySelectorAll("#runs-table tbody tr")) tr.classList.toggle("selected", tr.dataset.id === state.currentRun);
    return;
  }
  state.runsSignature = signature;
  const tbody = document.querySelector("#runs-table tbody");
  tbody.replaceChildren();
  for (const run of state.runs) {
    const status = run.status === "running" ? "running " + Math.round(100 * run.progress) + " %" : run.status;
    const tr = el("tr", { "data-id": run.id },
      el("td", { text: run.id }), el("td", { text: run.scenario }),
      el("td", { class: "levers", text: leversText(run.set) }),
      el("td", { class: "status-" + run.status, text: status }),
      el("td", { text: (run.started || run.created || "").replace("T", " ").replace("Z", "") }));
    if (run.id === state.currentRun) tr.classList.add("selected");
    tr.addEventListener("click", () => openRun(run.id));
    tbody.append(tr);
  }
  const done = state.runs.filter((x) => x.status === "done");
  const doneSignature = done.map((x) => x.id).join(",");
  if (doneSignature === state.doneSignature) return;
  state.doneSignature = doneSignature;
  for (const id of ["compare-base", "compare-variant"]) {
    const select = document.getElementById(id);
    const keep = select.value;
    select.replaceChildren();
    for (const run of done) select.append(el("option", { value: run.id, text: run.id + " " + run.scenario + (Object.keys(run.set).length ? " *" : "") }));
    if (done.some((x) => x.id === keep)) select.value = keep;
  }
  if (done.length >= 2 && document.getElementById("compare-base").value === document.getElementById("compare-variant").value) {
    document.getElementById("compare-base").value = done[1].id;
    document.getElementById("compare-variant").value = done[0].id;
  }
}

// ------------------------------------------------------------------ one run
function openRun(id) {
  state.currentRun = id;
  if (typeof plan !== "undefined") plan.current = null;  // plan.js: an allocation or front no longer shown
  for (const view of ["welcome", "alloc-view", "front-view"]) document.getElementById(view).hidden = true;
  document.getElementById("run-view").hidden = false;
  document.getElementById("run-results").hidden = true;
  document.getElementById("run-error").textContent = "";
  document.getElementById("run-title").textContent = id;
  for (const tr of document.querySelectorAll("#runs-table tbody tr")) tr.classList.toggle("selected", tr.dataset.id === id);
  pollRun();
}

async function pollRun() {
  clearTimeout(state.pollTimer);
  const id = state.currentRun;
  const r = await api("/api/runs/" + id);
  if (id !== state.currentRun) return;
  if (!r.ok) { document.getElementById("run-error").textContent = r.body.error; return; }
  const run = r.body;
  document.getElementById("run-title").textContent = run.id + " · " + run.scenario;
  document.getElementById("run-levers").textContent = "levers: " + leversText(run.set);
  const bar = document.getElementById("progress-bar");
  bar.style.width = (100 * run.progress).toFixed(1) + "%";
  bar.parentElement.setAttribute("aria-valuenow", Math.round(100 * run.progress));
  const text = document.getElementById("progress-text");
  if (run.status === "queued") text.textContent = "queued" + (run.queue_position ? " (position " + run.queue_position + ")" : "");
  else if (run.status === "running") text.textContent = (run.phase === "writing" ? "writing the results… " : "simulating… ") + Math.round(100 * run.progress) + " %";
  else if (run.status === "done") text.textContent = "done " + (run.finished || "").replace("T", " ").replace("Z", " UTC");
  else text.textContent = "failed";
  if (run.status === "failed") document.getElementById("run-error").textContent = run.error;
  if (run.status === "queued" || run.status === "running") {
    state.pollTimer = setTimeout(pollRun, 500);
    refreshRuns();
  } else {
    refreshRuns();
    if (run.status === "done") await showResults(run);
  }
}

function downloadLink(a, path, name) {
  if (!state.token) { a.href = path; a.setAttribute("download", name); a.onclick = null; return; }
  // With a token the file is fetched with the header and handed to the browser as a blob.
  a.href = "#";
  a.onclick = async (event) => {
    event.preventDefault();
    const response = await fetch(path, { headers: { Authorization: "Bearer " + state.token } });
    const url = URL.createObjectURL(await response.blob());
    const tmp = el("a", { href: url, download: name });
    document.body.append(tmp); tmp.click(); tmp.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  };
}

async function showResults(run) {
  const [summary, map] = await Promise.all([api("/api/runs/" + run.id + "/summary"), api("/api/runs/" + run.id + "/communities")]);
  if (run.id !== state.currentRun) return;
  if (!summary.ok) { document.getElementById("run-error").textContent = summary.body.error; return; }
  const s = summary.body;
  document.getElementById("run-results").hidden = false;
  document.getElementById("run-facts").textContent = s.scenario + ": " + fmt(s.communities, 0) + " communities, " +
    fmt(s.households, 0) + " households, " + fmt(s.residents, 0) + " residents, " + s.days + " days, seed " + s.seed + ", " +
    s.replicates + " replicate" + (s.replicates === 1 ? "" : "s (mean ± 95 % interval)");
  const base = "/api/runs/" + run.id;
  downloadLink(document.getElementById("download-h5"), base + "/output.h5", "commsim-" + run.scenario + "-" + run.id + ".h5");
  downloadLink(document.getElementById("download-csv"), base + "/citywide.csv", "commsim-" + run.scenario + "-" + run.id + "-citywide.csv");
  downloadLink(document.getElementById("download-json"), base + "/summary", "commsim-" + run.scenario + "-" + run.id + "-summary.json");

  const names = Object.keys(s.services);
  // The CLI's columns: unmet service hours, waits in the serving role's working minutes.
  setTable(document.getElementById("services-table"),
    ["service", "kind", "demand", "served", "coverage", "unmet (hours)", "mean wait (work min)", "p90 wait (work min)", "<target", "gini"],
    names.map((n) => {
      const x = s.services[n];
      const enrol = x.kind === "enrolment";
      return [wrappable(n), x.kind, fmt(x.demand, 0), fmt(x.served, 0),
        (100 * x.coverage).toFixed(1) + (s.replicates > 1 ? "±" + (100 * x.coverage_ci95).toFixed(1) : "") + " %",
        fmt(x.unmet_hours, 0), enrol ? "–" : fmt(x.mean_wait_working_min), enrol ? "–" : fmt(x.p90_wait_working_min),
        pct(x.share_communities_below_target), fmt(x.gini, 3)];
    }));
  const roles = Object.keys(s.roles);
  setTable(document.getElementById("roles-table"),
    ["role", "staff", "utilisation", "overtime", "overhead", "travel", "WISN pressure", "pay (yuan)"],
    roles.map((n) => {
      const x = s.roles[n];
      return [n, fmt(x.staff, 0), pct(x.utilisation), pct(x.overtime_share), pct(x.overhead_share), pct(x.travel_share), fmt(x.wisn_pressure, 2), fmt(x.pay_yuan, 0)];
    }));
  document.getElementById("cost-text").textContent = "Cost " + fmt(s.cost.total_yuan / 1e6, 1) + " M yuan a run (city " +
    fmt(s.cost.city_yuan / 1e6, 1) + " M, district " + fmt(s.cost.district_yuan / 1e6, 1) + " M); " + fmt(s.cost.per_resident_yuan, 0) +
    " yuan per resident; " + fmt(s.cost.per_served_request_yuan, 1) + " yuan per served request. " + pct(s.access_share) +
    " of households live within walking reach of their community's facility (N1.5).";
  drawServiceCharts(s);
  if (map.ok) setupMap(map.body);
}

// Whiskers for the 95 % intervals of a bar chart (datasets carry `ci`, half-widths in data units).
const errorBars = {
  id: "errorBars",
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    chart.data.datasets.forEach((ds, i) => {
      if (!ds.ci) return;
      const meta = chart.getDatasetMeta(i);
      const scale = chart.scales[meta.yAxisID];
      ctx.save();
      const area = chart.chartArea;  // whiskers longer than the axis are cut at its ends
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      ctx.strokeStyle = "#1f2933";
      ctx.lineWidth = 1.2;
      meta.data.forEach((bar, j) => {
        const hw = ds.ci[j];
        if (!hw) return;
        const v = ds.data[j];
        const top = scale.getPixelForValue(v + hw), bottom = scale.getPixelForValue(v - hw);
        ctx.beginPath();
        ctx.moveTo(bar.x, top); ctx.lineTo(bar.x, bottom);
        ctx.moveTo(bar.x - 4, top); ctx.lineTo(bar.x + 4, top);
        ctx.moveTo(bar.x - 4, bottom); ctx.lineTo(bar.x + 4, bottom);
        ctx.stroke();
      });
      ctx.restore();
    });
  },
};

function chart(id, config) {
  if (state.charts[id]) state.charts[id].destroy();
  config.plugins = (config.plugins || []).concat([errorBars]);
  state.charts[id] = new Chart(document.getElementById(id), config);
  return state.charts[id];
}

function drawServiceCharts(s) {
  const names = Object.keys(s.services);
  chart("coverage-chart", {
    type: "bar",
    data: { labels: names, datasets: [{ label: "coverage (%)", data: names.map((n) => 100 * s.services[n].coverage),
      ci: names.map((n) => 100 * (s.services[n].coverage_ci95 || 0)), backgroundColor: "#1d5fa8" }] },
    options: { maintainAspectRatio: false, animation: false, plugins: { title: { display: true, text: "Coverage per service (±95 % interval)" }, legend: { display: false } },
      scales: { y: { min: 0, max: 100, title: { display: true, text: "% served in time" } } } },
  });
  chart("unmet-chart", {
    type: "bar",
    data: { labels: names, datasets: [{ label: "unmet hours", data: names.map((n) => s.services[n].unmet_hours), backgroundColor: "#b42318" }] },
    options: { maintainAspectRatio: false, animation: false, plugins: { title: { display: true, text: "Unmet service hours per service" }, legend: { display: false } },
      scales: { y: { beginAtZero: true } } },
  });
}

// ------------------------------------------------------------------ map and districts
const RAMP = [[178, 24, 43], [244, 165, 130], [247, 247, 247], [146, 197, 222], [33, 102, 172]];
function rampColour(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "#999";
  const t = Math.min(1, Math.max(0, x)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t)), f = t - i;
  const c = RAMP[i].map((v, k) => Math.round(v + f * (RAMP[i + 1][k] - v)));
  return "rgb(" + c.join(",") + ")";
}

// How much a service's coverage varies between communities (households-weighted standard deviation).
function coverageSpread(data, service) {
  const c = data.coverage[service], w = data.households;
  let sw = 0, m = 0;
  for (let i = 0; i < c.length; i++) { sw += w[i]; m += w[i] * c[i]; }
  if (!sw) return 0;
  m /= sw;
  let v = 0;
  for (let i = 0; i < c.length; i++) v += w[i] * (c[i] - m) * (c[i] - m);
  return Math.sqrt(v / sw);
}

function setupMap(data) {
  state.map = { data, points: [] };
  const select = document.getElementById("map-service");
  const keep = select.value;
  select.replaceChildren();
  for (const s of data.services) select.append(el("option", { value: s, text: s }));
  // First shown: the service whose coverage varies most between communities (household visits in
  // the baseline), not one served ~99 % everywhere.
  const varied = data.services.slice().sort((a, b) => coverageSpread(data, b) - coverageSpread(data, a))[0];
  select.value = data.services.includes(keep) ? keep : varied;
  drawMap();
}

// The colour scale of the map: the shown service's coverage range (a flat 0-100 % scale would paint
// 90-100 % all one colour), widened to at least 10 percentage points.
function mapScale(values) {
  let lo = Math.min(...values), hi = Math.max(...values);
  if (!Number.isFinite(lo)) return { lo: 0, hi: 1 };
  if (hi - lo < 0.1) { const mid = (lo + hi) / 2; lo = Math.max(0, mid - 0.05); hi = Math.min(1, lo + 0.1); lo = hi - 0.1; }
  return { lo, hi };
}

// District names at the households-weighted centre of their communities.
function drawDistrictLabels(ctx, m) {
  const d = m.data, centres = new Map();
  for (const p of m.points) {
    const k = d.district[p.i], w = d.households[p.i] || 1;
    const c = centres.get(k) || { x: 0, y: 0, w: 0 };
    c.x += w * p.x; c.y += w * p.y; c.w += w;
    centres.set(k, c);
  }
  ctx.save();
  ctx.font = "600 13px system-ui, 'Noto Sans CJK SC', sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.lineJoin = "round";
  for (const [name, c] of centres) {
    ctx.lineWidth = 4;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.strokeText(name, c.x / c.w, c.y / c.w);
    ctx.fillStyle = "#1f2933";
    ctx.fillText(name, c.x / c.w, c.y / c.w);
  }
  ctx.restore();
}

// Positions in metres to canvas pixels: centred, north up, the same scale on both axes.
function mapProjection(xs, ys, canvas, pad) {
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const span = Math.max(maxX - minX, maxY - minY, 1);
  const scale = Math.min((canvas.width - 2 * pad) / Math.max(maxX - minX, 1e-9 + span * 0.01), (canvas.height - 2 * pad) / Math.max(maxY - minY, 1e-9 + span * 0.01));
  const offX = (canvas.width - (maxX - minX) * scale) / 2, offY = (canvas.height - (maxY - minY) * scale) / 2;
  return (i) => [offX + (xs[i] - minX) * scale, canvas.height - offY - (ys[i] - minY) * scale];
}

function drawMap() {
  const m = state.map;
  if (!m) return;
  const service = document.getElementById("map-service").value;
  const d = m.data, canvas = document.getElementById("map"), ctx = canvas.getContext("2d");
  const n = d.name.length, pad = 24;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!n) return;
  const place = mapProjection(d.x_m, d.y_m, canvas, pad);
  const maxH = Math.max(...d.households, 1);
  const maxR = Math.max(3, Math.min(22, 0.5 * Math.sqrt((canvas.width * canvas.height) / n)));
  m.points = [];
  const coverage = d.coverage[service];
  const range = mapScale(coverage);
  document.getElementById("legend-low").textContent = pct(range.lo, 0);
  document.getElementById("legend-high").textContent = pct(range.hi, 0);
  document.getElementById("legend-what").textContent = service + " coverage, community by community";
  for (let i = 0; i < n; i++) {
    const [x, y] = place(i);
    const r = Math.max(2, maxR * Math.sqrt(d.households[i] / maxH));
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = rampColour((coverage[i] - range.lo) / (range.hi - range.lo));
    ctx.fill();
    ctx.strokeStyle = d.oversized[i] ? "#1f2933" : "rgba(31,41,51,0.35)";
    ctx.lineWidth = d.oversized[i] ? 2 : 0.7;
    ctx.stroke();
    m.points.push({ x, y, r, i });
  }
  drawDistrictLabels(ctx, m);
  drawDistricts(service);
}

// The tip beside the circle under the pointer (points: {x, y, r, i} in canvas pixels; text(i)).
function showTip(event, points, tip, text) {
  const canvas = event.target, rect = canvas.getBoundingClientRect();
  const x = (event.clientX - rect.left) * (canvas.width / rect.width), y = (event.clientY - rect.top) * (canvas.height / rect.height);
  let best = null;
  for (const p of points) {
    const dist = Math.hypot(p.x - x, p.y - y);
    if (dist <= p.r + 3 && (!best || dist < best.dist)) best = { p, dist };
  }
  if (!best) { tip.hidden = true; return; }
  tip.textContent = text(best.p.i);
  tip.hidden = false;
  tip.style.left = (event.clientX - rect.left + 12) + "px";
  tip.style.top = (event.clientY - rect.top + 12) + "px";
}

function mapHover(event) {
  const m = state.map;
  if (!m) return;
  const d = m.data, service = document.getElementById("map-service").value;
  showTip(event, m.points, document.getElementById("map-tip"), (i) => d.name[i] + " (" + d.district[i] + "): " +
    fmt(d.households[i], 0) + " households, " + service + " coverage " + pct(d.coverage[service][i]) + ", unmet " +
    fmt(d.unmet_hours[service][i], 0) + " hours");
}

function drawDistricts(service) {
  const d = state.map.data, rows = new Map();
  for (let i = 0; i < d.name.length; i++) {
    const k = d.district[i];
    if (!rows.has(k)) rows.set(k, { communities: 0, households: 0, residents: 0, demand: 0, covered: 0, unmet: 0 });
    const r = rows.get(k);
    r.communities++;
    r.households += d.households[i];
    r.residents += d.residents[i];
    r.demand += d.demand[service][i];
    r.covered += d.demand[service][i] * d.coverage[service][i];
    r.unmet += d.unmet_hours[service][i];
  }
  setTable(document.getElementById("districts-table"),
    ["district", "communities", "households", "residents", service + " coverage", service + " unmet (hours)"],
    [...rows.entries()].map(([k, r]) => [k, fmt(r.communities, 0), fmt(r.households, 0), fmt(r.residents, 0),
      r.demand > 0 ? pct(r.covered / r.demand) : "–", fmt(r.unmet, 0)]));
}

// ------------------------------------------------------------------ compare
async function compare() {
  const base = document.getElementById("compare-base").value, variant = document.getElementById("compare-variant").value;
  const view = document.getElementById("compare-view");
  if (!base || !variant) return;
  const r = await api("/api/compare?base=" + encodeURIComponent(base) + "&variant=" + encodeURIComponent(variant));
  view.hidden = false;
  for (const other of ["welcome", "alloc-view", "front-view"]) document.getElementById(other).hidden = true;
  const notes = document.getElementById("compare-notes");
  notes.replaceChildren();
  document.getElementById("compare-title").textContent = "variant " + variant + " − base " + base;
  if (!r.ok) {
    notes.append(el("li", { class: "error", text: r.body.error }));
    document.getElementById("compare-table").replaceChildren();
    document.getElementById("compare-run-table").replaceChildren();
    return;
  }
  const c = r.body;
  notes.append(el("li", { text: "base: " + c.base.scenario + " (" + leversText(c.base.set) + "); variant: " + c.variant.scenario + " (" + leversText(c.variant.set) + ")" }));
  notes.append(el("li", { text: c.replicates + " replicate" + (c.replicates === 1 ? "" : "s") + (c.paired ? ", paired replicate by replicate (same seeds)" : "") +
    (c.replicates < 2 ? "; with one replicate there is no interval: run more replicates (run.replicates) for one" : "") }));
  for (const n of c.notes) notes.append(el("li", { text: n }));
  const names = (c.service_order || Object.keys(c.services)).filter((n) => n in c.services);
  const ci = (x, scale, digits) => (c.replicates > 1 ? " ± " + (x * scale).toFixed(digits) : "");
  const diffCell = (f, scale, digits, unit, goodUp) => {
    const span = el("span", { text: signed(f.difference, digits, scale, unit) + ci(f.difference_ci95, scale, digits) });
    const significant = c.replicates > 1 && Math.abs(f.difference) > f.difference_ci95;
    if (significant) span.className = (f.difference > 0) === goodUp ? "diff-good" : "diff-bad";
    return span;
  };
  setTable(document.getElementById("compare-table"),
    ["service", "coverage base", "coverage variant", "Δ coverage (pp)", "Δ mean wait (work min)", "Δ p90 wait (work min)", "Δ unmet (hours)"],
    names.map((n) => {
      const x = c.services[n];
      return [wrappable(n), pct(x.coverage.base), pct(x.coverage.variant), diffCell(x.coverage, 100, 2, "", true),
        diffCell(x.mean_wait_working_min, 1, 1, "", false), diffCell(x.p90_wait_working_min, 1, 1, "", false), diffCell(x.unmet_hours, 1, 0, "", false)];
    }));
  const rows = [];
  for (const [role, x] of Object.entries(c.roles))
    rows.push([role + " staff", fmt(x.staff.base, 0), fmt(x.staff.variant, 0), signed(x.staff.difference, 0)],
      [role + " utilisation", pct(x.utilisation.base), pct(x.utilisation.variant), diffCell(x.utilisation, 100, 2, " pp", false)]);
  for (const k of ["cost_total_yuan", "cost_per_resident_yuan", "cost_per_served_yuan", "access_share", "residents"]) {
    const x = c.run[k];
    const share = k === "access_share";
    rows.push([k, share ? pct(x.base) : fmt(x.base, 1), share ? pct(x.variant) : fmt(x.variant, 1),
      share ? diffCell(x, 100, 2, " pp", true) : diffCell(x, 1, 1, "", k === "residents")]);
  }
  setTable(document.getElementById("compare-run-table"), ["figure", "base", "variant", "difference"], rows);
  chart("compare-chart", {
    type: "bar",
    data: { labels: names, datasets: [{ label: "Δ coverage (percentage points)", data: names.map((n) => 100 * c.services[n].coverage.difference),
      ci: names.map((n) => 100 * c.services[n].coverage.difference_ci95), backgroundColor: names.map((n) => c.services[n].coverage.difference >= 0 ? "#1a7f37" : "#b42318") }] },
    options: { maintainAspectRatio: false, animation: false, plugins: { title: { display: true, text: "Coverage, variant − base (percentage points, ±95 % interval)" }, legend: { display: false } } },
  });
  view.scrollIntoView({ block: "start" });
}

// ------------------------------------------------------------------ start
function start() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) { sessionStorage.setItem("commsim-token", decodeURIComponent(m[1])); history.replaceState(null, "", location.pathname); }
  state.token = sessionStorage.getItem("commsim-token");
  if (typeof Chart === "undefined") document.getElementById("server-note").textContent = "Chart.js did not load: charts are off.";
  document.getElementById("scenario").addEventListener("change", (e) => loadSchema(e.target.value));
  document.getElementById("run-form").addEventListener("submit", submitRun);
  document.getElementById("reset-button").addEventListener("click", buildForm);
  document.getElementById("advanced-search").addEventListener("input", filterAdvanced);
  document.getElementById("compare-button").addEventListener("click", compare);
  document.getElementById("map-service").addEventListener("change", drawMap);
  document.getElementById("map").addEventListener("mousemove", mapHover);
  document.getElementById("map").addEventListener("mouseleave", () => { document.getElementById("map-tip").hidden = true; });
  loadScenarios().then(refreshRuns);
  setInterval(() => { if (!document.hidden) refreshRuns(); }, 5000);
}

document.addEventListener("DOMContentLoaded", start);
