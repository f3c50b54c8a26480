// Media through the node: two RTCPeerConnections per page at most, its
// publish session (everything it sends, and its data channels: the page
// offers, the node answers) and its subscribe session (everything it
// watches: the node offers, the page answers); each side only ever offers
// its own, so they never collide. The node is ICE-lite and names its own
// candidate, so no STUN/TURN and no trickle are needed.

import { cameraFallback, silentAudioTrack } from "./sources.js";
import { short } from "./ui.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every RTCPeerConnection the page makes, so that it can say how many it
// holds open (two at most: its publish and subscribe sessions).
const connections = new Set();
function newConnection(config) {
  const pc = new RTCPeerConnection(config);
  connections.add(pc);
  return pc;
}
export function openConnections() {
  for (const pc of connections) if (pc.connectionState === "closed") connections.delete(pc);
  return connections.size;
}

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

// What a page watches rides its one subscribe session: a single
// RTCPeerConnection that the node offers (the `subscribeOffer` push) and the
// page answers (`subscribeAnswer`), renegotiated as tracks come and go. Call
// reconcile(Map(trackId -> {info, layer})) after every state change: wanted
// tracks are subscribed (`subscribe`, acked without SDP), unwanted ones
// unsubscribed, layers changed by `preferLayer`. An entry reaches the page
// (onAdd) once an answered offer names the section that carries its track
// (`tracks`: mid -> trackId): its MediaStreamTrack is that transceiver's
// receiver's. A track that leaves the offer goes (onRemove) and its entry
// waits for it to come back; its section may carry another track later.
// Video entries get their decoder stats polled, for the page and the test
// hook.
//
// Tracks the node puts in the session by itself (a call's other party, the
// teacher of a large class) are answered like any other but reach the page
// only if it wants them; they are not unsubscribed (the node would take
// that as the member's "no" to tracks its state says it watches, and a page
// that wants them a moment later would renegotiate twice for nothing).

// How long a subscribed track may take to appear in an answered offer.
const SECTION_WAIT_MS = 15000;

