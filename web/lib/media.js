// Media through the node's SFU: one RTCPeerConnection per track, the
// browser offering. The node is ICE-lite and answers with its own
// candidate, so no STUN/TURN and no trickle are needed.

import { cameraFallback, silentAudioTrack } from "./sources.js";
import { short } from "./ui.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function waitConnected(pc, ms = 10000) {
  if (pc.connectionState === "connected") return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok) => { clearTimeout(timer); pc.removeEventListener("connectionstatechange", check); resolve(ok); };
    const check = () => {
      if (pc.connectionState === "connected") done(true);
      else if (pc.connectionState === "failed" || pc.connectionState === "closed") done(false);
    };
    const timer = setTimeout(() => done(false), ms);
    pc.addEventListener("connectionstatechange", check);
  });
}

// Camera and microphone, each falling back on its own: a canvas picture
// (labelled `label`) instead of a missing camera, silence instead of a
// missing microphone. getUserMedia may hang on a permission prompt nobody
// answers, hence the timeout.
export async function localMedia({ video = true, audio = true, label = "camera", timeoutMs = 6000 } = {}) {
  const ask = (c) => Promise.race([
    navigator.mediaDevices && navigator.mediaDevices.getUserMedia
      ? navigator.mediaDevices.getUserMedia(c) : Promise.reject(new Error("no mediaDevices")),
    sleep(timeoutMs).then(() => { throw new Error("no answer to the media permission prompt"); }),
  ]);
  const out = { video: null, audio: null, fallback: [] };
  const constraints = {
    video: video && { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } },
    audio: audio && { echoCancellation: true, noiseSuppression: true },
  };
  try {
    const s = await ask(constraints);
    out.video = s.getVideoTracks()[0] || null;
    out.audio = s.getAudioTracks()[0] || null;
  } catch {
    // One may work alone (a desk without a camera, a laptop with no mic).
    if (video) try { out.video = (await ask({ video: constraints.video })).getVideoTracks()[0]; } catch { /* fallback */ }
    if (audio) try { out.audio = (await ask({ audio: constraints.audio })).getAudioTracks()[0]; } catch { /* fallback */ }
  }
  if (video && !out.video) { out.video = cameraFallback(label).track; out.fallback.push("camera"); }
  if (audio && !out.audio) { out.audio = silentAudioTrack(); out.fallback.push("microphone"); }
  return out;
}

// Publishes one track. `channels`: data channel labels to open on this PC
// (they must exist before the offer for it to carry an application section).
// Resolves with {trackId, pc, channels: Map(label -> RTCDataChannel)}.
export async function publishTrack(session, { kind, source, track, simulcast = false, channels = [] }) {
  const pc = new RTCPeerConnection();
  const init = { direction: "sendonly", streams: [new MediaStream([track])] };
  if (simulcast && kind === "TRACK_KIND_VIDEO")
    init.sendEncodings = [{ rid: "q", scaleResolutionDownBy: 2 }, { rid: "f" }];
  pc.addTransceiver(track, init);
  const open = new Map();
  for (const label of channels) {
    const ch = pc.createDataChannel(label, { ordered: true });
    ch.binaryType = "arraybuffer";
    open.set(label, ch);
  }
  try {
    await pc.setLocalDescription(await pc.createOffer());
    const msg = await session.request({ publish: { kind, source, sdp: pc.localDescription.sdp,
      simulcast: simulcast && kind === "TRACK_KIND_VIDEO" } });
    await pc.setRemoteDescription({ type: "answer", sdp: msg.published.sdp });
    return { trackId: msg.published.trackId, pc, channels: open, track, kind, source };
  } catch (err) {
    pc.close();
    throw err;
  }
}

export async function unpublishTrack(session, pub) {
  try { await session.request({ unpublish: { trackId: pub.trackId } }); } catch { /* gone already */ }
  pub.pc.close();
}

// The subscriptions a page holds, kept equal to what it wants: call
// reconcile(Map(trackId -> {info, layer})) after every state change; adds,
// removals and layer changes go out one at a time per track. Video entries
// get their decoder stats polled, for the page and the test hook.
export class Subscriptions {
  constructor(session, { onAdd = () => {}, onRemove = () => {}, onError = () => {} } = {}) {
    this.session = session;
    this.entries = new Map();  // trackId -> entry
    this.onAdd = onAdd;
    this.onRemove = onRemove;
    this.onError = onError;
    this.failed = new Map();  // trackId -> when its subscribe failed
    this.poller = setInterval(() => this.pollStats(), 500);
    // After a rejoin the old legs may be dead (a node restart): start over.
    session.addEventListener("rejoined", () => { this.clear(); this.failed.clear(); });
  }

