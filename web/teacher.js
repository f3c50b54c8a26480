// The teacher console: roster with calls and lamp controls, the hand queue,
// the student in a call (face, desk, voice), homework photos, whiteboard,
// and the teacher's own camera for the lamps.

import { Session } from "./lib/session.js";
import { CALL_OUTCOME_TEXT } from "./lib/state.js";
import { Subscriptions, mediaElement, localMedia, Publisher, openConnections } from "./lib/media.js";
import { WhiteboardView } from "./lib/whiteboard.js";
import { PhotoGallery, photoUrl } from "./lib/photo.js";
import { h, $, short, batched, unlockAudioOnGesture } from "./lib/ui.js";

const session = new Session({
  role: "teacher",
  defaults: { tenant: "demo", classroom: "c1", identity: "t1", mode: "small_group" },
  logList: $("#log"), statusEl: $("#status"),
});
const state = session.state;
const log = (t) => session.log.add(t);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let myCall = null;        // {callId, peer, phase, accepted, readySent}
let view = "face";        // what the big picture shows: face | desk
const commands = new Map();  // commandId -> {target, what, size}

// -- roster ------------------------------------------------------------------

const rows = new Map();

function button(text, action, identity, extra = {}) {
  return h("button", { type: "button", class: "small", dataset: { action, identity, ...extra.dataset },
    "aria-label": extra.label, onclick: extra.onclick }, text);
}

function makeRow(m) {
  const id = m.identity;
  const cells = {
    name: h("td"), role: h("td"), badges: h("td"), camera: h("td"), screen: h("td"), actions: h("td"),
  };
  const r = { tr: h("tr", { dataset: { identity: id } }, Object.values(cells)), cells, buttons: {} };
  if (m.role === "ROLE_STUDENT") {
    const name = m.displayName;
    const b = r.buttons;
    b.call = button("Call", "call", id, { label: `Call ${name}`, onclick: () => invite(id) });
    b.photo = button("Photo", "photo", id, { label: `Snap a photo of ${name}'s desk`, onclick: () => snapPhoto(id) });
    b.wb = button("Whiteboard", "screen", id, { label: `Show the whiteboard on ${name}'s lamp`,
      dataset: { value: "SCREEN_WHITEBOARD" }, onclick: () => device(id, { switchScreen: { screen: "SCREEN_WHITEBOARD" } }) });
    b.video = button("Video", "screen", id, { label: `Show video on ${name}'s lamp`,
      dataset: { value: "SCREEN_VIDEO" }, onclick: () => device(id, { switchScreen: { screen: "SCREEN_VIDEO" } }) });
    b.face = button("Face", "camera", id, { label: `Switch ${name}'s lamp to the face camera`,
      dataset: { value: "CAMERA_FACE" }, onclick: () => device(id, { switchCamera: { camera: "CAMERA_FACE" } }) });
    b.desk = button("Desk", "camera", id, { label: `Switch ${name}'s lamp to the desk camera`,
      dataset: { value: "CAMERA_DESK" }, onclick: () => device(id, { switchCamera: { camera: "CAMERA_DESK" } }) });
    cells.actions.append(h("div", { class: "actions" }, b.call, b.photo,
      h("span", { role: "group", "aria-label": "Screen", class: "actions" }, b.wb, b.video),
      h("span", { role: "group", "aria-label": "Camera", class: "actions" }, b.face, b.desk)));
  }
  return r;
}

