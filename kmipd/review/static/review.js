// kmipd review page: edit a digitization over its figure; every change is rebuilt by the server.
// The state (see kmipd/review/state.py) is held here in full and sent with every request.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const HIT_PX = 8;          // how near (in screen pixels) a click must be to a point or curve
let state = null;          // the edited reading
let result = null;         // the server's last rebuild
let selected = 0;          // index of the selected arm
let history = [];          // states before each edit, for undo
let drag = null;           // {kind, arm, index} or {kind: "mask", x0, y0} while the mouse is down
let rebuildTimer = null;
let newArms = 0;

const $ = (id) => document.getElementById(id);
const overlay = $("overlay");

async function load() {
  const reply = await (await fetch("/api/state")).json();
  state = reply.state;
  $("outdir").textContent = reply.outdir + (reply.reported ? "" : " (no reported file: nothing validated)");
  overlay.setAttribute("viewBox", `0 0 ${state.image.width} ${state.image.height}`);
  showEdits(reply.edits);
  render();
  show(reply.result);
}

// ---- edits -------------------------------------------------------------------------------
function edit(change) {
  history.push(JSON.stringify(state));
  change();
  render();
  scheduleRebuild();
}

function undo() {
  if (!history.length) return;
  state = JSON.parse(history.pop());
  selected = Math.min(selected, state.arms.length - 1);
  render();
  scheduleRebuild();
}

function scheduleRebuild() {
  setStatus("busy", "rebuilding…");
  clearTimeout(rebuildTimer);
  rebuildTimer = setTimeout(rebuild, 250);
}

async function rebuild() {
  const sent = JSON.stringify(state);
  const reply = await (await fetch("/api/rebuild", {method: "POST", body: sent,
    headers: {"Content-Type": "application/json"}})).json();
  if (sent === JSON.stringify(state)) show(reply);  // a later edit has its own rebuild coming
}

async function save() {
  $("saved").textContent = "saving…";
  const reply = await fetch("/api/save", {method: "POST", body: JSON.stringify(state),
    headers: {"Content-Type": "application/json"}});
  const body = await reply.json();
  if (body.error) { $("saved").textContent = "not saved: " + body.error; return; }
  $("saved").textContent = "saved: " + body.files.join(", ");
  showEdits(body.edits);
}

// ---- pixels -------------------------------------------------------------------------------
function imagePoint(event) {
  const pt = overlay.createSVGPoint();
  pt.x = event.clientX; pt.y = event.clientY;
  return pt.matrixTransform(overlay.getScreenCTM().inverse());
}

function pxPerScreen() { return state.image.width / overlay.getBoundingClientRect().width; }

function nearestPoint(p, kinds) {
  let best = null;
  const limit = HIT_PX * pxPerScreen();
  state.arms.forEach((arm, a) => kinds.forEach((kind) => (arm[kind] || []).forEach((q, i) => {
    const d = Math.hypot(q[0] - p.x, q[1] - p.y);
    if (d <= limit && (!best || d < best.d)) best = {d, arm: a, kind, index: i};
  })));
  return best;
}

function nearestArm(p) {  // the arm whose step curve passes nearest the point
  let best = null;
  state.arms.forEach((arm, a) => {
    const pts = stepPath(arm.points);
    for (let i = 1; i < pts.length; i++) {
      const d = segmentDistance(p, pts[i - 1], pts[i]);
      if (!best || d < best.d) best = {d, arm: a};
    }
  });
  return best && best.d <= 2 * HIT_PX * pxPerScreen() ? best.arm : null;
}

function segmentDistance(p, a, b) {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const t = dx || dy ? Math.max(0, Math.min(1, ((p.x - a[0]) * dx + (p.y - a[1]) * dy) / (dx * dx + dy * dy))) : 0;
  return Math.hypot(a[0] + t * dx - p.x, a[1] + t * dy - p.y);
}

function stepPath(points) {  // corners -> the step curve drawn through them (horizontal, then down)
  const sorted = [...points].sort((u, v) => u[0] - v[0] || u[1] - v[1]);
  const out = [];
  sorted.forEach((q, i) => {
    if (i) out.push([q[0], sorted[i - 1][1]]);
    out.push(q);
  });
  return out;
}

function round2(v) { return Math.round(v * 100) / 100; }

// ---- mouse ----------------------------------------------------------------------------------
function mode() { return document.querySelector("input[name=mode]:checked").value; }