  reconcile(desired) {
    for (const [id, e] of this.entries) if (!desired.has(id)) this.remove(e);
    const now = Date.now();
    for (const [id, want] of desired) {
      const e = this.entries.get(id);
      // A refused track is not asked for again at every state change.
      if (!e && now - (this.failed.get(id) || 0) < 10000) continue;
      if (!e) this.add(want.info, want.layer || "LAYER_UNSPECIFIED");
      else if (want.layer && want.layer !== e.layer) this.setLayer(e, want.layer);
    }
  }

  add(info, layer) {
    const e = { trackId: info.trackId, info, layer, pc: null, track: null, stream: null,
      stats: { framesDecoded: 0, frameWidth: 0, frameHeight: 0 }, removed: false, subscribed: false,
      ready: null };
    this.entries.set(info.trackId, e);
    e.ready = this.open(e).catch((err) => {
      if (this.entries.get(e.trackId) === e) this.entries.delete(e.trackId);
      if (e.pc) e.pc.close();
      if (!e.removed) { this.failed.set(e.trackId, Date.now()); this.onError(e, err); }
      return false;
    });
  }

  async open(e) {
    const pc = new RTCPeerConnection();
    e.pc = pc;
    const kind = e.info.kind === "TRACK_KIND_AUDIO" ? "audio" : "video";
    const tr = pc.addTransceiver(kind, { direction: "recvonly" });
    e.track = tr.receiver.track;
    e.stream = new MediaStream([e.track]);
    await pc.setLocalDescription(await pc.createOffer());
    const body = { trackId: e.trackId, sdp: pc.localDescription.sdp };
    if (e.layer && e.layer !== "LAYER_UNSPECIFIED") body.layer = e.layer;
    const msg = await this.session.request({ subscribe: body });
    e.subscribed = true;
    if (e.removed) throw new Error("removed");
    if (msg.subscribed.offer) await this.answerOffer(e, kind, msg.subscribed.sdp);
    else await pc.setRemoteDescription({ type: "answer", sdp: msg.subscribed.sdp });
    if (e.removed) throw new Error("removed");
    this.onAdd(e);
    return true;
  }

  // The media provider offers to subscribers (Janus): our offer is dropped
  // with its connection, and a fresh one answers the provider's.
  async answerOffer(e, kind, sdp) {
    e.pc.close();
    const pc = new RTCPeerConnection();
    e.pc = pc;
    await pc.setRemoteDescription({ type: "offer", sdp });
    const tr = pc.getTransceivers().find((t) => t.receiver.track.kind === kind);
    if (!tr) throw new Error("the offer has no " + kind);
    for (const t of pc.getTransceivers()) t.direction = t === tr ? "recvonly" : "inactive";
    e.track = tr.receiver.track;
    e.stream = new MediaStream([e.track]);
    await pc.setLocalDescription(await pc.createAnswer());
    await this.session.request({ subscribeAnswer: { trackId: e.trackId, sdp: pc.localDescription.sdp } });
  }

  async setLayer(e, layer) {
    e.layer = layer;
    await e.ready;
    if (e.removed || e.layer !== layer) return;
    try { await this.session.request({ preferLayer: { trackId: e.trackId, layer } }); }
    catch (err) { this.onError(e, err); }
  }

  remove(e) {
    e.removed = true;
    this.entries.delete(e.trackId);
    this.onRemove(e);
    (e.ready || Promise.resolve()).then(() => {
      if (e.subscribed) this.session.request({ unsubscribe: { trackId: e.trackId } }).catch(() => {});
      if (e.pc) e.pc.close();
    });
  }

  clear() { for (const e of [...this.entries.values()]) this.remove(e); }

  get(trackId) { return this.entries.get(trackId); }

  // Resolves once every current entry's PC is connected (or after `ms`).
  async allConnected(ms = 10000) {
    const list = [...this.entries.values()];
    await Promise.all(list.map(async (e) => (await e.ready) && waitConnected(e.pc, ms)));
  }