export class Subscriptions {
  constructor(session, { onAdd = () => {}, onRemove = () => {}, onError = () => {} } = {}) {
    this.session = session;
    this.entries = new Map();  // trackId -> entry
    this.onAdd = onAdd;
    this.onRemove = onRemove;
    this.onError = onError;
    this.failed = new Map();   // trackId -> when its subscribe failed
    this.pc = null;            // the session's connection
    this.sessionId = "";       // the session it answers ("" before the first offer)
    this.answered = null;      // {version, sdp}: the last offer of it answered here
    this.slots = new Map();    // trackId -> {mid, transceiver, ssrcs}, as the last taken answer settled
    this.retired = new Set();  // sessions replaced by a newer one: their offers are late
    this.latest = "";          // the session of the newest offer received
    this.queue = Promise.resolve();  // offers, strictly one after the other
    this.unsubs = new Map();   // trackId -> its Unsubscribe under way (a new subscribe waits for it)
    this.poller = setInterval(() => this.pollStats(), 500);
    session.on("subscribeOffer", (offer) => this.offered(offer));
    // A reconnect within the seat's grace keeps the session: asking again
    // is a no-op. A node that lost it (restart, failover) starts a new one
    // (a new `session` in its next offer) with what is asked again now.
    session.addEventListener("rejoined", () => { this.failed.clear(); this.resubscribe(); });
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

  // A new entry, waiting for its section. `sub` is the subscription it
  // belongs to: {requested: Promise<bool>, acked}, shared with the entries
  // that replace it while the track comes and goes in the session.
  entry(info, layer, sub) {
    const e = { trackId: info.trackId, info, layer, sub, pc: null, transceiver: null, slot: null,
      track: null, stream: null, stats: { framesDecoded: 0, frameWidth: 0, frameHeight: 0 },
      removed: false, ready: null, done: null, timer: 0 };
    e.ready = new Promise((resolve) => { e.done = resolve; });
    this.entries.set(e.trackId, e);
    // The node offers a track it acked at once (or offered already); one
    // that does not come is given up, and asked for again later.
    e.timer = setTimeout(() => this.fail(e, new Error("not offered by the node")), SECTION_WAIT_MS);
    return e;
  }

  add(info, layer) {
    const sub = { requested: null, acked: false };
    const e = this.entry(info, layer, sub);
    const body = { trackId: e.trackId };
    if (layer && layer !== "LAYER_UNSPECIFIED") body.layer = layer;
    // After an Unsubscribe of the same track still under way, never before it.
    const before = this.unsubs.get(e.trackId) || Promise.resolve();
    sub.requested = before.then(() => this.session.request({ subscribe: body })).then(() => {
      sub.acked = true;
      const cur = this.entries.get(e.trackId);
      if (cur && cur.sub === sub && !cur.slot) this.attach(cur);
      return true;
    }, (err) => {
      // A timeout may have subscribed all the same: unsubscribed with the entry.
      sub.acked = err.code === "ERROR_TIMEOUT";
      const cur = this.entries.get(e.trackId);
      if (cur && cur.sub === sub) this.fail(cur, err);
      return sub.acked;
    });
  }

  // Asks again for every subscription the node acked (after a rejoin).
  resubscribe() {
    for (const e of [...this.entries.values()]) {
      if (!e.sub.acked) continue;
      const body = { trackId: e.trackId };
      if (e.layer && e.layer !== "LAYER_UNSPECIFIED") body.layer = e.layer;
      const sub = e.sub;
      this.session.request({ subscribe: body }).then(() => {
        const cur = this.entries.get(e.trackId);
        if (cur && cur.sub === sub && !cur.slot) this.attach(cur);
      }, (err) => {
        const cur = this.entries.get(e.trackId);
        if (cur && cur.sub === sub) this.fail(cur, err);
      });
    }
  }

  async setLayer(e, layer) {
    e.layer = layer;
    if (!(await e.sub.requested)) return;
    // The entry may have been replaced meanwhile (its track left and came
    // back): the layer holds for its subscription.
    const cur = this.entries.get(e.trackId);
    if (!cur || cur.sub !== e.sub || cur.layer !== layer) return;
    try { await this.session.request({ preferLayer: { trackId: e.trackId, layer } }); }
    catch (err) { if (this.entries.get(e.trackId) === cur) this.onError(cur, err); }
  }

  // The page no longer wants it.
  remove(e) {
    if (this.entries.get(e.trackId) === e) this.entries.delete(e.trackId);
    this.drop(e);
    this.onRemove(e);
    this.unsubscribe(e);
  }

  // Unsubscribes once its Subscribe is answered (so the node sees them in
  // this order), if it took it.
  unsubscribe(e) {
    const id = e.trackId;
    const p = e.sub.requested.then((took) => took
      && this.session.request({ unsubscribe: { trackId: id } }).catch(() => {}));
    this.unsubs.set(id, p);
    p.finally(() => { if (this.unsubs.get(id) === p) this.unsubs.delete(id); });
  }

  // Refused, or never offered: given up until the page asks again after a
  // pause (reconcile). An entry the page had gets onRemove first.
  fail(e, err) {
    if (this.entries.get(e.trackId) !== e) return;
    this.entries.delete(e.trackId);
    const shown = !!e.slot;
    this.drop(e);
    if (shown) this.onRemove(e);
    this.failed.set(e.trackId, Date.now());
    this.onError(e, err);
    this.unsubscribe(e);
  }

  drop(e) {
    e.removed = true;
    clearTimeout(e.timer);
    e.done(false);
    // Its section's track may carry another track later: not in this stream.
    if (e.stream && e.track) e.stream.removeTrack(e.track);
  }

  clear() { for (const e of [...this.entries.values()]) this.remove(e); }

  get(trackId) { return this.entries.get(trackId); }

  // The entry's track is in the session as settled: it reaches the page.
  attach(e) {
    const slot = this.slots.get(e.trackId);
    if (!slot || e.removed || e.slot) return;
    clearTimeout(e.timer);
    e.slot = slot;
    e.pc = this.pc;
    e.transceiver = slot.transceiver;
    e.track = slot.transceiver.receiver.track;
    e.stream = new MediaStream([e.track]);
    e.done(true);
    this.onAdd(e);
  }

  // Its track left the session (or the session its connection): the page
  // loses it, and a new entry of the same subscription waits for it.
  detach(e) {
    this.drop(e);
    const next = this.entry(e.info, e.layer, e.sub);  // replaces e in `entries`
    this.onRemove(e);
    return next;
  }

  // -- the session's offers ---------------------------------------------------

  offered(offer) {
    const session = String(offer.session || "0");
    if (this.retired.has(session)) return;
    this.latest = session;
    this.queue = this.queue.then(() => this.take(offer, session))
      .catch((err) => this.warn("subscribe session: " + err.message));
  }

  async take(offer, session) {
    // A newer session came after it: this one is gone already.
    if (session !== this.latest || this.retired.has(session)) return;
    const version = String(offer.version || "0");
    if (!this.pc || session !== this.sessionId) this.connection(session);
    else if (this.answered && BigInt(version) <= BigInt(this.answered.version)) {
      // The node repeats the offer it got no answer to (we reconnected):
      // the same answer again. An older one is stale.
      if (version === this.answered.version) await this.answer(offer, session, version, this.answered.sdp);
      return;
    }
    const pc = this.pc;
    await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc !== this.pc) return;
    this.answered = { version, sdp: pc.localDescription.sdp };
    await this.answer(offer, session, version, this.answered.sdp);
  }

