// The large-class view (up to 200 members): the teacher sharp (HIGH layer),
// a handful of active students small (LOW layer), everyone in a paged
// roster whose DOM never grows past one page.

import { Session } from "./lib/session.js";
import { Subscriptions, mediaElement, localMedia, Publisher, openConnections } from "./lib/media.js";
import { h, $, short, batched, unlockAudioOnGesture, swapButtons } from "./lib/ui.js";

const MAX_ACTIVE = 8;
const PAGE_SIZE = 48;

const session = new Session({
  role: "student",
  defaults: { tenant: "demo", classroom: "big", identity: "s1" },
  logList: $("#log"), statusEl: $("#status"),
});
const state = session.state;
const log = (t) => session.log.add(t);

let focus = "";           // trackId watched on the HIGH layer, "" for none
let active = [];          // [{identity, track}] shown as thumbnails
let page = 0;
let localPreview = null;  // our own camera, when we are the teacher

// "Active" students, the ones worth a thumbnail, in this order and at most
// MAX_ACTIVE: the focused one (so a click never makes it vanish), raised
// hands (queue order), those speaking now (loudest first), those who spoke
// lately (most recent first: a speaker does not vanish at the end of a
// sentence), students in a call, then the most recent to publish a face
// camera (publish order reversed, a stand-in for "most recently joined"
// that only counts students one can actually watch). Only students with a
// face camera track qualify; oneself never does.
function computeActive() {
  const faces = new Map();
  for (const t of state.tracks.values())
    if (t.kind === "TRACK_KIND_VIDEO" && t.source === "TRACK_SOURCE_FACE_CAMERA") faces.set(t.owner, t);
  const student = (id) => {
    const m = state.member(id);
    return m && m.role === "ROLE_STUDENT" && id !== session.identity && faces.has(id);
  };
  const picked = [];
  const take = (id) => {
    if (picked.length < MAX_ACTIVE && student(id) && !picked.includes(id)) picked.push(id);
  };
  const focused = [...state.tracks.values()].find((t) => t.trackId === focus);
  if (focused) take(focused.owner);
  state.handQueue.forEach(take);
  state.speakers.forEach((s) => take(s.identity));
  [...state.lastSpoke.entries()].sort((a, b) => b[1] - a[1]).forEach(([id]) => take(id));
  for (const m of state.members.values()) if (m.callId) take(m.identity);
  [...faces.keys()].reverse().forEach(take);
  if (focus && !focused) focus = "";  // its track went away
  return picked.map((id) => ({ identity: id, track: faces.get(id) }));
}

// -- subscriptions -----------------------------------------------------------

const tiles = new Map();  // trackId -> button

const subs = new Subscriptions(session, {
  onAdd: (e) => {
    e.element = mediaElement(e, `${short(e.info.source)} of ${e.info.owner}`);
    if (e.info.kind === "TRACK_KIND_AUDIO") {
      $("#audio").append(e.element);
      e.element.play().catch(() => { $("[data-action=sound-on]").hidden = false; });
    }
    render();
  },
  onRemove: (e) => { if (e.element) e.element.remove(); render(); },
  onError: (e, err) => log(`error: subscribe ${e.trackId}: ${err.message}`),
});

function reconcile() {
  const want = new Map();
  const teacher = state.teacher();
  if (teacher && teacher.identity !== session.identity)
    for (const t of state.tracksOf(teacher.identity))
      want.set(t.trackId, { info: t, layer: t.kind === "TRACK_KIND_VIDEO" ? "LAYER_HIGH" : undefined });
  for (const a of active)
    want.set(a.track.trackId, { info: a.track, layer: a.track.trackId === focus ? "LAYER_HIGH" : "LAYER_LOW" });
  subs.reconcile(want);
}

function toggleFocus(trackId) {
  const before = focus;
  focus = focus === trackId ? "" : trackId;
  const t = state.tracks.get(trackId);
  log(focus ? `focus ${t ? t.owner : trackId}` : `unfocus ${t ? t.owner : trackId}`);
  if (before && before !== focus) log(`low layer ${(state.tracks.get(before) || {}).owner || before}`);
  render();
}