function updateRow(r, m) {
  const me = m.identity === session.identity;
  r.cells.name.textContent = m.displayName + (m.displayName !== m.identity ? ` (${m.identity})` : "") + (me ? " · you" : "");
  r.cells.role.textContent = short(m.role);
  const online = m.presence === "PRESENCE_ONLINE";
  r.cells.badges.replaceChildren(...[
    h("span", { class: "badge " + (online ? "online" : "offline") }, online ? "online" : "offline"),
    state.speaking(m.identity) && h("span", { class: "badge speaking" }, "speaking"),
    m.callId && h("span", { class: "badge call" }, "in call"),
    m.handRaised && h("span", { class: "badge hand" }, "hand raised"),
  ].filter(Boolean).flatMap((b) => [b, " "]));
  r.cells.camera.textContent = m.camera === "CAMERA_UNSPECIFIED" ? "–" : short(m.camera);
  r.cells.screen.textContent = m.screen === "SCREEN_UNSPECIFIED" ? "–" : short(m.screen);
  const b = r.buttons;
  if (!b.call) return;
  // A student in someone else's call stays callable: the node answers
  // busy, which the teacher then sees as the call's outcome.
  const mine = myCall && myCall.phase !== "CALL_PHASE_ENDED";
  b.call.disabled = !online || mine;
  const busy = m.callId && !(mine && myCall.peer === m.identity);
  b.call.textContent = busy ? "Call (busy)" : "Call";
  b.call.setAttribute("aria-label", `Call ${m.displayName}${busy ? " (in another call)" : ""}`);
  for (const k of ["photo", "wb", "video", "face", "desk"]) b[k].disabled = !online;
  b.wb.setAttribute("aria-pressed", String(m.screen === "SCREEN_WHITEBOARD"));
  b.video.setAttribute("aria-pressed", String(m.screen === "SCREEN_VIDEO"));
  b.face.setAttribute("aria-pressed", String(m.camera === "CAMERA_FACE"));
  b.desk.setAttribute("aria-pressed", String(m.camera === "CAMERA_DESK"));
}

// Rows are kept and updated in place, so keyboard focus survives updates.
function renderRoster() {
  const body = $("#roster");
  let prev = null;
  for (const m of state.members.values()) {
    let r = rows.get(m.identity);
    if (!r) rows.set(m.identity, r = makeRow(m));
    updateRow(r, m);
    const want = prev ? prev.nextSibling : body.firstChild;
    if (r.tr !== want) body.insertBefore(r.tr, want);
    prev = r.tr;
  }
  for (const [id, r] of rows) if (!state.members.has(id)) { r.tr.remove(); rows.delete(id); }
  const students = [...state.members.values()].filter((m) => m.role === "ROLE_STUDENT");
  $("#roster-count").textContent = `${state.members.size} members, ${students.length} students, `
    + `${students.filter((m) => m.presence === "PRESENCE_ONLINE").length} online`;
}

// -- hands -------------------------------------------------------------------

function renderHands() {
  const list = $("#hands");
  $("#hands-empty").hidden = state.handQueue.length > 0;
  list.replaceChildren(...state.handQueue.map((id) => {
    const name = (state.member(id) || {}).displayName || id;
    return h("li", { dataset: { identity: id } }, name, " ",
      h("button", { type: "button", class: "small primary", dataset: { action: "accept-hand", identity: id },
        "aria-label": `Accept ${name}'s hand`, onclick: () => hand("acceptHand", id) }, "Accept"), " ",
      h("button", { type: "button", class: "small", dataset: { action: "dismiss-hand", identity: id },
        "aria-label": `Dismiss ${name}'s hand`, onclick: () => hand("dismissHand", id) }, "Dismiss"));
  }));
}

async function hand(kind, student) {
  try { await session.request({ [kind]: { student } }); }
  catch (err) { log(`error: ${kind} ${student}: ${err.message}`); }
}

// -- calls -------------------------------------------------------------------

const subs = new Subscriptions(session, {
  onAdd: (e) => {
    e.element = mediaElement(e, `${short(e.info.source)} of ${e.info.owner}`);
    if (e.info.kind === "TRACK_KIND_AUDIO") $("#call-audio").append(e.element);
    renderStage();
  },
  onRemove: (e) => { if (e.element) e.element.remove(); renderStage(); },
  onError: (e, err) => log(`error: subscribe ${e.trackId}: ${err.message}`),
});

