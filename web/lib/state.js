// The classroom as this client sees it: the snapshot from `joined`, then the
// ClassroomEvent deltas folded in seq order, mirroring the node's
// protocol/classroom_model.cpp so both sides agree on every field.

import { Board } from "./whiteboard.js";

export const CALL_PHASES = ["CALL_PHASE_UNSPECIFIED", "CALL_PHASE_INVITING", "CALL_PHASE_RINGING",
  "CALL_PHASE_CONNECTING", "CALL_PHASE_CONNECTED", "CALL_PHASE_ENDED"];
// Mirror of CallEndReason (protocol/proto/lamplight/signal/v1/workflow.proto):
// the node decides which move ends a call with which reason, once
// (protocol::end_reason in protocol/call_machine.hpp); pages only label it.
export const CALL_END_REASONS = ["CALL_END_UNSPECIFIED", "CALL_END_REJECTED", "CALL_END_CANCELLED",
  "CALL_END_BUSY", "CALL_END_RING_TIMEOUT", "CALL_END_MEDIA_TIMEOUT", "CALL_END_HANGUP",
  "CALL_END_PEER_DROPPED", "CALL_END_FAILED"];

// CallInfo carries phase and reason as ints; the pushes carry enum names.
export const phaseName = (p) => (typeof p === "number" ? CALL_PHASES[p] : p) || CALL_PHASES[0];
export const reasonName = (r) => (typeof r === "number" ? CALL_END_REASONS[r] : r) || CALL_END_REASONS[0];

// JSON leaves out defaults; the pages and the test hook want every field.
export function normalizeMember(m) {
  return {
    identity: m.identity,
    displayName: m.displayName || m.identity,
    role: m.role || "ROLE_UNSPECIFIED",
    presence: m.presence || "PRESENCE_UNSPECIFIED",
    handRaised: !!m.handRaised,
    camera: m.camera || "CAMERA_UNSPECIFIED",
    screen: m.screen || "SCREEN_UNSPECIFIED",
    callId: m.callId || "",
    child: m.child || "",
  };
}

function normalizeTrack(t) {
  return {
    trackId: t.trackId, owner: t.owner, kind: t.kind || "TRACK_KIND_UNSPECIFIED",
    source: t.source || "TRACK_SOURCE_UNSPECIFIED", muted: !!t.muted, simulcast: !!t.simulcast,
  };
}

function normalizePhoto(p) {
  return { photoId: p.photoId, owner: p.owner || "", takenBy: p.takenBy || "", commandId: p.commandId || "",
    width: p.width || 0, height: p.height || 0 };
}

function normalizeCall(c) {
  return { callId: c.callId, caller: c.caller || "", callee: c.callee || "",
    phase: phaseName(c.phase), reason: reasonName(c.reason) };
}

// Dispatches "change" with detail {kind, event} after each snapshot ("snapshot")
// or event (its oneof name), and "gap" when a delta is missing.
export class ClassroomState extends EventTarget {
  constructor() {
    super();
    this.members = new Map();  // identity -> member, join order
    this.handQueue = [];
    this.calls = new Map();
    this.tracks = new Map();   // trackId -> TrackInfo, publish order
    this.board = new Board();
    this.photos = [];          // PhotoTaken, oldest first
    this.speakers = [];        // [{identity, trackId, level}] speaking now, loudest first
    this.lastSpoke = new Map();  // identity -> Date.now() when last seen speaking
    this.seq = 0;
    this.mode = "MODE_UNSPECIFIED";
    this.closed = false;
    this.tenant = "";
    this.classroomId = "";
    this.gapsExpected = false;  // parents only get the events about whom they see
  }

  reset(snap) {
    this.seq = Number(snap.seq || 0);
    this.mode = snap.mode || "MODE_UNSPECIFIED";
    this.closed = !!snap.closed;
    this.tenant = snap.tenant || "";
    this.classroomId = snap.classroomId || "";
    this.members = new Map((snap.members || []).map((m) => [m.identity, normalizeMember(m)]));
    this.handQueue = [...(snap.handQueue || [])];
    this.calls = new Map((snap.calls || []).map((c) => [c.callId, normalizeCall(c)]));
    this.tracks = new Map((snap.tracks || []).map((t) => [t.trackId, normalizeTrack(t)]));
    this.board.reset(snap.whiteboard || [], snap.whiteboardPage || 0);
    this.photos = (snap.photos || []).map(normalizePhoto);
    this.noteSpeakers(snap.speakers);
    this.emit("snapshot", null);
  }

  // Returns false when the event shows that one was missed (the caller asks
  // for a fresh snapshot); old or repeated events are ignored.
  apply(ev) {
    const seq = Number(ev.seq || 0);
    if (seq <= this.seq) return true;
    if (seq !== this.seq + 1 && !this.gapsExpected) {
      this.dispatchEvent(new CustomEvent("gap", { detail: { have: this.seq, got: seq } }));
      return false;
    }
    this.seq = seq;
    const kind = this.fold(ev);
    this.emit(kind, ev);
    return true;
  }

