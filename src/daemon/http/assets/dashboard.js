/* dashboard.js - the page of drover's web dashboard (daemon/http/dashboard.h).
 * The process list and the charts come from /events (a snapshot each second
 * while the page is open); describe, logs and actions need the token that
 * `drover dashboard` puts in the URL's fragment, which is kept in
 * sessionStorage and sent as "Authorization: Bearer <token>". No framework:
 * the charts are drawn on <canvas> by drawChart below. */
"use strict";

const HISTORY = 180; /* points kept per instance (3 minutes at 1 s) */
const COLORS = ["#58a6ff", "#3fb950", "#d29922", "#f778ba", "#a371f7", "#56d4dd", "#ff7b72", "#e3b341"];

const state = {
  token: null,
  snapshots: 0,
  procs: [],
  history: new Map(), /* instance id -> [{t, cpu, mem}] */
  selected: null,     /* app name */
  logTimer: 0,
};

/* what tests/node/dashboard_check.js reads */
window.__dash = {
  snapshots: () => state.snapshots,
  points: (id) => (state.history.get(id) || []).length,
  selected: () => state.selected,
};

function $(sel) { return document.querySelector(sel); }

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

function takeToken() {
  const m = /(?:^#|&)token=([0-9a-fA-F]{16,128})/.exec(location.hash);
  if (m) {
    sessionStorage.setItem("drover-token", m[1]);
    history.replaceState(null, "", location.pathname); /* out of the address bar */
  }
  state.token = sessionStorage.getItem("drover-token");
  const auth = $("#auth");
  auth.textContent = state.token ? "token" : "no token";
  auth.className = "pill " + (state.token ? "on" : "off");
}

function fmtBytes(n) {
  if (!n) return "0 B";
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + u[i];
}

function fmtDuration(ms) {
  if (!ms) return "0s";
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h";
  return Math.floor(s / 86400) + "d";
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store"});
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  return {status: r.status, data};
}

function say(text, error) {
  const m = $("#msg");
  m.textContent = text;
  m.className = error ? "error" : "muted";
}

/* ---- snapshots ---- */

function onSnapshot(snap) {
  state.snapshots++;
  state.procs = snap.processes || [];
  const seen = new Set();
  for (const p of state.procs) {
    seen.add(p.id);
    let h = state.history.get(p.id);
    if (!h) state.history.set(p.id, h = []);
    h.push({t: snap.t, cpu: p.cpu || 0, mem: p.memory || 0});
    if (h.length > HISTORY) h.splice(0, h.length - HISTORY);
  }
  for (const id of [...state.history.keys()]) if (!seen.has(id)) state.history.delete(id);
  const d = snap.daemon || {};
  $("#daemon").textContent = `daemon ${d.pid} · drover ${d.version} · up ${fmtDuration(d.uptime_ms)}`;
  $("#snapcount").textContent = state.snapshots;
  if (!state.selected && state.procs.length) select(state.procs[0].name);
  if (state.selected && !state.procs.some((p) => p.name === state.selected))
    select(state.procs.length ? state.procs[0].name : null);
  renderTable();
  renderCharts();
}

function connect() {
  const es = new EventSource("/events");
  const live = $("#live");
  es.addEventListener("snapshot", (e) => onSnapshot(JSON.parse(e.data)));
  es.onopen = () => { live.textContent = "live"; live.className = "pill on"; };
  es.onerror = () => { live.textContent = "reconnecting"; live.className = "pill off"; };
}

function renderTable() {
  const body = $("#procs tbody");
  const apps = new Map();
  for (const p of state.procs) {
    if (!apps.has(p.name)) apps.set(p.name, []);
    apps.get(p.name).push(p);
  }
  const rows = [];
  for (const [name, insts] of apps) {
    const cpu = insts.reduce((a, p) => a + (p.cpu || 0), 0);
    const mem = insts.reduce((a, p) => a + (p.memory || 0), 0);
    const online = insts.filter((p) => p.status === "online").length;
    const sel = name === state.selected ? " selected" : "";
    const head = el("tr", {class: "app" + sel, "data-app": name},
      el("td", {}, ""), el("td", {}, name, el("span", {class: "muted small"}, insts[0].mode || "")),
      el("td", {}, `${online}/${insts.length} online`),
      el("td", {}, ""), el("td", {class: "num"}, cpu.toFixed(1) + "%"),
      el("td", {class: "num"}, fmtBytes(mem)),
      el("td", {class: "num"}, insts.reduce((a, p) => a + (p.restarts || 0), 0)), el("td", {}, ""));
    rows.push(head);
    for (const p of insts) {
      const r = el("tr", {class: "inst" + sel, "data-id": p.id, "data-app": name},
        el("td", {}, p.id), el("td", {}, name), el("td", {class: "st-" + p.status}, p.status),
        el("td", {}, p.pid || "—"), el("td", {class: "num"}, (p.cpu || 0).toFixed(1) + "%"),
        el("td", {class: "num"}, fmtBytes(p.memory)), el("td", {class: "num"}, p.restarts),
        el("td", {class: "num"}, fmtDuration(p.uptime_ms)));
      rows.push(r);
    }
  }
  body.replaceChildren(...rows);
  $("#empty").style.display = state.procs.length ? "none" : "";
}

/* ---- charts ---- */

/* A round top for an axis: 1, 2, 2.5, 4, 5, 8 or 10 times a power of ten
 * (of KB, MB, GB for bytes), so that its quarters are round too. */
function niceMax(v, bytes) {
  if (v <= 0) return bytes ? 1024 * 1024 : 1;
  let scale = 1;
  if (bytes) while (v / scale >= 1024) scale *= 1024;
  const x = v / scale;
  let unit = 1;
  while (unit * 10 <= x) unit *= 10;
  while (unit > x) unit /= 10;
  for (const m of [1, 2, 4, 5, 8, 10]) if (unit * m >= x) return unit * m * scale;
  return v;
}

/* The seconds shown: what the history holds, between 30 s and HISTORY s. */
function windowMs(series) {
  let first = Infinity, last = 0;
  for (const s of series) for (const p of s.points) { first = Math.min(first, p.t); last = Math.max(last, p.t); }
  if (!last) return 30000;
  return Math.min(HISTORY * 1000, Math.max(30000, Math.ceil((last - first) / 30000) * 30000));
}

/* series: [{label, color, points: [{t, v}]}]; fmt: a value as text */
function drawChart(canvas, series, fmt, bytes) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const L = 58, R = 8, T = 8, B = 20;
  let tMax = 0, vMax = 0;
  for (const s of series) for (const p of s.points) { tMax = Math.max(tMax, p.t); vMax = Math.max(vMax, p.v); }
  const span = windowMs(series), tMin = tMax - span;
  const top = niceMax(vMax * 1.1, bytes);
  const x = (t) => L + ((t - tMin) / span) * (w - L - R);
  const y = (v) => T + (1 - v / top) * (h - T - B);
  g.font = "11px system-ui, sans-serif";
  g.strokeStyle = "#263241";
  g.fillStyle = "#7d8a99";
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4, yy = Math.round(y(v)) + 0.5;
    g.beginPath(); g.moveTo(L, yy); g.lineTo(w - R, yy); g.stroke();
    g.textAlign = "right"; g.textBaseline = "middle";
    g.fillText(fmt(v), L - 6, yy);
  }
  g.textAlign = "center"; g.textBaseline = "alphabetic";
  const step = span <= 30000 ? 10000 : span <= 90000 ? 20000 : 30000;
  for (let k = 0; k * step <= span; k++) {
    const t = tMax - k * step, s = (k * step) / 1000;
    const label = k === 0 ? "now" : s % 60 ? `-${s}s` : `-${s / 60}m`;
    g.fillText(label, Math.max(L + 10, Math.min(x(t), w - R - 12)), h - 5);
  }
  for (const s of series) {
    if (!s.points.length) continue;
    g.strokeStyle = s.color;
    g.lineWidth = 1.6;
    g.beginPath();
    s.points.forEach((p, i) => (i ? g.lineTo(x(p.t), y(p.v)) : g.moveTo(x(p.t), y(p.v))));
    g.stroke();
    const last = s.points[s.points.length - 1];
    g.fillStyle = s.color;
    g.beginPath(); g.arc(x(last.t), y(last.v), 2.5, 0, 2 * Math.PI); g.fill();
  }
}