  async pollStats() {
    for (const e of this.entries.values()) {
      if (!e.pc || e.info.kind !== "TRACK_KIND_VIDEO" || e.pc.connectionState === "closed") continue;
      try {
        (await e.pc.getStats()).forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "video")
            e.stats = { framesDecoded: s.framesDecoded || 0, frameWidth: s.frameWidth || 0,
              frameHeight: s.frameHeight || 0 };
        });
      } catch { /* closed meanwhile */ }
    }
  }

  // The test hook's `videos`.
  videos() {
    return [...this.entries.values()].filter((e) => e.info.kind === "TRACK_KIND_VIDEO").map((e) => ({
      trackId: e.trackId, owner: e.info.owner, source: e.info.source, layer: e.layer,
      framesDecoded: e.stats.framesDecoded, frameWidth: e.stats.frameWidth,
      connection: e.pc ? e.pc.connectionState : "new" }));
  }
}

// Attaches a subscription's stream to a new muted autoplay <video>, or to an
// <audio> (not muted, it is what the user is here to hear).
export function mediaElement(e, label) {
  const video = e.info.kind === "TRACK_KIND_VIDEO";
  const el = document.createElement(video ? "video" : "audio");
  el.autoplay = true;
  el.playsInline = true;
  if (video) el.muted = true;
  el.srcObject = e.stream;
  el.setAttribute("aria-label", label);
  el.dataset.trackId = e.trackId;
  el.play().catch(() => { el.dataset.blocked = "1"; });
  return el;
}

// Publishes `sources` ({kind, source, track}) one after the other; the first
// carries the data channels. Failures are reported per source and skipped.
export async function publishAll(session, sources, { simulcast = false, channels = [], onError = () => {} } = {}) {
  const out = [];
  for (const src of sources) {
    try {
      out.push(await publishTrack(session, { ...src, simulcast, channels: out.length ? [] : channels }));
    } catch (err) {
      onError(src, err);
    }
  }
  return out;
}

// A page's own tracks. `sources()` is called once (cameras are asked for
// once); after a rejoin whose snapshot lost our tracks (a node restart, a
// seat that expired) everything is published again from the same sources.
export class Publisher {
  constructor(session, { sources, simulcast = () => false, channels = [], log = () => {}, onPublished = () => {} }) {
    this.session = session;
    this.sourcesFn = sources;
    this.simulcast = simulcast;
    this.channels = channels;
    this.log = log;
    this.onPublished = onPublished;
    this.sources = null;
    this.published = [];
    this.ready = Promise.resolve();
    session.addEventListener("rejoined", () => this.recover());
  }

  start() {
    this.ready = this.run().catch((err) => this.log("error: publish: " + err.message));
    return this.ready;
  }

  async run() {
    if (!this.sources) this.sources = await this.sourcesFn();
    const simulcast = this.simulcast();
    this.published = await publishAll(this.session, this.sources, { simulcast, channels: this.channels,
      onError: (src, err) => this.log(`error: publish ${short(src.source)}: ${err.message}`) });
    for (const p of this.published)
      this.log(`published ${short(p.source)}`
        + (simulcast && p.kind === "TRACK_KIND_VIDEO" ? " (simulcast)" : ""));
    this.onPublished(this.published);
  }

  // Always from scratch: a lost socket may mean a restarted node, whose
  // rebuilt classroom still lists our tracks though nothing forwards them
  // (and refuses a second track of the same source until they go).
  async recover() {
    if (!this.sources) return;
    await this.ready;
    const tracks = this.session.state.tracks;
    const old = this.published;
    this.published = [];
    for (const p of old) p.pc.close();
    const stale = [...tracks.values()].filter((t) => t.owner === this.session.identity);
    await Promise.all(stale.map((t) => this.session.request({ unpublish: { trackId: t.trackId } }).catch(() => {})));
    this.log("publishing again");
    return this.start();
  }

  // The test hook's `published`.
  describe() {
    return this.published.map((p) => {
      const d = { trackId: p.trackId, source: p.source, connection: p.pc.connectionState };
      for (const [label, ch] of p.channels) d[label === "lamplight.photo" ? "photoChannel" : label] = ch.readyState;
      return d;
    });
  }
}