overlay.addEventListener("mousedown", (event) => {
  event.preventDefault();
  const p = imagePoint(event), m = mode(), arm = state.arms[selected];
  if (m === "axes") {
    const handle = nearestHandle(p);
    if (handle) { history.push(JSON.stringify(state)); drag = handle; }
  } else if (m === "mask") {
    drag = {kind: "mask", x0: p.x, y0: p.y};
  } else if (m === "pick") {
    pickColour(p);
  } else if (m === "add" && arm) {
    edit(() => arm.points.push([round2(p.x), round2(p.y)]));
  } else if (m === "censor" && arm) {
    edit(() => (arm.censor = arm.censor || []).push([round2(p.x), round2(p.y)]));
  } else if (m === "delete") {
    const hit = nearestPoint(p, ["points", "censor"]);
    if (hit) edit(() => state.arms[hit.arm][hit.kind].splice(hit.index, 1));
  } else {
    const hit = nearestPoint(p, ["points", "censor"]);
    if (hit) {
      selected = hit.arm;
      history.push(JSON.stringify(state));
      drag = {kind: "point", list: hit.kind, arm: hit.arm, index: hit.index};
      render();
    } else {
      const a = nearestArm(p);
      if (a !== null) { selected = a; render(); }
    }
  }
});

overlay.addEventListener("mousemove", (event) => {
  if (!drag) return;
  const p = imagePoint(event);
  if (drag.kind === "point") {
    state.arms[drag.arm][drag.list][drag.index] = [round2(p.x), round2(p.y)];
  } else if (drag.kind === "x" || drag.kind === "y") {
    state[drag.kind + "_axis"].pixels[drag.index] = round2(drag.kind === "x" ? p.x : p.y);
  } else if (drag.kind === "mask") {
    drag.x1 = p.x; drag.y1 = p.y;
  }
  render();
});

window.addEventListener("mouseup", () => {
  if (!drag) return;
  const done = drag;
  drag = null;
  if (done.kind === "mask" && done.x1 !== undefined) {
    edit(() => state.masks.push([done.x0, done.y0, done.x1, done.y1].map(round2)));
  } else if (done.kind !== "mask") {
    render();
    scheduleRebuild();
  }
});

function nearestHandle(p) {
  const limit = 2 * HIT_PX * pxPerScreen();
  let best = null;
  [["x", p.x], ["y", p.y]].forEach(([axis, v]) => state[axis + "_axis"].pixels.forEach((q, i) => {
    const d = Math.abs(q - v);
    if (d <= limit && (!best || d < best.d)) best = {d, kind: axis, index: i};
  }));
  return best;
}

async function pickColour(p) {
  const reply = await (await fetch("/api/trace", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({x: p.x, y: p.y, box: state.box, masks: state.masks})})).json();
  if (reply.points.length < 2) { setStatus("error", "no curve of that colour found there"); return; }
  edit(() => {
    newArms += 1;
    state.arms.push({id: "new" + newArms + "-" + Date.now(), name: "Arm " + (state.arms.length + 1),
      colour: pixelColour(p), points: reply.points, censor: [], n: null, events: null});
    if (state.at_risk) state.at_risk.rows.push(state.at_risk.times.map(() => null));
    selected = state.arms.length - 1;
  });
}

function pixelColour(p) {
  const img = $("figure"), canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data;
  return "#" + [d[0], d[1], d[2]].map((c) => c.toString(16).padStart(2, "0")).join("");
}

// ---- drawing ------------------------------------------------------------------------------
function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
  (parent || overlay).appendChild(node);
  return node;
}

function render() {
  overlay.replaceChildren();
  const b = state.box, unit = pxPerScreen();
  el("rect", {x: b.left, y: b.top, width: b.right - b.left, height: b.bottom - b.top, fill: "none",
    stroke: "#888", "stroke-dasharray": `${4 * unit}`, "stroke-width": unit});
  state.masks.forEach((m) => el("rect", {x: Math.min(m[0], m[2]), y: Math.min(m[1], m[3]),
    width: Math.abs(m[2] - m[0]), height: Math.abs(m[3] - m[1]), fill: "#000", "fill-opacity": 0.25,
    class: "mask"}));
  if (drag && drag.kind === "mask" && drag.x1 !== undefined) {
    el("rect", {x: Math.min(drag.x0, drag.x1), y: Math.min(drag.y0, drag.y1), width: Math.abs(drag.x1 - drag.x0),
      height: Math.abs(drag.y1 - drag.y0), fill: "none", stroke: "#000", "stroke-width": unit});
  }
  drawHandles(unit);
  if ($("show-rebuilt").checked && result && result.km) {
    Object.entries(result.km).forEach(([name, pts], k) => {
      const arm = state.arms.find((a) => a.name === name) || state.arms[k] || {colour: "#000"};
      el("polyline", {points: pts.map((q) => q.join(",")).join(" "), fill: "none", stroke: arm.colour,
        "stroke-width": 1.5 * unit, "stroke-dasharray": `${6 * unit} ${3 * unit}`, opacity: 0.9, class: "rebuilt"});
    });
  }
  state.arms.forEach((arm, a) => {
    const width = (a === selected ? 2.5 : 1.2) * unit;
    el("polyline", {points: stepPath(arm.points).map((q) => q.join(",")).join(" "), fill: "none",
      stroke: arm.colour, "stroke-width": width, opacity: 0.8, class: "arm-line", "data-arm": a});
    arm.points.forEach((q) => el("circle", {cx: q[0], cy: q[1], r: (a === selected ? 3.5 : 2.5) * unit,
      fill: "#fff", stroke: arm.colour, "stroke-width": unit, class: "point", "data-arm": a}));
    (arm.censor || []).forEach((q) => el("path", {d: `M${q[0] - 4 * unit},${q[1]}h${8 * unit}M${q[0]},${q[1] - 4 * unit}v${8 * unit}`,
      stroke: arm.colour, "stroke-width": 1.5 * unit, class: "censor"}));
  });
  keepingFocus(() => { renderArms(); renderTable(); });
  renderAxes();
}