function inCallMedia() {
  return myCall && (myCall.phase === "CALL_PHASE_CONNECTING" || myCall.phase === "CALL_PHASE_CONNECTED");
}

function reconcileCall() {
  const want = new Map();
  if (inCallMedia()) for (const t of state.tracksOf(myCall.peer)) want.set(t.trackId, { info: t });
  subs.reconcile(want);
}

function renderStage() {
  const stage = $("#stage");
  const vids = [...subs.entries.values()].filter((e) => e.element && e.info.kind === "TRACK_KIND_VIDEO");
  const src = view === "desk" ? "TRACK_SOURCE_DESK_CAMERA" : "TRACK_SOURCE_FACE_CAMERA";
  const main = vids.find((e) => e.info.source === src) || vids[0];
  const pip = vids.find((e) => e !== main);
  for (const e of vids) e.element.classList.toggle("pip", e === pip);
  const keep = [main, pip].filter(Boolean).map((e) => e.element);
  if (!keep.length) {
    stage.replaceChildren(h("div", { class: "placeholder" },
      inCallMedia() ? "Waiting for the student's video…" : "Call a student to see and hear them."));
  } else {
    stage.replaceChildren(...keep);
    for (const el of keep) if (el.paused) el.play().catch(() => {});
  }
  $("#stage-caption").textContent = main
    ? `Main view: ${short(main.info.source)} of ${main.info.owner}` + (pip ? `; inset: ${short(pip.info.source)}` : "") : "";
  for (const b of document.querySelectorAll("[data-action=view]"))
    b.setAttribute("aria-pressed", String(b.dataset.value === view));
}

function setView(v) { view = v; renderStage(); }

function renderCall() {
  const p = myCall ? myCall.phase : "";
  const ringing = p === "CALL_PHASE_INVITING" || p === "CALL_PHASE_RINGING";
  const live = p === "CALL_PHASE_CONNECTING" || p === "CALL_PHASE_CONNECTED";
  const [cancel, hangup] = [$("[data-action=cancel-call]"), $("[data-action=hangup]")];
  // Focus follows from Cancel to Hang up when the call is answered.
  const focused = document.activeElement === cancel || document.activeElement === hangup;
  cancel.hidden = !ringing;
  hangup.hidden = !live;
  if (focused && live) hangup.focus();
  const who = myCall ? ((state.member(myCall.peer) || {}).displayName || myCall.peer) : "";
  $("#call-status").textContent = !myCall ? "No call."
    : ringing ? `Ringing ${who}…` : p === "CALL_PHASE_CONNECTING" ? `Connecting to ${who}…`
    : p === "CALL_PHASE_CONNECTED" ? `In a call with ${who}.` : "No call.";
}

async function invite(callee) {
  if (myCall && myCall.phase !== "CALL_PHASE_ENDED") { log("error: already in a call"); return; }
  myCall = { callId: "", peer: callee, phase: "CALL_PHASE_INVITING", accepted: false, readySent: false };
  log(`calling ${callee}`);
  render();
  try {
    const msg = await session.request({ callInvite: { callee } });
    if (myCall && myCall.peer === callee && !myCall.callId) myCall.callId = msg.callInvited.callId;
  } catch (err) {
    log(`error: call ${callee}: ${err.message}`);
    // The callUpdate that ends it may come too; without one, clear here.
    if (myCall && myCall.peer === callee && !myCall.callId) myCall = null;
  }
  render();
}

async function callAction(kind) {
  if (!myCall || !myCall.callId) return;
  try { await session.request({ [kind]: { callId: myCall.callId } }); }
  catch (err) { log(`error: ${kind}: ${err.message}`); }
}

