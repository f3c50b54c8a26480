// What a lamp's screen shows, for students without a lamp: the teacher's
// video or the whiteboard (as the teacher switches it), calls, the hand,
// and the lamp's side of device control: face and desk cameras published,
// photos uploaded on the `lamplight.photo` data channel.

import { Session } from "./lib/session.js";
import { CALL_OUTCOME_TEXT } from "./lib/state.js";
import { Subscriptions, mediaElement, localMedia, Publisher, waitConnected, openConnections } from "./lib/media.js";
import { WhiteboardView } from "./lib/whiteboard.js";
import { PhotoUploader, PHOTO_CHANNEL } from "./lib/photo.js";
import { DeskCamera } from "./lib/sources.js";
import { h, $, short, batched, unlockAudioOnGesture, swapButtons } from "./lib/ui.js";

const session = new Session({
  role: "student",
  defaults: { tenant: "demo", classroom: "c1", identity: "s1" },
  logList: $("#log"), statusEl: $("#status"),
});
const state = session.state;
const log = (t) => session.log.add(t);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let screen = "SCREEN_VIDEO";   // a lamp starts on video (the node says so too)
let camera = "CAMERA_FACE";
let deviceRequests = 0;
let incoming = null;           // {callId, caller, callerName}
let myCall = null;             // {callId, peer, phase, readySent}
let desk = null;
const uploads = [];

// -- what the screen shows ---------------------------------------------------

function renderScreen() {
  const board = screen === "SCREEN_WHITEBOARD";
  $("#screen-board").hidden = !board;
  $("#screen-video").hidden = board;
  $("#screen-caption").textContent = board ? "· showing the whiteboard" : "· showing the teacher";
  if (board) wb.schedule();
  for (const [id, f] of [["CAMERA_FACE", "#face-view"], ["CAMERA_DESK", "#desk-view"]])
    $(f).classList.toggle("active", camera === id);
  $("#camera-caption").textContent = `Active camera: ${short(camera)}.`;
}

const subs = new Subscriptions(session, {
  onAdd: (e) => {
    e.element = mediaElement(e, `${short(e.info.source)} of ${e.info.owner}`);
    if (e.info.kind === "TRACK_KIND_AUDIO") {
      $("#teacher-audio").append(e.element);
      e.element.play().catch(() => { $("[data-action=sound-on]").hidden = false; });
    }
    renderStage();
  },
  onRemove: (e) => { if (e.element) e.element.remove(); renderStage(); },
  onError: (e, err) => log(`error: subscribe ${e.trackId}: ${err.message}`),
});

// The lamp watches and hears the staff: the teacher's camera and voice.
function reconcile() {
  const want = new Map();
  const large = state.mode === "MODE_LARGE_CLASS";
  for (const m of state.staff())
    for (const t of state.tracksOf(m.identity))
      want.set(t.trackId, { info: t, layer: large && t.kind === "TRACK_KIND_VIDEO" ? "LAYER_HIGH" : undefined });
  subs.reconcile(want);
}

function renderStage() {
  const vids = [...subs.entries.values()].filter((e) => e.element && e.info.kind === "TRACK_KIND_VIDEO");
  const teacher = state.teacher();
  const main = vids.find((e) => teacher && e.info.owner === teacher.identity
    && e.info.source === "TRACK_SOURCE_FACE_CAMERA") || vids[0];
  const pip = vids.find((e) => e !== main);
  for (const e of vids) e.element.classList.toggle("pip", e === pip);
  const keep = [main, pip].filter(Boolean).map((e) => e.element);
  $("#stage").replaceChildren(...(keep.length ? keep
    : [h("div", { class: "placeholder" }, "Waiting for the teacher's video…")]));
  for (const el of keep) if (el.paused) el.play().catch(() => {});
}

// -- hand and calls ----------------------------------------------------------

function renderMe() {
  const me = state.member(session.identity);
  const raised = !!(me && me.handRaised);
  const [up, down] = [$("[data-action=raise-hand]"), $("[data-action=lower-hand]")];
  if (raised) swapButtons(down, up); else swapButtons(up, down);
  $("#incoming").hidden = !incoming;
  if (incoming) $("#incoming-text").textContent = `${incoming.callerName || incoming.caller} is calling you`;
  const live = myCall && (myCall.phase === "CALL_PHASE_CONNECTING" || myCall.phase === "CALL_PHASE_CONNECTED");
  $("[data-action=hangup]").hidden = !live;
  $("#call-status").textContent = !myCall ? "No call."
    : myCall.phase === "CALL_PHASE_RINGING" ? "Ringing…"
    : myCall.phase === "CALL_PHASE_CONNECTING" ? `Connecting to ${myCall.peer}…`
    : myCall.phase === "CALL_PHASE_CONNECTED" ? `In a call with ${myCall.peer}.` : "No call.";
}