// The side panel is rebuilt on every change; the field the user is in keeps the focus.
function keepingFocus(build) {
  const key = document.activeElement && document.activeElement.dataset.key;
  build();
  const again = key && document.querySelector(`[data-key="${key}"]`);
  if (again && again !== document.activeElement) again.focus();
}

function drawHandles(unit) {
  const b = state.box;
  state.x_axis.pixels.forEach((p, i) => {
    el("line", {x1: p, x2: p, y1: b.top, y2: b.bottom + 12 * unit, stroke: "#e07000", "stroke-width": 1.5 * unit,
      class: "handle-x", "stroke-dasharray": `${2 * unit}`});
    el("text", {x: p, y: b.bottom + 24 * unit, "font-size": 12 * unit, fill: "#e07000", "text-anchor": "middle"})
      .textContent = state.x_axis.values[i];
  });
  state.y_axis.pixels.forEach((p, i) => {
    el("line", {x1: b.left - 12 * unit, x2: b.right, y1: p, y2: p, stroke: "#e07000", "stroke-width": 1.5 * unit,
      class: "handle-y", "stroke-dasharray": `${2 * unit}`});
    el("text", {x: b.left - 16 * unit, y: p + 4 * unit, "font-size": 12 * unit, fill: "#e07000", "text-anchor": "end"})
      .textContent = state.y_axis.values[i];
  });
}

// ---- side panel -----------------------------------------------------------------------------
function numberOrNull(text) {
  const v = text.trim() === "" ? null : Number(text);
  return v === null || Number.isFinite(v) ? v : null;
}

function renderArms() {
  const body = $("arms").tBodies[0];
  body.replaceChildren();
  state.arms.forEach((arm, a) => {
    const row = body.insertRow();
    row.className = a === selected ? "selected" : "";
    row.innerHTML = `<td><input type="radio" name="sel" ${a === selected ? "checked" : ""}></td>
      <td><input type="color" value="${arm.colour}"></td><td><input class="name" value=""></td>
      <td><input type="number" class="n" min="1" step="1"></td><td><input type="number" class="events" min="0" step="1"></td>
      <td>${arm.points.length}</td><td><button class="delete">Delete</button></td>`;
    const [sel, colour, name, n, events] = row.querySelectorAll("input");
    [sel, colour, name, n, events].forEach((input, i) => (input.dataset.key = `arm-${a}-${i}`));
    name.value = arm.name;
    n.value = arm.n ?? "";
    events.value = arm.events ?? "";
    row.dataset.arm = a;
    sel.onchange = () => { selected = a; render(); };
    colour.onchange = () => edit(() => (arm.colour = colour.value));
    name.onchange = () => edit(() => (arm.name = name.value.trim()));
    n.onchange = () => edit(() => (arm.n = numberOrNull(n.value)));
    events.onchange = () => edit(() => (arm.events = numberOrNull(events.value)));
    row.querySelector(".delete").onclick = () => edit(() => {
      state.arms.splice(a, 1);
      if (state.at_risk) state.at_risk.rows.splice(a, 1);
      selected = Math.max(0, Math.min(selected, state.arms.length - 1));
    });
  });
}

function renderAxes() {
  ["x", "y"].forEach((axis) => [0, 1].forEach((i) => {
    const input = $(`${axis}-v${i}`), cal = state[axis + "_axis"];
    if (document.activeElement !== input) input.value = cal.values[i];
    $(`${axis}-p${i}`).textContent = cal.pixels[i].toFixed(1);
    input.onchange = () => { const v = numberOrNull(input.value); if (v !== null) edit(() => (cal.values[i] = v)); };
  }));
  $("percent").checked = !!state.percent;
}