function onCallUpdate(u) {
  if (!myCall || (myCall.callId && myCall.callId !== u.callId)) {
    if (myCall && myCall.phase !== "CALL_PHASE_ENDED") return;  // about an old call
    myCall = { callId: u.callId, peer: u.peer, phase: "", accepted: false, readySent: false };
  }
  myCall.callId = u.callId;
  if (u.peer) myCall.peer = u.peer;
  const before = myCall.phase;
  myCall.phase = u.phase;
  if (u.phase === "CALL_PHASE_RINGING" && before !== u.phase) log(`call ringing ${myCall.peer}`);
  if (u.phase === "CALL_PHASE_CONNECTING" && !myCall.accepted) {
    myCall.accepted = true;
    log(`call accepted ${myCall.peer}`);
    const m = state.member(myCall.peer);
    if (m && m.camera === "CAMERA_DESK") view = "desk";
    mediaUp(myCall);
  }
  if (u.phase === "CALL_PHASE_CONNECTED" && before !== u.phase) log(`call connected ${myCall.peer}`);
  if (u.phase === "CALL_PHASE_ENDED") {
    log(`call ${CALL_OUTCOME_TEXT[u.reason || "CALL_END_UNSPECIFIED"] || "ended"}`);
    myCall = null;
  }
  render();
}

// Media is "ready" once the student's tracks are flowing to us (or there
// are none to wait for); both sides must say so before the call connects.
async function mediaUp(call) {
  await Promise.race([publisher.ready, sleep(8000)]);
  reconcileCall();
  await subs.allConnected(10000);
  if (myCall !== call || call.readySent || call.phase !== "CALL_PHASE_CONNECTING") return;
  call.readySent = true;
  try { await session.request({ callMediaReady: { callId: call.callId } }); }
  catch (err) { log("error: media ready: " + err.message); }
}

// -- device control ----------------------------------------------------------

function photoSize() {
  const [w, hh] = $("[data-field=photo-size]").value.split("x").map(Number);
  return { width: w || 1280, height: hh || 960 };
}

function snapPhoto(target) {
  const size = photoSize();
  // A big JPEG takes a while to encode and upload: more than the default 10 s.
  return device(target, { capturePhoto: size }, 45000);
}

async function device(target, action, deadlineMs = 15000) {
  const what = Object.keys(action)[0];
  const value = action.capturePhoto ? `${action.capturePhoto.width}x${action.capturePhoto.height}`
    : short((action.switchScreen || {}).screen || (action.switchCamera || {}).camera);
  try {
    const msg = await session.request({ deviceCommand: { target, deadlineMs, ...action } });
    const id = msg.deviceCommandSent.commandId;
    commands.set(id, { target, what, value, size: action.capturePhoto, state: "DEVICE_STATE_SENT" });
    log(`${label(what)} ${target} ${value}: sent`);
  } catch (err) {
    log(`error: ${label(what)} ${target}: ${err.message}`);
  }
}

const label = (what) => ({ capturePhoto: "photo", switchScreen: "screen", switchCamera: "camera" })[what] || what;

function onDeviceOutcome(o) {
  const cmd = commands.get(o.commandId) || { target: o.target, what: "command", value: "" };
  cmd.state = o.state;
  const st = short(o.state);
  log(`${label(cmd.what)} ${cmd.target} ${cmd.value}: ${st}${o.detail && o.state !== "DEVICE_STATE_DONE" ? " (" + o.detail + ")" : ""}`);
  if (o.state === "DEVICE_STATE_DONE" && cmd.what === "capturePhoto" && o.detail) {
    const size = cmd.size || {};
    showPhoto({ photoId: o.detail, owner: cmd.target, width: size.width, height: size.height });
    log(`photo stored ${o.detail}`);
  }
  if (!["DEVICE_STATE_SENT", "DEVICE_STATE_ACKED"].includes(o.state)) commands.delete(o.commandId);
}

// The outcome says it first; the classroom's PhotoTaken (also in a later
// snapshot, e.g. after a reload) says it to every teacher.
function showPhoto(ph) {
  if (gallery.add({ photoId: ph.photoId, url: photoUrl(ph.photoId, session.token), target: ph.owner,
    width: ph.width || 0, height: ph.height || 0 })) $("#photos-empty").hidden = true;
}

// -- whiteboard, photos, own media -------------------------------------------