// -- rendering ---------------------------------------------------------------

function renderStage() {
  const teacher = state.teacher();
  let el = null;
  if (teacher && teacher.identity === session.identity) el = localPreview;
  else if (teacher) {
    const face = state.trackOf(teacher.identity, "TRACK_SOURCE_FACE_CAMERA");
    const e = face && subs.get(face.trackId);
    el = e && e.element;
  }
  const stage = $("#stage");
  if (el) { if (stage.firstChild !== el) stage.replaceChildren(el); if (el.paused) el.play().catch(() => {}); }
  else stage.replaceChildren(h("div", { class: "placeholder" }, teacher ? "Waiting for the teacher's video…" : "No teacher yet."));
  $("#stage-caption").textContent = teacher ? `${teacher.displayName}` : "";
  const names = state.speakers.map((s) => (state.member(s.identity) || {}).displayName || s.identity);
  $("#speakers").textContent = names.length ? `Speaking: ${names.join(", ")}` : "";
}

function renderThumbs() {
  const box = $("#thumbs");
  const keep = new Set();
  let prev = null;
  for (const a of active) {
    const id = a.track.trackId;
    keep.add(id);
    let b = tiles.get(id);
    const m = state.member(a.identity);
    const name = m ? m.displayName : a.identity;
    if (!b) {
      b = h("button", { type: "button", class: "tile", dataset: { action: "focus", identity: a.identity, trackId: id },
        onclick: () => toggleFocus(id) });
      tiles.set(id, b);
    }
    const e = subs.get(id);
    const video = e && e.element;
    const talking = state.speaking(a.identity);
    const label = `${name}${talking ? ", speaking" : ""}${m && m.handRaised ? ", hand raised" : ""}${m && m.callId ? ", in a call" : ""}`;
    b.classList.toggle("speaking", talking);
    b.setAttribute("aria-pressed", String(focus === id));
    b.setAttribute("aria-label", `${label}: ${focus === id ? "watching sharp, select to let go" : "select to watch sharp"}`);
    const caption = b.querySelector("span") || h("span");
    caption.textContent = label;
    if (video && video.parentNode !== b) b.replaceChildren(video, caption);
    else if (!video && !b.querySelector(".placeholder")) b.replaceChildren(h("div", { class: "placeholder" }, name), caption);
    if (video && video.paused) video.play().catch(() => {});
    const want = prev ? prev.nextSibling : box.firstChild;
    if (b !== want) box.insertBefore(b, want);
    prev = b;
  }
  for (const [id, b] of tiles) if (!keep.has(id)) { b.remove(); tiles.delete(id); }
  if (!active.length && !box.querySelector(".placeholder"))
    box.replaceChildren(h("div", { class: "placeholder" }, "No student camera on yet."));
  else if (active.length) box.querySelector(":scope > .placeholder")?.remove();
}

// A fixed pool of list items, refilled for the current page: 200 members
// cost 48 nodes, and a join storm costs one refill per frame.
const pool = [];
function renderRoster() {
  const q = $("[data-field=roster-filter]").value.trim().toLowerCase();
  // Staff first, then everyone in join order.
  const rank = (m) => (m.role === "ROLE_TEACHER" ? 0 : m.role === "ROLE_ASSISTANT" ? 1 : 2);
  const all = [...state.members.values()].filter((m) => !q
    || m.identity.toLowerCase().includes(q) || m.displayName.toLowerCase().includes(q))
    .sort((a, b) => rank(a) - rank(b));
  const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
  page = Math.min(page, pages - 1);
  const slice = all.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  const list = $("#roster");
  while (pool.length < slice.length) {
    const li = h("li", {}, h("span", { class: "n" }), h("span", { class: "s" }));
    pool.push(li);
  }
  slice.forEach((m, i) => {
    const li = pool[i];
    const bits = [short(m.role)];
    if (m.presence !== "PRESENCE_ONLINE") bits.push("offline");
    if (state.speaking(m.identity)) bits.push("speaking");
    if (m.handRaised) bits.push("hand raised");
    if (m.callId) bits.push("in call");
    li.firstChild.textContent = m.displayName + (m.identity === session.identity ? " (you)" : "");
    li.lastChild.textContent = bits.join(" · ");
    li.className = m.presence === "PRESENCE_ONLINE" ? "" : "offline";
    li.dataset.identity = m.identity;
    if (li.parentNode !== list) list.append(li);
  });
  for (let i = slice.length; i < pool.length; ++i) if (pool[i].parentNode) pool[i].remove();
  $("#roster-page").textContent = `Page ${page + 1} of ${pages}`;
  $("[data-action=roster-prev]").disabled = page === 0;
  $("[data-action=roster-next]").disabled = page >= pages - 1;
  const online = [...state.members.values()].filter((m) => m.presence === "PRESENCE_ONLINE").length;
  $("#roster-count").textContent = `(${state.members.size}, ${online} online)`;
}