  async answer(offer, session, version, sdp) {
    try {
      await this.session.request({ subscribeAnswer: { session, version, sdp } });
    } catch (err) {
      // WRONG_STATE: not the offer in flight any more, a newer one follows.
      // A lost connection: the node repeats its offer once we are back.
      if (!["ERROR_WRONG_STATE", "ERROR_NOT_JOINED", "ERROR_UNAVAILABLE"].includes(err.code))
        this.warn(`subscribe session: answer ${version}: ${err.message}`);
      return;
    }
    if (session === this.sessionId) this.settle(offer);
  }

  // A new session: the old connection goes, with everything it carried.
  connection(session) {
    if (this.pc) {
      this.retired.add(this.sessionId);
      for (const e of [...this.entries.values()]) if (e.slot) this.detach(e);
      this.pc.close();
    }
    this.slots = new Map();
    this.pc = newConnection();
    this.sessionId = session;
    this.answered = null;
  }

  // The node took our answer: the sections now carry `offer.tracks`.
  settle(offer) {
    const transceivers = this.pc.getTransceivers();
    const slots = new Map();
    for (const t of offer.tracks || []) {
      const transceiver = transceivers.find((x) => x.mid === t.mid);
      if (transceiver) slots.set(t.trackId, { mid: t.mid, transceiver, ssrcs: ssrcsOf(offer.sdp, t.mid) });
    }
    this.slots = slots;
    for (const e of [...this.entries.values()]) {
      if (!e.slot) continue;
      const now = slots.get(e.trackId);
      if (now && now.transceiver === e.transceiver) e.slot = now;
      else this.detach(e);
    }
    for (const e of [...this.entries.values()]) if (!e.slot) this.attach(e);
  }

  warn(text) {
    if (this.session.log) this.session.log.add("error: " + text);
    else console.warn(text);
  }

  // Resolves once every current entry is on the page and its connection is
  // connected, or after `ms`.
  async allConnected(ms = 10000) {
    const until = Date.now() + ms;
    const list = [...this.entries.values()];
    await Promise.race([Promise.all(list.map((e) => e.ready)), sleep(ms)]);
    const pcs = new Set(list.filter((e) => e.slot).map((e) => e.pc));
    await Promise.all([...pcs].map((pc) => waitConnected(pc, Math.max(0, until - Date.now()))));
  }