  fold(ev) {
    if (ev.created) { this.mode = ev.created.mode || this.mode; return "created"; }
    if (ev.memberJoined) {
      const m = normalizeMember(ev.memberJoined.member);
      this.members.set(m.identity, m);
      return "memberJoined";
    }
    if (ev.memberLeft) {
      const who = ev.memberLeft.identity;
      this.handQueue = this.handQueue.filter((x) => x !== who);
      for (const [id, c] of this.calls) {
        if (c.caller !== who && c.callee !== who) continue;
        this.calls.delete(id);
        const other = this.members.get(c.caller === who ? c.callee : c.caller);
        if (other && other.callId === id) other.callId = "";
      }
      for (const [id, t] of this.tracks) if (t.owner === who) this.tracks.delete(id);
      this.members.delete(who);
      return "memberLeft";
    }
    if (ev.presence) {
      const m = this.members.get(ev.presence.identity);
      if (m) m.presence = ev.presence.presence || "PRESENCE_UNSPECIFIED";
      return "presence";
    }
    if (ev.handRaised) {
      const who = ev.handRaised.identity;
      const m = this.members.get(who);
      if (m) m.handRaised = true;
      if (!this.handQueue.includes(who)) this.handQueue.push(who);
      return "handRaised";
    }
    if (ev.handLowered) {
      const who = ev.handLowered.identity;
      const m = this.members.get(who);
      if (m) m.handRaised = false;
      this.handQueue = this.handQueue.filter((x) => x !== who);
      return "handLowered";
    }
    if (ev.call) {
      const c = normalizeCall(ev.call.call);
      if (c.phase !== "CALL_PHASE_ENDED") {
        this.calls.set(c.callId, c);
        for (const p of [c.caller, c.callee]) {
          const m = this.members.get(p);
          if (m) m.callId = c.callId;
        }
      } else {
        const stored = this.calls.get(c.callId) || c;
        this.calls.delete(c.callId);
        for (const p of [stored.caller, stored.callee]) {
          const m = this.members.get(p);
          if (m && m.callId === c.callId) m.callId = "";
        }
      }
      return "call";
    }
    if (ev.device) {
      const m = this.members.get(ev.device.identity);
      if (m && ev.device.camera && ev.device.camera !== "CAMERA_UNSPECIFIED") m.camera = ev.device.camera;
      if (m && ev.device.screen && ev.device.screen !== "SCREEN_UNSPECIFIED") m.screen = ev.device.screen;
      return "device";
    }
    if (ev.whiteboard) { this.board.apply(ev.whiteboard); return "whiteboard"; }
    if (ev.trackPublished) {
      const t = normalizeTrack(ev.trackPublished.track);
      this.tracks.set(t.trackId, t);
      return "trackPublished";
    }
    if (ev.trackUnpublished) { this.tracks.delete(ev.trackUnpublished.trackId); return "trackUnpublished"; }
    if (ev.trackMuted) {
      const t = this.tracks.get(ev.trackMuted.trackId);
      if (t) t.muted = !!ev.trackMuted.muted;
      return "trackMuted";
    }
    if (ev.closed) { this.closed = true; return "closed"; }
    if (ev.photoTaken) {
      const ph = normalizePhoto(ev.photoTaken);
      if (!this.photos.some((x) => x.photoId === ph.photoId)) this.photos.push(ph);
      return "photoTaken";
    }
    return "unknown";
  }

  // Who speaks now (the node's Speakers push, or a snapshot's): live state,
  // not an event of the journal, so it has no seq and replaces the last.
  setSpeakers(speakers) {
    this.noteSpeakers(speakers);
    this.emit("speakers", speakers);
  }

  noteSpeakers(speakers) {
    this.speakers = ((speakers && speakers.speakers) || []).map((s) => ({
      identity: s.identity || "", trackId: s.trackId || "", level: Number(s.level || 0) }));
    const now = Date.now();
    for (const s of this.speakers) this.lastSpoke.set(s.identity, now);
  }

  speaking(identity) { return this.speakers.some((s) => s.identity === identity); }

  emit(kind, event) {
    this.dispatchEvent(new CustomEvent("change", { detail: { kind, event } }));
  }

  member(identity) { return this.members.get(identity); }

  tracksOf(owner, kind) {
    return [...this.tracks.values()].filter((t) => t.owner === owner && (!kind || t.kind === kind));
  }

  trackOf(owner, source) {
    return [...this.tracks.values()].find((t) => t.owner === owner && t.source === source);
  }

  staff() {
    return [...this.members.values()].filter((m) => m.role === "ROLE_TEACHER" || m.role === "ROLE_ASSISTANT");
  }

  teacher() {
    const s = this.staff();
    return s.find((m) => m.role === "ROLE_TEACHER") || s[0];
  }
}

// What the event log says when a call ends (labels of the node's reasons).
export const CALL_OUTCOME_TEXT = {
  CALL_END_REJECTED: "rejected", CALL_END_CANCELLED: "cancelled", CALL_END_BUSY: "busy",
  CALL_END_RING_TIMEOUT: "timed out", CALL_END_MEDIA_TIMEOUT: "media timed out",
  CALL_END_HANGUP: "hung up", CALL_END_PEER_DROPPED: "dropped", CALL_END_FAILED: "failed",
  CALL_END_UNSPECIFIED: "ended",
};