const board = new WhiteboardView($("[data-role=whiteboard]"), state.board, {
  send: (op) => session.request({ whiteboard: op }),
  pen: () => ({ color: $("[data-field=pen-color]").value, width: Number($("[data-field=pen-width]").value) }),
});
const gallery = new PhotoGallery($("#photos"));

async function boardOp(op) {
  try { await session.request({ whiteboard: op }); } catch (err) { log("error: whiteboard: " + err.message); }
}

function renderBoardPage() { $("#board-page").textContent = `Page ${state.board.page + 1}`; }

// The teacher's camera and voice, for the lamps.
const publisher = new Publisher(session, {
  log,
  sources: async () => {
    const media = await localMedia({ label: session.params.get("name") || session.identity });
    if (media.fallback.length) log(`no ${media.fallback.join(" or ")}: using a stand-in`);
    const preview = h("video", { autoplay: true, muted: true, playsInline: true, "aria-label": "my camera" });
    preview.srcObject = new MediaStream([media.video]);
    $("#self-view").replaceChildren(preview);
    return [
      { kind: "TRACK_KIND_VIDEO", source: "TRACK_SOURCE_FACE_CAMERA", track: media.video },
      { kind: "TRACK_KIND_AUDIO", source: "TRACK_SOURCE_MICROPHONE", track: media.audio },
    ];
  },
  onPublished: (pubs) => {
    $("#self-caption").textContent = pubs.length
      ? `Publishing ${pubs.map((p) => short(p.source)).join(" and ")} to the lamps.` : "Publishing failed.";
  },
});

// -- wiring ------------------------------------------------------------------

const render = batched(() => {
  state.photos.forEach(showPhoto);
  renderRoster();
  renderHands();
  renderCall();
  renderBoardPage();
  reconcileCall();
  renderStage();
});

state.addEventListener("change", (e) => {
  const ev = e.detail.event;
  if (e.detail.kind === "device" && myCall && ev.device.identity === myCall.peer && ev.device.camera)
    view = ev.device.camera === "CAMERA_DESK" ? "desk" : "face";
  render();
});
session.on("callUpdate", onCallUpdate);
// A call the node no longer knows (it restarted, or ended it while we were
// away) is over for us too.
session.on("rejoined", () => {
  if (myCall && myCall.callId && !state.calls.has(myCall.callId)) {
    log("call ended");
    myCall = null;
  }
  render();
});
session.on("deviceOutcome", onDeviceOutcome);
session.on("lost", () => render());

$("[data-action=cancel-call]").addEventListener("click", () => callAction("callCancel"));
$("[data-action=hangup]").addEventListener("click", () => callAction("callHangup"));
for (const b of document.querySelectorAll("[data-action=view]"))
  b.addEventListener("click", () => setView(b.dataset.value));
$("[data-action=page-prev]").addEventListener("click", () =>
  state.board.page > 0 && boardOp({ page: { page: state.board.page - 1 } }));
$("[data-action=page-next]").addEventListener("click", () => boardOp({ page: { page: state.board.page + 1 } }));
$("[data-action=clear-board]").addEventListener("click", () => boardOp({ clear: { page: state.board.page } }));
unlockAudioOnGesture(null);

window.lamplightTest = {
  state() {
    return {
      ...session.baseState(),
      call: myCall && { callId: myCall.callId, peer: myCall.peer, phase: myCall.phase },
      view,
      videos: subs.videos(),
      photos: gallery.urls(),
      commands: [...commands.entries()].map(([id, c]) => ({ commandId: id, target: c.target, what: c.what, state: c.state })),
      published: publisher.describe(),
      connections: openConnections(),
    };
  },
  drawStroke: (points, style) => board.drawStroke(points, style),
};

session.start().then(() => {
  $("#who").textContent = `${session.identity} in ${state.tenant}/${state.classroomId} (${short(state.mode)})`;
  render();
  if (session.autopublish) publisher.start();
}).catch(() => {});