function renderCharts() {
  const insts = state.procs.filter((p) => p.name === state.selected);
  const cpu = [], mem = [], legend = [];
  insts.forEach((p, i) => {
    const color = COLORS[i % COLORS.length];
    const h = state.history.get(p.id) || [];
    cpu.push({color, points: h.map((q) => ({t: q.t, v: q.cpu}))});
    mem.push({color, points: h.map((q) => ({t: q.t, v: q.mem}))});
    legend.push(el("span", {}, el("i", {style: ""}), `${p.name} #${p.id}`));
    legend[legend.length - 1].firstChild.style.background = color;
  });
  drawChart($("#cpu-chart"), cpu, (v) => v.toFixed(v < 10 ? 1 : 0) + "%", false);
  drawChart($("#mem-chart"), mem, fmtBytes, true);
  $("#legend").replaceChildren(...legend);
}

/* ---- the selected app: describe, logs, actions ---- */

function select(name) {
  if (state.selected === name) return;
  state.selected = name;
  $("#app-title").textContent = name || "—";
  for (const b of document.querySelectorAll("#actions button")) b.disabled = !name || !state.token;
  say(state.token ? "" : "open the URL `drover dashboard` prints to act, see describe and logs");
  renderTable();
  renderCharts();
  loadDescribe();
  loadLogs();
}