function renderMe() {
  const me = state.member(session.identity);
  const student = session.role === "ROLE_STUDENT";
  $("#me-tools").hidden = !student;
  const raised = !!(me && me.handRaised);
  const [up, down] = [$("[data-action=raise-hand]"), $("[data-action=lower-hand]")];
  if (raised) swapButtons(down, up); else swapButtons(up, down);
}

const render = batched(() => {
  active = computeActive();
  reconcile();
  renderStage();
  renderThumbs();
  renderRoster();
  renderMe();
});

// -- own media ---------------------------------------------------------------

// Two layers (q at half size, f full): 200 viewers take the small one.
const publisher = new Publisher(session, {
  log,
  simulcast: () => true,
  sources: async () => {
    const media = await localMedia({ label: session.params.get("name") || session.identity });
    if (media.fallback.length) log(`no ${media.fallback.join(" or ")}: using a stand-in`);
    if (session.role === "ROLE_TEACHER") {
      localPreview = h("video", { autoplay: true, muted: true, playsInline: true, "aria-label": "my camera" });
      localPreview.srcObject = new MediaStream([media.video]);
    }
    return [
      { kind: "TRACK_KIND_VIDEO", source: "TRACK_SOURCE_FACE_CAMERA", track: media.video },
      { kind: "TRACK_KIND_AUDIO", source: "TRACK_SOURCE_MICROPHONE", track: media.audio },
    ];
  },
  onPublished: () => render(),
});

// -- wiring ------------------------------------------------------------------

state.addEventListener("change", render);
$("[data-action=roster-prev]").addEventListener("click", () => { page = Math.max(0, page - 1); render(); });
$("[data-action=roster-next]").addEventListener("click", () => { page += 1; render(); });
$("[data-field=roster-filter]").addEventListener("input", () => { page = 0; render(); });
for (const [sel, kind] of [["[data-action=raise-hand]", "raiseHand"], ["[data-action=lower-hand]", "lowerHand"]])
  $(sel).addEventListener("click", () => session.request({ [kind]: {} }).catch((err) => log(`error: ${kind}: ${err.message}`)));
unlockAudioOnGesture($("[data-action=sound-on]"));

window.lamplightTest = {
  state() {
    return {
      ...session.baseState(),
      focus,
      active: active.map((a) => a.identity),
      videos: subs.videos(),
      photos: [],
      rosterPage: page,
      rosterTiles: $("#roster").children.length,
      published: publisher.describe(),
      connections: openConnections(),
    };
  },
  focus: (identityOrTrack) => {
    const a = active.find((x) => x.identity === identityOrTrack || x.track.trackId === identityOrTrack);
    if (a) toggleFocus(a.track.trackId);
    return !!a;
  },
};

session.start().then(() => {
  $("#who").textContent = `${session.identity} (${short(session.role)}) in ${state.tenant}/${state.classroomId}`;
  render();
  // Only those who may publish do (parents and assistants watch).
  if (session.autopublish && (session.role === "ROLE_STUDENT" || session.role === "ROLE_TEACHER")) publisher.start();
}).catch(() => {});