async function handRequest(kind) {
  try { await session.request({ [kind]: {} }); }
  catch (err) { log(`error: ${kind}: ${err.message}`); }
}

async function answer(accept) {
  const call = incoming;
  if (!call) return;
  incoming = null;
  render();
  try {
    await session.request({ [accept ? "callAccept" : "callReject"]: { callId: call.callId } });
  } catch (err) {
    log(`error: ${accept ? "accept" : "reject"}: ${err.message}`);
  }
}

function onIncoming(c) {
  incoming = c;
  myCall = { callId: c.callId, peer: c.caller, phase: "CALL_PHASE_RINGING", readySent: false };
  log(`incoming call from ${c.caller}`);
  render();
  $("[data-action=accept-call]").focus();
}

function onCallUpdate(u) {
  if (myCall && myCall.callId !== u.callId && myCall.phase !== "CALL_PHASE_ENDED") return;
  if (!myCall || myCall.callId !== u.callId)
    myCall = { callId: u.callId, peer: u.peer, phase: "", readySent: false };
  const before = myCall.phase;
  myCall.phase = u.phase;
  if (u.phase === "CALL_PHASE_CONNECTING" && before !== u.phase) {
    log(`call accepted ${myCall.peer}`);
    mediaUp(myCall);
  }
  if (u.phase === "CALL_PHASE_CONNECTED" && before !== u.phase) log(`call connected ${myCall.peer}`);
  if (u.phase === "CALL_PHASE_ENDED") {
    log(`call ${CALL_OUTCOME_TEXT[u.reason || "CALL_END_UNSPECIFIED"] || "ended"}`);
    myCall = null;
    if (incoming && incoming.callId === u.callId) incoming = null;
  }
  render();
}

// Ready once our own tracks reach the node and the teacher's reach us.
async function mediaUp(call) {
  await Promise.race([publisher.ready, sleep(8000)]);
  if (publisher.pc) await waitConnected(publisher.pc, 10000);
  reconcile();
  await subs.allConnected(10000);
  if (myCall !== call || call.readySent || call.phase !== "CALL_PHASE_CONNECTING") return;
  call.readySent = true;
  try { await session.request({ callMediaReady: { callId: call.callId } }); }
  catch (err) { log("error: media ready: " + err.message); }
}

// -- device requests (this page is the lamp) ----------------------------------

const uploader = new PhotoUploader({
  channel: () => publisher.channel(PHOTO_CHANNEL),
  picture: (w, hh) => (desk || (desk = new DeskCamera(session.identity))).picture(w, hh),
});

async function ack(commandId, kind, detail) {
  const body = { commandId, kind };
  if (detail) body.detail = String(detail).slice(0, 200);
  try { await session.request({ deviceAck: body }); }
  catch (err) { log(`error: ack ${short(kind)} ${commandId}: ${err.message}`); }
}

const handled = new Set();  // a reconnect re-sends requests still pending

async function onDeviceRequest(req) {
  const id = req.commandId;
  if (handled.has(id)) return;
  handled.add(id);
  ++deviceRequests;
  await ack(id, "DEVICE_ACK_ACCEPTED");
  if (req.capturePhoto) {
    const { width = 0, height = 0 } = req.capturePhoto;
    log(`photo requested ${width}x${height}`);
    // The channel rides on the publish session: wait for publishing.
    await Promise.race([publisher.ready, sleep(5000)]);
    const r = await uploader.capture(id, { width, height }, req.deadlineMs);
    if (r.ok) {
      uploads.push({ commandId: id, photoId: r.photoId, size: r.size, sha256: r.sha256, width, height });
      log(`photo stored ${r.photoId}`);
      await ack(id, "DEVICE_ACK_DONE", r.photoId);
    } else {
      uploads.push({ commandId: id, failed: r.reason, size: r.size || 0 });
      log(`photo failed: ${r.reason}`);
      await ack(id, "DEVICE_ACK_FAILED", r.reason);
    }
  } else if (req.switchScreen) {
    screen = req.switchScreen.screen || "SCREEN_VIDEO";
    log(`screen ${short(screen)}`);
    renderScreen();
    await ack(id, "DEVICE_ACK_DONE");
  } else if (req.switchCamera) {
    camera = req.switchCamera.camera || "CAMERA_FACE";
    log(`camera ${short(camera)}`);
    renderScreen();
    await ack(id, "DEVICE_ACK_DONE");
  } else {
    await ack(id, "DEVICE_ACK_FAILED", "unknown device action");
  }
}