async function loadDescribe() {
  const dl = $("#describe");
  const name = state.selected;
  if (!name) return dl.replaceChildren(el("dt", {class: "muted"}, "select an app"));
  if (!state.token) return dl.replaceChildren(el("dt", {class: "muted"}, "needs the token"));
  const r = await api("GET", "/api/apps/" + encodeURIComponent(name));
  if (name !== state.selected) return;
  if (r.status !== 200 || !r.data) return dl.replaceChildren(el("dt", {}, `error ${r.status}`));
  const p = (r.data.processes || [])[0];
  const cfg = (r.data.apps || {})[name] || {};
  if (!p) return dl.replaceChildren(el("dt", {}, "no instance"));
  const rows = [
    ["name", p.name], ["namespace", p.namespace], ["mode", `${p.mode} × ${p.instances}`],
    ["status", p.status], ["script", p.script], ["interpreter", p.interpreter],
    ["args", (p.args || []).join(" ")], ["cwd", p.cwd], ["restarts", p.restarts],
    ["unstable restarts", p.unstable_restarts], ["created", p.created_at ? new Date(p.created_at).toLocaleString() : ""],
    ["last exit", p.exit_code !== undefined && p.exit_code !== null ? `code ${p.exit_code}` : ""],
    ["reason", p.reason], ["out log", p.log_out], ["err log", p.log_err],
    ["log lines", p.log_lines], ["cgroup", p.cgroup],
    ["max memory restart", cfg.max_memory_restart], ["watch", cfg.watch ? JSON.stringify(cfg.watch) : ""],
  ];
  const kids = [];
  for (const [k, v] of rows) {
    if (v === undefined || v === null || v === "") continue;
    kids.push(el("dt", {}, k), el("dd", {}, v));
  }
  dl.replaceChildren(...kids);
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

async function loadLogs() {
  clearTimeout(state.logTimer);
  const pre = $("#log");
  const name = state.selected;
  if (!name || !state.token) {
    pre.textContent = state.token ? "" : "the log tail needs the token";
    return;
  }
  const r = await api("GET", "/api/apps/" + encodeURIComponent(name) + "/logs");
  if (name !== state.selected) return;
  if (r.status === 200 && r.data) {
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    const kids = [];
    const files = r.data.files || [];
    for (const f of files) {
      kids.push(el("span", {class: "src"}, `── #${f.id} ${f.stream} ${f.path}${f.error ? " (" + f.error + ")" : ""}\n`));
      for (const line of f.lines) kids.push(el("span", {class: f.stream === "err" ? "err" : ""}, line.replace(ANSI, "") + "\n"));
    }
    pre.replaceChildren(...kids);
    $("#logs-note").textContent = `${files.length} file${files.length === 1 ? "" : "s"}`;
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  } else {
    pre.textContent = `error ${r.status}`;
  }
  state.logTimer = setTimeout(loadLogs, 3000);
}

async function act(button) {
  const name = state.selected;
  const action = button.dataset.action;
  if (!name) return;
  const body = action === "scale" ? {delta: Number(button.dataset.delta)} : {};
  const label = button.textContent;
  for (const b of document.querySelectorAll("#actions button")) b.disabled = true;
  say(`${label} ${name}…`);
  try {
    const r = await api("POST", `/api/apps/${encodeURIComponent(name)}/${action}`, body);
    if (r.status === 202) say(`${label} ${name}: under way`);
    else say(`${label} ${name}: ${(r.data && r.data.error) || "error " + r.status}`, true);
  } catch (e) {
    say(`${label} ${name}: ${e}`, true);
  }
  for (const b of document.querySelectorAll("#actions button")) b.disabled = !state.token;
  setTimeout(loadDescribe, 1500);
}

function init() {
  takeToken();
  for (const b of document.querySelectorAll("#actions button")) {
    b.disabled = true;
    b.addEventListener("click", () => act(b));
  }
  /* on the table, not its rows: they are rebuilt with each snapshot, and a
   * press must not be lost to a row replaced before the release */
  $("#procs tbody").addEventListener("mousedown", (e) => {
    const row = e.target.closest("tr[data-app]");
    if (row) select(row.dataset.app);
  });
  window.addEventListener("resize", renderCharts);
  connect();
}

document.addEventListener("DOMContentLoaded", init);