  // Each video's stats from its receiver: the inbound stream with the SSRC
  // its section announces (a section taken over keeps the old one's stats
  // for a while).
  async pollStats() {
    for (const e of [...this.entries.values()]) {
      if (!e.slot || e.info.kind !== "TRACK_KIND_VIDEO" || e.pc.connectionState === "closed") continue;
      try {
        const ssrcs = e.slot.ssrcs;
        let best = null;
        (await e.transceiver.receiver.getStats()).forEach((s) => {
          if (s.type !== "inbound-rtp" || s.kind !== "video") return;
          if (ssrcs.size ? !ssrcs.has(s.ssrc)
            : best && (s.lastPacketReceivedTimestamp || 0) <= (best.lastPacketReceivedTimestamp || 0)) return;
          best = s;
        });
        e.stats = best ? { framesDecoded: best.framesDecoded || 0, frameWidth: best.frameWidth || 0,
          frameHeight: best.frameHeight || 0 } : { framesDecoded: 0, frameWidth: 0, frameHeight: 0 };
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

// The SSRCs an SDP's section `mid` announces (a=ssrc lines).
function ssrcsOf(sdp, mid) {
  for (const section of String(sdp).split(/\r?\nm=/).slice(1)) {
    const lines = section.split(/\r?\n/);
    if (!lines.some((l) => l.trim() === "a=mid:" + mid)) continue;
    const out = new Set();
    for (const l of lines) {
      const m = /^a=ssrc:(\d+)/.exec(l);
      if (m) out.add(Number(m[1]));
    }
    return out;
  }
  return new Set();
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

// A page's own tracks on its publish session: one RTCPeerConnection (one
// transceiver per source, the data channels beside them) whose whole offer
// goes in each `publish` with what each section publishes (mid, kind,
// source); the node answers and names each section's track. Adding,
// removing or replacing a source renegotiates the same connection.
// `sources()` is called once (cameras are asked for once); after a rejoin
// whose snapshot lost our tracks (a node restart, a seat that expired)
// the session starts over on a new connection from the same sources.
export class Publisher {
  constructor(session, { sources, simulcast = () => false, channels = [], log = () => {}, onPublished = () => {} }) {
    this.session = session;
    this.sourcesFn = sources;
    this.simulcast = simulcast;
    this.labels = channels;
    this.log = log;
    this.onPublished = onPublished;
    this.sources = null;
    this.pc = null;
    this.channels = new Map();  // label -> RTCDataChannel
    this.sections = [];         // {src, transceiver, simulcast}
    this.published = [];        // {trackId, kind, source, track}
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
    const pc = this.pc = newConnection({ bundlePolicy: "max-bundle" });
    this.channels = new Map();
    for (const label of this.labels) {
      const ch = pc.createDataChannel(label, { ordered: true });
      ch.binaryType = "arraybuffer";
      this.channels.set(label, ch);
    }
    this.sections = this.sources.map((src) => this.section(src, simulcast));
    await this.negotiate();
    for (const p of this.published)
      this.log(`published ${short(p.source)}`
        + (simulcast && p.kind === "TRACK_KIND_VIDEO" ? " (simulcast)" : ""));
    this.onPublished(this.published);
  }

  section(src, simulcast) {
    const init = { direction: "sendonly", streams: [new MediaStream([src.track])] };
    const layered = simulcast && src.kind === "TRACK_KIND_VIDEO";
    if (layered) init.sendEncodings = [{ rid: "q", scaleResolutionDownBy: 2 }, { rid: "f" }];
    return { src, transceiver: this.pc.addTransceiver(src.track, init), simulcast: layered };
  }

  // One offer of the session, with what each live section publishes.
  async negotiate() {
    const pc = this.pc;
    await pc.setLocalDescription(await pc.createOffer());
    const live = this.sections.filter((x) => x.transceiver.direction === "sendonly");
    const tracks = live.map((x) => ({ mid: x.transceiver.mid, kind: x.src.kind, source: x.src.source,
      simulcast: x.simulcast }));
    const msg = await this.session.request({ publish: { sdp: pc.localDescription.sdp, tracks } });
    if (pc !== this.pc) return;  // started over meanwhile
    await pc.setRemoteDescription({ type: "answer", sdp: msg.published.sdp });
    const ids = new Map((msg.published.tracks || []).map((t) => [t.mid, t.trackId]));
    this.published = live.filter((x) => ids.has(x.transceiver.mid)).map((x) => ({
      trackId: ids.get(x.transceiver.mid), kind: x.src.kind, source: x.src.source, track: x.src.track }));
  }

  // Replaces what `source` sends with `src` ({kind, source, track}) on the
  // same section (a new track for the others), or adds it.
  async replace(source, src) {
    await this.ready;
    const x = this.sections.find((s) => s.src.source === source && s.transceiver.direction === "sendonly");
    if (x && x.src.kind === src.kind) {
      await x.transceiver.sender.replaceTrack(src.track);
      x.src = src;
    } else {
      this.sections.push(this.section(src, this.simulcast()));
    }
    this.ready = this.negotiate();
    return this.ready;
  }

  // Stops sending `source`: its section goes inactive, its track is unpublished.
  async remove(source) {
    await this.ready;
    const x = this.sections.find((s) => s.src.source === source && s.transceiver.direction === "sendonly");
    if (!x) return;
    x.transceiver.direction = "inactive";
    this.ready = this.negotiate();
    return this.ready;
  }

  channel(label) { return this.channels.get(label) || null; }

  // Always from scratch: a lost socket may mean a restarted node, whose
  // rebuilt classroom still lists our tracks though nothing forwards them
  // (and refuses a second track of the same source until they go).
  async recover() {
    if (!this.sources) return;
    await this.ready;
    const tracks = this.session.state.tracks;
    if (this.pc) this.pc.close();
    this.pc = null;
    this.published = [];
    const stale = [...tracks.values()].filter((t) => t.owner === this.session.identity);
    await Promise.all(stale.map((t) => this.session.request({ unpublish: { trackId: t.trackId } }).catch(() => {})));
    this.log("publishing again");
    return this.start();
  }

  // The test hook's `published`.
  describe() {
    const connection = this.pc ? this.pc.connectionState : "closed";
    return this.published.map((p, i) => {
      const d = { trackId: p.trackId, source: p.source, connection };
      if (i === 0)
        for (const [label, ch] of this.channels) d[label === "lamplight.photo" ? "photoChannel" : label] = ch.readyState;
      return d;
    });
  }
}
