// A parent watches their own child's session: the child's cameras, the
// teacher, the whiteboard. No controls: the node would refuse them anyway,
// and it only tells a parent about staff, itself and its child.

import { Session } from "./lib/session.js";
import { Subscriptions, mediaElement } from "./lib/media.js";
import { WhiteboardView } from "./lib/whiteboard.js";
import { PhotoGallery, photoUrl } from "./lib/photo.js";
import { h, $, short, batched, unlockAudioOnGesture } from "./lib/ui.js";

const session = new Session({
  role: "parent",
  defaults: { tenant: "demo", classroom: "c1", identity: "p1", child: "s1" },
  logList: $("#log"), statusEl: $("#status"),
});
const state = session.state;
const log = (t) => session.log.add(t);
const child = () => session.params.get("child") || "s1";

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

// Everything the node lets a parent see is worth watching: the child's and
// the staff's tracks (the snapshot holds no one else's).
function reconcile() {
  const want = new Map();
  const staff = new Set(state.staff().map((m) => m.identity));
  for (const t of state.tracks.values())
    if (t.owner === child() || staff.has(t.owner)) want.set(t.trackId, { info: t });
  subs.reconcile(want);
}

function fillStage(stage, owner, empty, prefer) {
  const vids = [...subs.entries.values()].filter((e) => e.element && e.info.kind === "TRACK_KIND_VIDEO"
    && (typeof owner === "function" ? owner(e.info.owner) : e.info.owner === owner));
  const main = vids.find((e) => e.info.source === prefer) || vids[0];
  const pip = vids.find((e) => e !== main);
  for (const e of vids) e.element.classList.toggle("pip", e === pip);
  const keep = [main, pip].filter(Boolean).map((e) => e.element);
  stage.replaceChildren(...(keep.length ? keep : [h("div", { class: "placeholder" }, empty)]));
  for (const el of keep) if (el.paused) el.play().catch(() => {});
}

function describe(m) {
  if (!m) return "Not in the classroom.";
  const parts = [m.presence === "PRESENCE_ONLINE" ? "online" : "offline"];
  if (m.callId) parts.push("in a call with the teacher");
  if (m.handRaised) parts.push("hand raised");
  if (m.screen !== "SCREEN_UNSPECIFIED") parts.push(`lamp shows ${short(m.screen)}`);
  if (m.camera !== "CAMERA_UNSPECIFIED") parts.push(`${short(m.camera)} camera active`);
  return `${m.displayName}: ${parts.join(", ")}.`;
}

// The node shows a parent its own child's photos only (PhotoTaken events and
// the snapshot), and serves them to this parent's token.
const gallery = new PhotoGallery($("#photos"));
function renderPhotos() {
  for (const ph of state.photos)
    if (gallery.add({ photoId: ph.photoId, url: photoUrl(ph.photoId, session.token), target: ph.owner,
      width: ph.width, height: ph.height })) $("#photos-empty").hidden = true;
}

const render = batched(() => {
  reconcile();
  renderPhotos();
  const me = state.member(child());
  const cam = me && me.camera === "CAMERA_DESK" ? "TRACK_SOURCE_DESK_CAMERA" : "TRACK_SOURCE_FACE_CAMERA";
  fillStage($("#child-stage"), child(), "Your child's cameras appear here when they are on.", cam);
  const staff = new Set(state.staff().map((m) => m.identity));
  fillStage($("#teacher-stage"), (o) => staff.has(o), "The teacher's video appears here.", "TRACK_SOURCE_FACE_CAMERA");
  $("#child-state").textContent = describe(me);
  const t = state.teacher();
  $("#teacher-state").textContent = !t ? "No teacher yet."
    : `${t.displayName} (${t.presence === "PRESENCE_ONLINE" ? "online" : "offline"})`;
});

new WhiteboardView($("[data-role=whiteboard]"), state.board);
state.addEventListener("change", render);
unlockAudioOnGesture($("[data-action=sound-on]"));

window.lamplightTest = {
  state() {
    return { ...session.baseState(), child: child(), videos: subs.videos(), photos: gallery.urls() };
  },
  // Parents may not write on the board; the hook says so instead of missing.
  drawStroke: () => Promise.reject(new Error("a parent cannot draw on the whiteboard")),
};

session.start().then(() => {
  $("#who").textContent = `${session.identity}, parent of ${child()}, in ${state.tenant}/${state.classroomId}`;
  render();
}).catch(() => {});
