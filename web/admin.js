// The institution's admin console: live classrooms, the schedule and join
// links, lesson history with attendance (CSV), usage, lamps and parents, API keys and webhooks,
// all through the signed server API (/api/v1/..., nodes/node/server_api.hpp).
//
// The API key (kid + secret) is kept in this tab's sessionStorage only. Every
// request is signed here with WebCrypto, LL1-HMAC-SHA256 as
// backend/api_auth.hpp defines it; the secret itself never leaves the page.
// Everything the API returns is put into the DOM as text, never as HTML.

import { h, $ } from "./lib/ui.js";

const STORE = "lamplight.admin.key";
const VIEWS = ["live", "schedule", "history", "usage", "lamps", "keys", "webhooks"];
const POLL_MS = 3000;
const USAGE_DAYS = 30;
const DAY_MS = 86400000;
const SCHEME = "LL1-HMAC-SHA256";
const utf8 = new TextEncoder();

// -- signing -------------------------------------------------------------------

const toHex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

function makeNonce() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return toHex(b);  // 32 of [0-9a-f]: within the scheme's 16..64 of [A-Za-z0-9_-]
}

/// An API error: the HTTP status and the Error body {code, message}.
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  get text() {
    const where = this.status ? `HTTP ${this.status}` : "no answer";
    return `${where} · ${this.code}: ${this.message}`;
  }
}

class ApiClient {
  constructor(kid, secret) {
    this.kid = kid;
    // The HMAC key is the secret's characters as UTF-8, as the scheme says
    // (not hex-decoded); not extractable once imported.
    this.key = crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" },
      false, ["sign"]);
  }

  // The Authorization value of one request. `target` is the request-target
  // exactly as the browser sends it (path and query).
  async authorization(method, target, body) {
    const ts = Math.floor(Date.now() / 1000);
    const nonce = makeNonce();
    const bodyHash = toHex(await crypto.subtle.digest("SHA-256", utf8.encode(body)));
    const toSign = [SCHEME, String(ts), nonce, method, target, bodyHash].join("\n");
    const sig = toHex(await crypto.subtle.sign("HMAC", await this.key, utf8.encode(toSign)));
    return `${SCHEME} kid=${this.kid}, ts=${ts}, nonce=${nonce}, sig=${sig}`;
  }

  // method, path ("/api/v1/..."), query (object; empty values left out),
  // body (an object, sent as JSON), raw (answer as {text, headers}).
  async request(method, path, { query = null, body = undefined, raw = false } = {}) {
    let url = path;
    const q = Object.entries(query || {}).filter(([, v]) => v !== undefined && v !== null && v !== "");
    if (q.length) url += "?" + q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
    // Sign what the browser will send: its URL parser has the last word on
    // the path (dot segments, escapes).
    const u = new URL(url, location.origin);
    const target = u.pathname + u.search;
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers = { Authorization: await this.authorization(method, target, text) };
    if (text) headers["Content-Type"] = "application/json";
    busy++;
    let res;
    try {
      res = await fetch(target, { method, headers, body: text || undefined, cache: "no-store",
        credentials: "omit", redirect: "error", referrerPolicy: "no-referrer" });
    } catch (e) {
      throw new ApiError(0, "unavailable", `the node did not answer (${e.message})`);
    } finally {
      busy--;
    }
    if (!res.ok) {
      let code = "http_" + res.status, message = res.statusText || "request failed";
      try {
        const err = await res.json();
        if (err && typeof err.code === "string") code = err.code;
        if (err && typeof err.message === "string") message = err.message;
      } catch (_) { /* not an Error body */ }
      throw new ApiError(res.status, code, message);
    }
    if (raw) return { text: await res.text(), headers: res.headers };
    if (res.status === 204) return null;
    return res.json();
  }
}

let busy = 0;        // requests in flight
let api = null;      // ApiClient while signed in
let pollTimer = 0;
let autoSave = true; // a prepared CSV is also saved at once (tests turn it off)

// -- state (what the test hook reports) ----------------------------------------

function freshState() {
  return {
    signedIn: false, kid: "", view: "live", signinError: "", error: null,
    // How many times each part was loaded (a test waits for the next one).
    loads: { live: 0, room: 0, schedule: 0, history: 0, lesson: 0, usage: 0, lamps: 0, keys: 0, webhooks: 0, deliveries: 0 },
    live: { classrooms: [], selected: "", room: null, updated: "" },
    schedule: { classrooms: [] },
    created: "",   // id of the classroom made through the form
    token: null,   // {classroom, identity, role, page, url, expiresAt}
    ended: [],     // classrooms ended from this page
    history: { filter: {}, lessons: [], lesson: null },
    download: null,  // {lessonId, name, size, type, text}
    usage: { from: "", to: "", days: [], series: [] },
    lamps: { lamps: [], guardians: [] },
    keys: [],
    webhooks: { endpoints: [], deliveries: [], failedOnly: false, secretShown: false, added: "" },
  };
}
let S = freshState();

// -- formatting ----------------------------------------------------------------