function renderTable() {
  const wrap = $("table-wrap"), t = state.at_risk;
  $("toggle-table").textContent = t ? "Remove table (use N)" : "Type a table";
  $("add-col").disabled = $("drop-col").disabled = !t;
  if (!t) { wrap.textContent = "No table: N (and events) per arm steer the reconstruction."; return; }
  const table = document.createElement("table");
  table.id = "at-risk";
  const head = table.insertRow();
  head.insertCell().textContent = "time";
  t.times.forEach((time, j) => {
    const input = document.createElement("input");
    Object.assign(input, {type: "number", value: time, className: "time"});
    input.dataset.col = j;
    input.dataset.key = `time-${j}`;
    input.onchange = () => { const v = numberOrNull(input.value); if (v !== null) edit(() => (t.times[j] = v)); };
    head.insertCell().appendChild(input);
  });
  state.arms.forEach((arm, a) => {
    const row = table.insertRow();
    row.insertCell().textContent = arm.name;
    t.rows[a].forEach((count, j) => {
      const input = document.createElement("input");
      Object.assign(input, {type: "number", value: count ?? "", className: "count", min: 0, step: 1});
      input.dataset.arm = a; input.dataset.col = j; input.dataset.key = `count-${a}-${j}`;
      input.onchange = () => edit(() => (t.rows[a][j] = numberOrNull(input.value)));
      row.insertCell().appendChild(input);
    });
  });
  wrap.replaceChildren(table);
}

function show(reply) {
  result = reply;
  if (reply.error) setStatus("error", reply.error);
  else if (reply.passed === null) setStatus("none", "rebuilt (nothing to validate)");
  else {
    const rows = reply.validation.filter((r) => r.status !== "not estimable");
    const ok = rows.filter((r) => r.status === "pass").length;
    setStatus(reply.passed ? "pass" : "fail", `validation ${reply.passed ? "passed" : "failed"}: ${ok}/${rows.length} checks`);
  }
  const arms = $("ipd-arms").tBodies[0];
  arms.replaceChildren();
  reply.arms.forEach((r) => { arms.insertRow().innerHTML = `<td></td><td>${r.n}</td><td>${r.events}</td><td>${r.censored}</td>`;
    arms.rows[arms.rows.length - 1].cells[0].textContent = r.arm; });
  const body = $("validation").tBodies[0];
  body.replaceChildren();
  reply.validation.forEach((r) => {
    const row = body.insertRow();
    row.className = r.status === "pass" ? "pass" : r.status === "fail" ? "fail" : "";
    [r.statistic, r.arm, r.reported, r.reconstructed, r.status].forEach((v) => (row.insertCell().textContent = v ?? ""));
  });
  $("verdict").textContent = reply.passed === null ? "" : reply.passed ? "Every reported statistic reproduced." : "Some reported statistics not reproduced.";
  $("notes").replaceChildren(...(reply.notes || []).map((n) => Object.assign(document.createElement("li"), {textContent: n})));
  render();
}

function setStatus(kind, text) {
  const s = $("status");
  s.dataset.state = kind;
  s.textContent = text;
}

function showEdits(edits) {
  $("edits").replaceChildren(...(edits || []).map((e) => Object.assign(document.createElement("li"), {textContent: e})));
}

// ---- buttons --------------------------------------------------------------------------------
$("save").onclick = save;
$("undo").onclick = undo;
$("show-rebuilt").onchange = render;
$("zoom").onchange = () => { $("stage").style.width = `${100 * Number($("zoom").value)}%`; render(); };
$("percent").onchange = () => edit(() => (state.percent = $("percent").checked));
$("add-arm").onclick = () => edit(() => {
  newArms += 1;
  state.arms.push({id: "new" + newArms + "-" + Date.now(), name: "Arm " + (state.arms.length + 1),
    colour: "#ff00ff", points: [], censor: [], n: null, events: null});
  if (state.at_risk) state.at_risk.rows.push(state.at_risk.times.map(() => null));
  selected = state.arms.length - 1;
});
$("add-col").onclick = () => edit(() => {
  const t = state.at_risk, last = t.times.length ? t.times[t.times.length - 1] : 0;
  const step = t.times.length > 1 ? last - t.times[t.times.length - 2] : 1;
  t.times.push(last + step);
  t.rows.forEach((r) => r.push(null));
});
$("drop-col").onclick = () => edit(() => { state.at_risk.times.pop(); state.at_risk.rows.forEach((r) => r.pop()); });
$("toggle-table").onclick = () => edit(() => {
  state.at_risk = state.at_risk ? null : {times: [0], rows: state.arms.map(() => [null])};
});
window.addEventListener("keydown", (e) => { if ((e.ctrlKey || e.metaKey) && e.key === "z") { e.preventDefault(); undo(); } });
window.addEventListener("resize", () => state && render());
$("figure").addEventListener("load", () => state && render());

load();