// -- own media ---------------------------------------------------------------

// Face camera (the real one), desk camera (the homework page) and voice;
// the publish session's connection carries the photo channel.
const publisher = new Publisher(session, {
  log,
  channels: [PHOTO_CHANNEL],
  // Large classes: two layers, so a grid of 200 can watch the small one.
  simulcast: () => state.mode === "MODE_LARGE_CLASS",
  sources: async () => {
    const media = await localMedia({ label: session.params.get("name") || session.identity });
    if (media.fallback.length) log(`no ${media.fallback.join(" or ")}: using a stand-in`);
    desk = desk || new DeskCamera(session.identity);
    const face = h("video", { autoplay: true, muted: true, playsInline: true, "aria-label": "my face camera" });
    face.srcObject = new MediaStream([media.video]);
    $("#face-view").replaceChildren(face, h("figcaption", {}, "Face camera"));
    desk.canvas.setAttribute("role", "img");
    desk.canvas.setAttribute("aria-label", "my desk camera: a homework page");
    desk.canvas.style.width = "100%";
    $("#desk-view").replaceChildren(desk.canvas, h("figcaption", {}, "Desk camera"));
    renderScreen();
    return [
      { kind: "TRACK_KIND_VIDEO", source: "TRACK_SOURCE_FACE_CAMERA", track: media.video },
      { kind: "TRACK_KIND_VIDEO", source: "TRACK_SOURCE_DESK_CAMERA", track: desk.track },
      { kind: "TRACK_KIND_AUDIO", source: "TRACK_SOURCE_MICROPHONE", track: media.audio },
    ];
  },
  onPublished: () => uploader.attach(uploader.channel()),
});

// -- wiring ------------------------------------------------------------------

const wb = new WhiteboardView($("[data-role=whiteboard]"), state.board, {
  send: (op) => session.request({ whiteboard: op }),
});

const render = batched(() => { renderMe(); renderScreen(); reconcile(); renderStage(); });

function followOwnRow() {
  const me = state.member(session.identity);
  if (!me) return;
  if (me.screen !== "SCREEN_UNSPECIFIED") screen = me.screen;
  if (me.camera !== "CAMERA_UNSPECIFIED") camera = me.camera;
}

state.addEventListener("change", (e) => {
  const { kind, event } = e.detail;
  if (kind === "snapshot" || (kind === "device" && event.device.identity === session.identity)) followOwnRow();
  render();
});
session.on("incomingCall", onIncoming);
session.on("callUpdate", onCallUpdate);
// A call the node no longer knows (it restarted, or ended it while we were
// away) is over for us too.
session.on("rejoined", () => {
  if (myCall && myCall.callId && !state.calls.has(myCall.callId)) {
    log("call ended");
    myCall = null;
    incoming = null;
  }
  render();
});
session.on("deviceRequest", (req) => onDeviceRequest(req).catch((err) => log("error: device: " + err.message)));

$("[data-action=raise-hand]").addEventListener("click", () => handRequest("raiseHand"));
$("[data-action=lower-hand]").addEventListener("click", () => handRequest("lowerHand"));
$("[data-action=accept-call]").addEventListener("click", () => answer(true));
$("[data-action=reject-call]").addEventListener("click", () => answer(false));
$("[data-action=hangup]").addEventListener("click", async () => {
  if (!myCall) return;
  try { await session.request({ callHangup: { callId: myCall.callId } }); }
  catch (err) { log("error: hang up: " + err.message); }
});
unlockAudioOnGesture($("[data-action=sound-on]"));

window.lamplightTest = {
  state() {
    return {
      ...session.baseState(),
      screen, camera, deviceRequests,
      incoming: incoming && { callId: incoming.callId, caller: incoming.caller },
      call: myCall && { callId: myCall.callId, peer: myCall.peer, phase: myCall.phase },
      videos: subs.videos(),
      photos: [],
      uploads: uploads.map((u) => ({ ...u })),
      published: publisher.describe(),
      connections: openConnections(),
    };
  },
  drawStroke: (points, style) => wb.drawStroke(points, style),
};

session.start().then(() => {
  $("#who").textContent = `${session.identity} in ${state.tenant}/${state.classroomId}`;
  followOwnRow();
  render();
  if (session.autopublish) publisher.start();
}).catch(() => {});