const pad = (n) => String(n).padStart(2, "0");
function localDay(d) { return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`; }
function localTime(d) { return `${pad(d.getHours())}:${pad(d.getMinutes())}`; }

// An RFC 3339 time as a <time> element ("2027-01-15 14:02"), or "–".
function when(iso, { seconds = false } = {}) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const text = `${localDay(d)} ${localTime(d)}${seconds ? ":" + pad(d.getSeconds()) : ""}`;
  return h("time", { datetime: iso, title: iso }, text);
}

function duration(seconds) {
  if (!(seconds > 0)) return "0 s";
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  if (m < 60) return s ? `${m} min ${s} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// Minutes with two decimals; a stay of a few seconds is not "0.00".
const minutes = (x) => (x > 0 && x < 0.005 ? "< 0.01" : (x || 0).toFixed(2));
const label = (x) => (x ? String(x).replace(/_/g, " ") : "–");

function badge(text, kind = "") {
  return h("span", { class: "badge" + (kind ? " " + kind : "") }, text);
}

// -- DOM helpers -----------------------------------------------------------------

// Keeps a tbody's rows equal to `items`, in order, by key: rows are reused,
// so focus inside them survives a refresh.
function syncRows(tbody, items, key, fill) {
  const old = new Map([...tbody.rows].map((r) => [r.dataset.key, r]));
  let prev = null;
  for (const item of items) {
    const k = String(key(item));
    let tr = old.get(k);
    old.delete(k);
    if (!tr) { tr = h("tr"); tr.dataset.key = k; }
    fill(tr, item);
    const want = prev ? prev.nextSibling : tbody.firstChild;
    if (tr !== want) tbody.insertBefore(tr, want);
    prev = tr;
  }
  for (const tr of old.values()) tr.remove();
}

// A row's cells from values: strings become text, nodes are appended. A
// cell that did not change is kept as it is (a refresh leaves focus and
// selection alone); focus inside a changed one moves to its successor.
function cells(tr, ...values) {
  const next = values.map((v) => (v instanceof Node && v.nodeName === "TD" ? v : h("td", {}, v ?? "–")));
  next.forEach((td, i) => {
    const old = tr.cells[i];
    if (old && old.outerHTML === td.outerHTML) return;
    const focused = old && old.contains(document.activeElement) ? document.activeElement : null;
    if (old) old.replaceWith(td);
    else tr.append(td);
    if (focused && focused.dataset.action) {
      const again = td.querySelector(`[data-action="${focused.dataset.action}"]`);
      if (again) again.focus();
    }
  });
  while (tr.cells.length > next.length) tr.lastElementChild.remove();
}

// A form's control by name (form.id, form.title, form.role are the form's
// own properties, not its fields).
const field = (form, name) => form.elements.namedItem(name);

// An empty list shows its "none" line instead of an empty table.
function showEmpty(role, empty) {
  const p = $(`[data-role="${role}-empty"]`);
  if (p) p.hidden = !empty;
  const table = $(`table[data-role="${role}"]`);
  if (table) table.hidden = empty;
}

function setStatusText(text, kind = "") {
  const el = $("#status");
  el.textContent = text;
  el.dataset.kind = kind;
}

// The error banner: one error at a time, cleared when the part that failed
// next succeeds (or the view changes).
let errorSource = "";
function report(source, e) {
  if (!(e instanceof ApiError)) e = new ApiError(0, "internal", String(e && e.message || e));
  if (e.status === 401) { signOut(`Signed out: ${e.message}`); return; }
  errorSource = source;
  S.error = { source, status: e.status, code: e.code, message: e.message };
  const el = $('[data-role="error"]');
  el.textContent = e.text;
  el.hidden = false;
  setStatusText("error", "error");
}
function clearError(source = errorSource) {
  if (source !== errorSource) return;
  errorSource = "";
  S.error = null;
  $('[data-role="error"]').hidden = true;
  if ($("#status").dataset.kind === "error") setStatusText("signed in");
}

// Runs one load or action, errors reported. One at a time per name: a poll
// while one runs is the one running (a slow node never piles up polls); a
// fresh load (after a change, a click) runs once more after it, and fresh
// loads asked for meanwhile share that one run.
const running = new Map();
const queued = new Map();
function task(name, fn, fresh = true) {
  if (running.has(name)) {
    if (!fresh) return running.get(name);
    if (!queued.has(name))
      queued.set(name, running.get(name).then(() => { queued.delete(name); return task(name, fn); }));
    return queued.get(name);
  }
  const p = (async () => {
    try {
      const out = await fn();
      clearError(name);
      return out;
    } catch (e) {
      if (api) report(name, e);
      return undefined;
    } finally {
      running.delete(name);
    }
  })();
  running.set(name, p);
  return p;
}

// A confirmation in the page (a window.confirm would block the page).
function confirmDialog(text, yes = "Yes") {
  const dlg = $('[data-role="confirm"]');
  $('[data-field="confirm-text"]').textContent = text;
  $('[data-action="confirm-yes"]').textContent = yes;
  return new Promise((resolve) => {
    const done = (answer) => {
      $('[data-action="confirm-yes"]').onclick = null;
      $('[data-action="confirm-no"]').onclick = null;
      dlg.onclose = null;
      if (dlg.open) dlg.close();
      resolve(answer);
    };
    $('[data-action="confirm-yes"]').onclick = () => done(true);
    $('[data-action="confirm-no"]').onclick = () => done(false);
    dlg.onclose = () => done(false);
    dlg.showModal();
    $('[data-action="confirm-no"]').focus();
  });
}

// -- views -----------------------------------------------------------------------

function showView(view, { focus = false } = {}) {
  if (!VIEWS.includes(view)) view = "live";
  S.view = view;
  for (const v of VIEWS) {
    const tab = $(`#tab-${v}`);
    const on = v === view;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`#view-${v}`).hidden = !on;
  }
  if (focus) $(`#tab-${view}`).focus();
  if (location.hash !== "#" + view) history.replaceState(null, "", "#" + view);
  clearError();
  load(view);
}

function load(view) {
  if (!api) return;
  switch (view) {
    case "live": return loadLive();
    case "schedule": return loadSchedule();
    case "history": return loadLessons();
    case "usage": return loadUsage();
    case "lamps": return loadLamps();
    case "keys": return loadKeys();
    case "webhooks": return loadWebhooks();
  }
}

// The views that follow what happens now are polled while shown.
function poll() {
  if (!api) return;
  if (S.view === "live") loadLive(false);
  else if (S.view === "webhooks") loadDeliveries(false);
}

// -- live now --------------------------------------------------------------------

function loadLive(fresh = true) {
  return task("live", async () => {
    const list = await api.request("GET", "/api/v1/classrooms");
    S.live.classrooms = (list.classrooms || []).filter((c) => c.live);
    S.live.updated = new Date().toISOString();
    S.loads.live++;
    if (!S.live.selected && S.live.classrooms.length) S.live.selected = S.live.classrooms[0].id;
    renderLiveList();
    if (S.live.selected) await loadRoom(S.live.selected);
    else renderRoom();
  }, fresh);
}

async function loadRoom(id) {
  try {
    S.live.room = await api.request("GET", `/api/v1/classrooms/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) S.live.room = null;
    else throw e;
  }
  S.loads.room++;
  renderRoom();
}

function renderLiveList() {
  const rooms = S.live.classrooms;
  showEmpty("live", rooms.length === 0);
  $('[data-role="live-list"]').hidden = rooms.length === 0;
  syncRows($('[data-role="live-list"] tbody'), rooms, (c) => c.id, (tr, c) => {
    tr.dataset.id = c.id;
    const on = c.id === S.live.selected;
    tr.classList.toggle("selected", on);
    cells(tr, c.id, c.title || "–", label(c.mode), c.teacher || "–",
      c.startsAt ? h("span", {}, when(c.startsAt), "–", when(c.endsAt)) : "unscheduled",
      h("td", {}, h("button", { type: "button", class: "small", "aria-pressed": String(on),
        dataset: { action: "select-room", id: c.id }, "aria-label": `Show classroom ${c.id}`,
        onclick: () => { S.live.selected = c.id; renderLiveList(); task("room", () => loadRoom(S.live.selected)); } },
      "Show")));
  });
  const u = S.live.updated ? new Date(S.live.updated) : null;
  $('[data-role="live-updated"]').textContent = u ? `updated ${localTime(u)}:${pad(u.getSeconds())}` : "";
}

function renderRoom() {
  const panel = $('[data-role="room"]');
  const r = S.live.room;
  panel.hidden = !r;
  if (!r) return;
  $('[data-field="room-id"]').textContent = r.id;
  $('[data-field="room-title"]').textContent = r.title || "";
  const state = r.live ? "live" : r.endedAt ? "ended" : "not running";
  const st = $('[data-field="room-state"]');
  st.textContent = state;
  st.className = "badge " + (r.live ? "online" : "offline");
  const end = $('[data-action="end-lesson"]');
  end.hidden = !r.live;
  end.dataset.id = r.id;

  const members = r.members || [];
  showEmpty("members", members.length === 0);
  syncRows($('[data-role="members"] tbody'), members, (m) => m.identity, (tr, m) => {
    tr.dataset.identity = m.identity;
    const name = m.displayName && m.displayName !== m.identity ? `${m.displayName} (${m.identity})` : m.identity;
    const badges = [badge(m.online ? "online" : "offline", m.online ? "online" : "offline")];
    if (m.handRaised) badges.push(badge("hand raised", "hand"));
    if (m.callId) badges.push(badge("in call", "call"));
    if (m.child) badges.push(badge(`parent of ${m.child}`));
    cells(tr, name, label(m.role), h("td", {}, badges.flatMap((b) => [b, " "])));
  });
  const calls = r.calls || [];
  showEmpty("calls", calls.length === 0);
  syncRows($('[data-role="calls"] tbody'), calls, (c) => c.callId, (tr, c) => {
    tr.dataset.callId = c.callId;
    cells(tr, c.caller, c.callee, label(c.phase));
  });
  const hands = r.handQueue || [];
  showEmpty("hands", hands.length === 0);
  $('[data-role="hands"]').replaceChildren(...hands.map((id) => h("li", {}, id)));
  const tracks = r.tracks || [];
  showEmpty("tracks", tracks.length === 0);
  syncRows($('[data-role="tracks"] tbody'), tracks, (t) => t.trackId, (tr, t) => {
    cells(tr, t.owner, label(t.kind), label(t.source), t.muted ? "muted" : "");
  });
}

async function endLesson() {
  const id = $('[data-action="end-lesson"]').dataset.id;
  if (!id) return;
  if (!await confirmDialog(`End the lesson in ${id}? Everyone in it is disconnected, and the classroom cannot be joined again.`,
    "End lesson")) return;
  await task("end", async () => {
    await api.request("POST", `/api/v1/classrooms/${encodeURIComponent(id)}/end`);
    S.ended.push(id);
    setStatusText(`lesson in ${id} ended`);
  });
  await loadLive();
}

// -- schedule --------------------------------------------------------------------

function startOfToday() { const d = new Date(); d.setHours(0, 0, 0, 0); return d; }
const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

function loadSchedule() {
  return task("schedule", async () => {
    const from = startOfToday();
    const to = new Date(from.getTime() + 15 * DAY_MS);
    const list = await api.request("GET", "/api/v1/classrooms", { query: { from: iso(from), to: iso(to) } });
    const rooms = list.classrooms || [];
    // Scheduled ones by start, then those without a schedule.
    rooms.sort((a, b) => (a.startsAt ? 0 : 1) - (b.startsAt ? 0 : 1)
      || String(a.startsAt || "").localeCompare(String(b.startsAt || "")) || a.id.localeCompare(b.id));
    S.schedule.classrooms = rooms;
    S.loads.schedule++;
    renderSchedule();
  });
}

function renderSchedule() {
  const rooms = S.schedule.classrooms;
  showEmpty("schedule", rooms.length === 0);
  $('[data-role="schedule-list"]').hidden = rooms.length === 0;
  const today = localDay(new Date());
  syncRows($('[data-role="schedule-list"] tbody'), rooms, (c) => c.id, (tr, c) => {
    tr.dataset.id = c.id;
    let at = "unscheduled";
    if (c.startsAt) {
      const s = new Date(c.startsAt), e = c.endsAt ? new Date(c.endsAt) : null;
      const day = localDay(s) === today ? "today" : localDay(s);
      at = h("span", {}, h("time", { datetime: c.startsAt, title: c.startsAt }, `${day} ${localTime(s)}`),
        e ? `–${localTime(e)}` : "");
    }
    const state = c.live ? badge("live", "online") : c.endedAt ? badge("ended", "offline") : badge("scheduled");
    cells(tr, at, c.id, c.title || "–", label(c.mode), c.teacher || "–", h("td", {}, state));
  });
  $("#classroom-ids").replaceChildren(...rooms.map((c) => h("option", { value: c.id })));
}

async function createClassroom(ev) {
  ev.preventDefault();
  const f = ev.target;
  const out = $('[data-role="create-result"]');
  const body = { id: field(f, "id").value.trim(), title: field(f, "title").value.trim(), mode: field(f, "mode").value, teacher: field(f, "teacher").value.trim() };
  const start = field(f, "start").value, end = field(f, "end").value;
  if (!body.id || !body.title || !body.teacher) {
    out.textContent = "Id, title and teacher are needed.";
    out.dataset.kind = "error";
    return;
  }
  if (!!start !== !!end) {
    out.textContent = "Give both a start and an end, or neither.";
    out.dataset.kind = "error";
    return;
  }
  if (start) {
    body.startsAt = iso(new Date(start));
    body.endsAt = iso(new Date(end));
  }
  out.textContent = "";
  await task("create", async () => {
    const made = await api.request("POST", "/api/v1/classrooms", { body });
    S.created = made.id;
    out.textContent = `Created ${made.id} (${label(made.mode)}, up to ${made.capacity} members).`;
    out.dataset.kind = "";
    field($('[data-role="issue-token"]'), "classroom").value = made.id;
    f.reset();
  });
  await loadSchedule();
}

function pageFor(role, mode) {
  if (mode === "large_class" && role !== "parent") return "class.html";
  if (role === "teacher" || role === "assistant") return "teacher.html";
  return role === "parent" ? "parent.html" : "student.html";
}

async function issueToken(ev) {
  ev.preventDefault();
  const f = ev.target;
  const out = $('[data-role="token-result"]');
  const body = { classroom: field(f, "classroom").value.trim(), identity: field(f, "identity").value.trim(), role: field(f, "role").value,
    ttlSeconds: Number(field(f, "ttl").value) };
  if (field(f, "displayName").value.trim()) body.displayName = field(f, "displayName").value.trim();
  if (body.role === "parent") body.child = field(f, "child").value.trim();
  if (!body.classroom || !body.identity) {
    out.replaceChildren(h("p", { class: "error" }, "Classroom and identity are needed."));
    return;
  }
  out.replaceChildren();
  await task("token", async () => {
    const t = await api.request("POST", "/api/v1/tokens", { body });
    const room = S.schedule.classrooms.find((c) => c.id === body.classroom);
    const page = pageFor(body.role, room && room.mode);
    const url = new URL(page, location.href);
    url.search = "";
    url.hash = "";
    url.searchParams.set("token", t.token);
    S.token = { classroom: body.classroom, identity: body.identity, role: body.role, page, url: url.href,
      expiresAt: t.expiresAt || "" };
    const input = h("input", { type: "text", readonly: true, value: url.href, "aria-label": "Join link",
      dataset: { field: "join-url" }, onfocus: (e) => e.target.select() });
    out.replaceChildren(
      h("p", {}, "Join link for ", h("strong", {}, body.identity), ` (${body.role}) in ${body.classroom}, valid until `,
        when(t.expiresAt), ":"),
      h("p", {}, h("a", { href: url.href, target: "_blank", rel: "noopener noreferrer", dataset: { role: "join-link" } },
        `Open ${page} as ${body.identity}`)),
      h("div", { class: "copy" }, input,
        h("button", { type: "button", class: "small", onclick: () => copyText(input) }, "Copy")),
      h("p", { class: "caption" }, "Anyone with this link joins as this member: send it only to them."));
  });
}

async function copyText(input) {
  try { await navigator.clipboard.writeText(input.value); setStatusText("link copied"); }
  catch (_) { input.focus(); input.select(); }
}

// -- history ---------------------------------------------------------------------

function dayStart(value) {  // "YYYY-MM-DD" from a date input, local midnight
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d);
}

function loadLessons() {
  return task("history", async () => {
    const f = $('[data-role="history-filter"]');
    const filter = { classroom: field(f, "classroom").value.trim(), from: field(f, "from").value, to: field(f, "to").value };
    const query = { classroom: filter.classroom, limit: 200 };
    if (filter.from) query.from = iso(dayStart(filter.from));
    if (filter.to) query.to = iso(new Date(dayStart(filter.to).getTime() + DAY_MS));
    const list = await api.request("GET", "/api/v1/lessons", { query });
    S.history.filter = filter;
    S.history.lessons = list.lessons || [];
    S.loads.history++;
    renderLessons();
  });
}

function renderLessons() {
  const lessons = S.history.lessons;
  showEmpty("lessons", lessons.length === 0);
  syncRows($('[data-role="lessons"] tbody'), lessons, (l) => l.id, (tr, l) => {
    tr.dataset.id = l.id;
    tr.dataset.classroom = l.classroom;
    const on = S.history.lesson && S.history.lesson.lesson && S.history.lesson.lesson.id === l.id;
    tr.classList.toggle("selected", !!on);
    const length = l.endedAt ? duration((new Date(l.endedAt) - new Date(l.startedAt)) / 1000) : badge("running", "online");
    cells(tr, when(l.startedAt), l.classroom, label(l.mode), h("td", {}, length), label(l.endReason),
      String(l.participants || 0),
      h("td", {}, h("button", { type: "button", class: "small", dataset: { action: "open-lesson", id: l.id },
        "aria-label": `Details of the lesson in ${l.classroom} started ${l.startedAt}`,
        onclick: () => openLesson(l.id) }, "Details")));
  });
}

function openLesson(id) {
  return task("lesson", async () => {
    const d = await api.request("GET", `/api/v1/lessons/${encodeURIComponent(id)}`);
    if (S.download && S.download.lessonId !== id) dropDownload();
    S.history.lesson = d;
    S.loads.lesson++;
    renderLesson();
    renderLessons();
  });
}

function renderLesson() {
  const d = S.history.lesson;
  const panel = $('[data-role="lesson"]');
  panel.hidden = !d;
  if (!d) return;
  const l = d.lesson || {};
  $('[data-field="lesson-id"]').textContent = l.id || "";
  $('[data-action="csv"]').dataset.id = l.id || "";
  $('[data-field="lesson-summary"]').replaceChildren(`${l.classroom} · ${label(l.mode)} · `, when(l.startedAt),
    " – ", l.endedAt ? when(l.endedAt) : "running", l.endReason ? ` (${label(l.endReason)})` : "");

  syncRows($('[data-role="attendance"] tbody'), d.attendance || [], (a) => a.identity, (tr, a) => {
    tr.dataset.identity = a.identity;
    const name = a.displayName && a.displayName !== a.identity ? `${a.displayName} (${a.identity})` : a.identity;
    const stays = h("ul", { class: "stays" }, (a.stays || []).map((s) => h("li", {}, when(s.joinedAt, { seconds: true }),
      " – ", s.leftAt ? when(s.leftAt, { seconds: true }) : "still there", s.leftReason ? ` (${label(s.leftReason)})` : "")));
    const mins = h("td", { class: "num", dataset: { field: "minutes" } }, minutes(a.minutesPresent));
    cells(tr, name, label(a.role), h("td", {}, stays), mins);
  });
  const calls = d.calls || [];
  showEmpty("lesson-calls", calls.length === 0);
  syncRows($('[data-role="lesson-calls"] tbody'), calls, (c) => c.callId, (tr, c) => {
    cells(tr, `${c.caller} → ${c.callee}`, when(c.startedAt), label(c.outcome),
      c.answeredAt ? duration(c.talkSeconds) : "not answered");
  });
  const hands = d.hands || [];
  showEmpty("lesson-hands", hands.length === 0);
  syncRows($('[data-role="lesson-hands"] tbody'), hands, (x) => x.identity + "@" + x.raisedAt, (tr, x) => {
    cells(tr, x.identity, when(x.raisedAt), label(x.outcome) + (x.by ? ` by ${x.by}` : ""), duration(x.waitSeconds));
  });
  const photos = d.photos || [];
  showEmpty("lesson-photos", photos.length === 0);
  syncRows($('[data-role="lesson-photos"] tbody'), photos, (p) => p.photoId, (tr, p) => {
    cells(tr, p.owner, p.takenBy || "–", `${p.width || 0} × ${p.height || 0}`, when(p.takenAt));
  });
}

let csvUrl = "";
function dropDownload() {
  if (csvUrl) URL.revokeObjectURL(csvUrl);
  csvUrl = "";
  S.download = null;
  const a = $('[data-role="csv-link"]');
  a.hidden = true;
  a.removeAttribute("href");
}

// The attendance CSV: fetched signed (a plain link could not carry the
// signature), then offered as a file from a Blob.
function downloadCsv() {
  const id = $('[data-action="csv"]').dataset.id;
  if (!id) return;
  return task("csv", async () => {
    const r = await api.request("GET", `/api/v1/lessons/${encodeURIComponent(id)}/attendance.csv`, { raw: true });
    const disposition = r.headers.get("Content-Disposition") || "";
    const m = /filename="([A-Za-z0-9._-]{1,120})"/.exec(disposition);
    const name = m ? m[1] : `attendance-${id.replace(/[^A-Za-z0-9._-]/g, "_")}.csv`;
    dropDownload();
    const blob = new Blob([r.text], { type: "text/csv;charset=utf-8" });
    csvUrl = URL.createObjectURL(blob);
    S.download = { lessonId: id, name, size: blob.size, type: blob.type, text: r.text };
    const a = $('[data-role="csv-link"]');
    a.href = csvUrl;
    a.download = name;
    a.textContent = `Save ${name} (${blob.size} bytes)`;
    a.hidden = false;
    if (autoSave) a.click();
  });
}

// -- usage -----------------------------------------------------------------------

const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const METRICS = {
  participantMinutes: { name: "participant-minutes", fmt: minutes },
  mediaMinutes: { name: "media minutes", fmt: minutes },
  lessons: { name: "lessons", fmt: (x) => String(x || 0) },
  photos: { name: "photos", fmt: (x) => String(x || 0) },
  forwardedMB: { name: "MB forwarded", fmt: megabytes },
};

// Forwarded bytes are a uint64: its JSON is a string.
function megabytes(x) { return (x || 0).toFixed(1); }

function loadUsage() {
  return task("usage", async () => {
    const now = Date.now();
    const from = utcDay(now - (USAGE_DAYS - 1) * DAY_MS), to = utcDay(now);
    const u = await api.request("GET", "/api/v1/usage", { query: { from, to } });
    const byDay = new Map((u.days || []).map((d) => [d.day, d]));
    const series = [];
    for (let i = USAGE_DAYS - 1; i >= 0; i--) {
      const day = utcDay(now - i * DAY_MS);
      const d = byDay.get(day) || {};
      series.push({ day, participantMinutes: d.participantMinutes || 0, mediaMinutes: d.mediaMinutes || 0,
        lessons: d.lessons || 0, photos: d.photos || 0, forwardedMB: Number(d.forwardedBytes || 0) / 1e6 });
    }
    S.usage = { from, to, days: u.days || [], series };
    S.loads.usage++;
    renderUsage();
  });
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : String(c));
  return el;
}

function renderUsage() {
  const { series, from, to } = S.usage;
  const metric = $('[data-field="usage-metric"]').value;
  const m = METRICS[metric];
  $('[data-field="usage-range"]').textContent = from ? `${from} to ${to}` : "";
  // The chart: one bar a day, today on the right.
  const W = 720, H = 220, left = 44, right = 8, top = 14, bottom = 34;
  const max = Math.max(0, ...series.map((d) => d[metric]));
  const scale = max > 0 ? niceCeil(max) : 1;
  const plotW = W - left - right, plotH = H - top - bottom;
  const slot = plotW / Math.max(1, series.length);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "bars",
    "aria-label": `${m.name} per day, ${from} to ${to}; the table below has the numbers`, "data-metric": metric });
  for (const frac of [0, 0.5, 1]) {
    const y = top + plotH * (1 - frac);
    chart.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, class: frac ? "grid" : "axis" }),
      svg("text", { x: left - 6, y: y + 4, class: "tick", "text-anchor": "end" }, String(+(scale * frac).toFixed(2))));
  }
  series.forEach((d, i) => {
    const v = d[metric];
    const hgt = v > 0 ? Math.max(2, (v / scale) * plotH) : 0;
    const x = left + i * slot + slot * 0.15;
    const bar = svg("rect", { x: x.toFixed(1), y: (top + plotH - hgt).toFixed(1), width: (slot * 0.7).toFixed(1),
      height: hgt.toFixed(1), class: i === series.length - 1 ? "bar today" : "bar", "data-day": d.day, "data-value": v },
    svg("title", {}, `${d.day}: ${m.fmt(v)} ${m.name}`));
    chart.append(bar);
    if (i % 7 === (series.length - 1) % 7)
      chart.append(svg("text", { x: (left + i * slot + slot / 2).toFixed(1), y: H - bottom + 16, class: "tick",
        "text-anchor": "middle" }, i === series.length - 1 ? "today" : d.day.slice(5)));
  });
  $('[data-role="usage-chart"]').replaceChildren(chart);
  // The table: the days with any use, newest first, and the totals.
  const used = series.filter((d) => d.participantMinutes || d.mediaMinutes || d.lessons || d.photos
    || d.forwardedMB).reverse();
  syncRows($('[data-role="usage-table"] tbody'), used, (d) => d.day, (tr, d) => {
    tr.dataset.day = d.day;
    cells(tr, d.day, minutes(d.participantMinutes), minutes(d.mediaMinutes), String(d.lessons), String(d.photos),
      megabytes(d.forwardedMB));
  });
  const sum = (k) => series.reduce((a, d) => a + d[k], 0);
  $('[data-role="usage-table"] tfoot').replaceChildren(h("tr", {},
    h("th", { scope: "row" }, used.length ? `Total (${USAGE_DAYS} days)` : `No use in ${USAGE_DAYS} days`),
    h("td", {}, minutes(sum("participantMinutes"))), h("td", {}, minutes(sum("mediaMinutes"))),
    h("td", {}, String(sum("lessons"))), h("td", {}, String(sum("photos"))),
    h("td", {}, megabytes(sum("forwardedMB")))));
}

function niceCeil(x) {  // 1, 2, 5 × 10^n at or above x
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const k of [1, 2, 5, 10]) if (k * p >= x) return k * p;
  return 10 * p;
}

// -- lamps and parents -------------------------------------------------------------

function loadLamps() {
  return task("lamps", async () => {
    const [lamps, guardians] = await Promise.all([api.request("GET", "/api/v1/lamps"),
      api.request("GET", "/api/v1/guardians")]);
    S.lamps = { lamps: lamps.lamps || [], guardians: guardians.guardians || [] };
    S.loads.lamps++;
    renderLamps();
  });
}

function renderLamps() {
  const { lamps, guardians } = S.lamps;
  showEmpty("lamps", lamps.length === 0);
  syncRows($('[data-role="lamps"] tbody'), lamps, (l) => l.serial, (tr, l) => {
    tr.dataset.serial = l.serial;
    cells(tr, h("td", {}, h("code", {}, l.serial)), l.student, when(l.createdAt),
      h("td", {}, l.revokedAt ? badge(`revoked ${localDay(new Date(l.revokedAt))}`, "bad") : badge("live", "online")));
  });
  showEmpty("guardians", guardians.length === 0);
  syncRows($('[data-role="guardians"] tbody'), guardians, (g) => `${g.parent}/${g.child}`, (tr, g) => {
    tr.dataset.parent = g.parent;
    cells(tr, g.parent, g.child, when(g.createdAt));
  });
}

// -- keys ------------------------------------------------------------------------

function loadKeys() {
  return task("keys", async () => {
    const list = await api.request("GET", "/api/v1/keys");
    S.keys = list.keys || [];
    S.loads.keys++;
    renderKeys();
  });
}

function renderKeys() {
  syncRows($('[data-role="keys"] tbody'), S.keys, (k) => k.kid, (tr, k) => {
    tr.dataset.kid = k.kid;
    const state = k.revokedAt ? badge("revoked", "bad") : k.live ? badge("live", "online")
      : badge("expired", "offline");
    const kid = h("td", {}, h("code", {}, k.kid), k.kid === S.kid ? [" ", badge("this session", "call")] : "");
    cells(tr, kid, when(k.createdAt), k.expiresAt ? when(k.expiresAt) : "–", k.revokedAt ? when(k.revokedAt) : "–",
      h("td", {}, state));
  });
}

// -- webhooks --------------------------------------------------------------------

function loadWebhooks() {
  return task("webhooks", async () => {
    const list = await api.request("GET", "/api/v1/webhooks");
    S.webhooks.endpoints = list.endpoints || [];
    S.loads.webhooks++;
    renderEndpoints();
    await loadDeliveries();
  });
}

function loadDeliveries(fresh = true) {
  return task("deliveries", async () => {
    const failedOnly = $('[data-field="failed-only"]').checked;
    const list = await api.request("GET", "/api/v1/webhooks/deliveries",
      { query: { failed: failedOnly ? "1" : "", limit: 200 } });
    S.webhooks.failedOnly = failedOnly;
    S.webhooks.deliveries = list.deliveries || [];
    S.loads.deliveries++;
    renderDeliveries();
  }, fresh);
}

function renderEndpoints() {
  const eps = S.webhooks.endpoints;
  showEmpty("endpoints", eps.length === 0);
  syncRows($('[data-role="endpoints"] tbody'), eps, (e) => e.id, (tr, e) => {
    tr.dataset.id = e.id;
    cells(tr, h("td", { class: "url" }, e.url), (e.events || []).join(", ") || "–", when(e.createdAt),
      h("td", {}, h("button", { type: "button", class: "small danger", dataset: { action: "remove-webhook", id: e.id },
        "aria-label": `Remove the endpoint ${e.url}`, onclick: () => removeWebhook(e) }, "Remove")));
  });
}

const delivered = (d) => d.statusCode >= 200 && d.statusCode < 300;

function renderDeliveries() {
  const list = S.webhooks.deliveries;
  showEmpty("deliveries", list.length === 0);
  const urls = new Map(S.webhooks.endpoints.map((e) => [e.id, e.url]));
  syncRows($('[data-role="deliveries"] tbody'), list, (d) => `${d.eventId}/${d.endpoint}/${d.attempt}`, (tr, d) => {
    const ok = delivered(d);
    tr.dataset.eventId = d.eventId;
    tr.dataset.status = String(d.statusCode || 0);
    tr.classList.toggle("failed", !ok);
    const result = ok ? h("td", {}, badge(String(d.statusCode), "online"))
      : h("td", {}, badge("failed", "bad"), " ", d.error || (d.statusCode ? `HTTP ${d.statusCode}` : "no answer"));
    cells(tr, when(d.at, { seconds: true }), h("td", {}, h("code", {}, d.eventId)),
      h("td", { class: "url", title: d.endpoint }, urls.get(d.endpoint) || d.endpoint),
      String(d.attempt || 0), result, `${Math.round(d.durationMs || 0)} ms`);
  });
  const u = new Date();
  $('[data-role="deliveries-updated"]').textContent = `updated ${localTime(u)}:${pad(u.getSeconds())}`;
}

async function addWebhook(ev) {
  ev.preventDefault();
  const f = ev.target;
  const url = field(f, "url").value.trim();
  const events = [...f.querySelectorAll('input[name="events"]:checked')].map((i) => i.value);
  if (!url) { report("add-webhook", new ApiError(0, "bad_request", "the endpoint needs a URL")); return; }
  if (!events.length) { report("add-webhook", new ApiError(0, "bad_request", "choose at least one event")); return; }
  await task("add-webhook", async () => {
    const made = await api.request("POST", "/api/v1/webhooks", { body: { url, events: events.includes("*") ? ["*"] : events } });
    S.webhooks.added = made.endpoint.id;
    S.webhooks.secretShown = true;
    $('[data-field="webhook-secret"]').textContent = made.secret;
    $('[data-role="webhook-secret"]').hidden = false;
    f.reset();
  });
  await loadWebhooks();
}

async function removeWebhook(e) {
  if (!await confirmDialog(`Remove the endpoint ${e.url}? It gets no more events.`, "Remove")) return;
  await task("remove-webhook", () => api.request("DELETE", `/api/v1/webhooks/${encodeURIComponent(e.id)}`));
  await loadWebhooks();
}

function hideSecret() {
  $('[data-field="webhook-secret"]').textContent = "";
  $('[data-role="webhook-secret"]').hidden = true;
  S.webhooks.secretShown = false;
}

// -- sign-in ---------------------------------------------------------------------

function showSignIn(message = "") {
  $("#console").hidden = true;
  $("#signin").hidden = false;
  $('[data-action="sign-out"]').hidden = true;
  $("#who").textContent = "";
  const err = $('[data-role="signin-error"]');
  err.textContent = message;
  err.hidden = !message;
  S.signinError = message;
  setStatusText(message ? "signed out" : "sign in", message ? "warn" : "");
  if ($('[data-field="kid"]').value) $('[data-field="secret"]').focus();
  else $('[data-field="kid"]').focus();
}

// Everything of the previous key is forgotten: another institution's key
// must not see a trace of it.
function resetConsole() {
  clearInterval(pollTimer);
  pollTimer = 0;
  dropDownload();
  hideSecret();
  S = freshState();
  for (const tb of document.querySelectorAll("#console tbody, #console tfoot")) tb.replaceChildren();
  for (const f of document.querySelectorAll("#console form")) f.reset();
  $('[data-role="token-result"]').replaceChildren();
  $('[data-role="create-result"]').textContent = "";
  $('[data-role="usage-chart"]').replaceChildren();
  $('[data-role="room"]').hidden = true;
  $('[data-role="lesson"]').hidden = true;
  $("#classroom-ids").replaceChildren();
  clearError();
}

function signOut(message = "") {
  api = null;
  sessionStorage.removeItem(STORE);
  const kid = S.kid;
  resetConsole();
  $('[data-field="kid"]').value = kid;
  $('[data-field="secret"]').value = "";
  showSignIn(message);
}

async function signIn(kid, secret) {
  kid = kid.trim();
  secret = secret.trim();
  if (!kid || !secret) { showSignIn("Paste a key id and its secret."); return false; }
  // The kid goes into the Authorization header: printable, no separators.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(kid)) { showSignIn("The key id looks like k_0123456789abcdef."); return false; }
  let client;
  try {
    client = new ApiClient(kid, secret);
    await client.key;
  } catch (e) {
    showSignIn(`Cannot use this key: ${e.message}`);
    return false;
  }
  setStatusText("signing in…");
  let keys;
  try {
    keys = await client.request("GET", "/api/v1/keys");  // checks the key, and is the Keys view
  } catch (e) {
    const text = e instanceof ApiError
      ? (e.status === 401 ? `Sign-in refused: ${e.message}` : `Sign-in failed: ${e.text}`)
      : `Sign-in failed: ${e.message}`;
    showSignIn(text);
    return false;
  }
  resetConsole();
  api = client;
  sessionStorage.setItem(STORE, JSON.stringify({ kid, secret }));
  S.signedIn = true;
  S.kid = kid;
  S.keys = keys.keys || [];
  S.loads.keys++;
  renderKeys();
  $("#signin").hidden = true;
  $('[data-role="signin-error"]').hidden = true;
  $('[data-field="secret"]').value = "";
  $("#console").hidden = false;
  $('[data-action="sign-out"]').hidden = false;
  $("#who").textContent = `key ${kid}`;
  setStatusText("signed in");
  pollTimer = setInterval(poll, POLL_MS);
  showView(location.hash.slice(1) || "live");
  return true;
}

// -- wiring ----------------------------------------------------------------------

function wire() {
  $('[data-role="signin-form"]').addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn($('[data-field="kid"]').value, $('[data-field="secret"]').value);
  });
  $('[data-action="sign-out"]').addEventListener("click", () => signOut());
  const tabs = VIEWS.map((v) => $(`#tab-${v}`));
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => showView(tab.dataset.view));
    tab.addEventListener("keydown", (ev) => {
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      showView(tabs[(to + tabs.length) % tabs.length].dataset.view, { focus: true });
    });
  });
  window.addEventListener("hashchange", () => {
    const v = location.hash.slice(1);
    if (api && VIEWS.includes(v) && v !== S.view) showView(v);
  });
  for (const b of document.querySelectorAll('#console [data-action="refresh"]'))
    b.addEventListener("click", () => load(S.view));
  $('[data-action="end-lesson"]').addEventListener("click", endLesson);
  $('[data-role="create-classroom"]').addEventListener("submit", createClassroom);
  const tokenForm = $('[data-role="issue-token"]');
  tokenForm.addEventListener("submit", issueToken);
  const role = field(tokenForm, "role");
  role.addEventListener("change", () => { $('[data-role="child-field"]').hidden = role.value !== "parent"; });
  $('[data-role="history-filter"]').addEventListener("submit", (ev) => { ev.preventDefault(); loadLessons(); });
  $('[data-action="csv"]').addEventListener("click", downloadCsv);
  $('[data-field="usage-metric"]').addEventListener("change", () => { if (S.usage.from) renderUsage(); });
  const hookForm = $('[data-role="add-webhook"]');
  hookForm.addEventListener("submit", addWebhook);
  hookForm.addEventListener("change", (ev) => {
    const box = ev.target;
    if (box.name !== "events" || !box.checked) return;
    // "all" and single events exclude each other.
    for (const other of hookForm.querySelectorAll('input[name="events"]'))
      if (other !== box && (box.value === "*" || other.value === "*")) other.checked = false;
  });
  $('[data-field="failed-only"]').addEventListener("change", () => loadDeliveries());
  $('[data-action="dismiss-secret"]').addEventListener("click", hideSecret);
}

// The test hook, as the other pages have one (web/README.md).
window.lamplightAdmin = {
  state: () => JSON.parse(JSON.stringify({ ...S, busy })),
  show: (view) => showView(view),
  refresh: () => load(S.view),
  signIn: (kid, secret) => signIn(kid, secret),
  signOut: () => signOut(),
  openLesson: (id) => openLesson(id),
  // The CSV last prepared for saving: {lessonId, name, size, type, text}.
  lastDownload: () => (S.download ? { ...S.download } : null),
  // false: the CSV link is prepared but not clicked (no file is written).
  setAutoSave: (on) => { autoSave = !!on; },
};

wire();
if (!window.isSecureContext || !(window.crypto && crypto.subtle)) {
  showSignIn("This page signs requests with WebCrypto, which browsers offer only on https:// or on "
    + "http://127.0.0.1 and http://localhost. Open it that way.");
  $('[data-action="sign-in"]').disabled = true;
} else {
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch (_) { saved = null; }
  if (saved && saved.kid && saved.secret) {
    $('[data-field="kid"]').value = saved.kid;
    signIn(saved.kid, saved.secret);
  } else {
    showSignIn();
  }
}
