// A page's membership of one classroom: token, join (waiting while the
// classroom does not exist yet), the state kept current from deltas, a
// resync on a missed delta, and a rejoin after a lost connection (the node
// keeps the seat for its reconnect grace).

import { Signal, SignalError, obtainToken, PUSH_KINDS, signalUrl } from "./signal.js";
import { ClassroomState } from "./state.js";
import { EventLog, setStatus, short } from "./ui.js";

const HAND_OUTCOMES = { HAND_OUTCOME_LOWERED: "lowered", HAND_OUTCOME_ACCEPTED: "accepted",
  HAND_OUTCOME_DISMISSED: "dismissed", HAND_OUTCOME_LEFT: "gone (left)" };

// One short line per classroom event worth a log entry; strokes are left
// out (a drawing makes dozens).
export function describeEvent(kind, ev) {
  switch (kind) {
    case "memberJoined": return `member joined ${ev.memberJoined.member.identity}`;
    case "memberLeft": return `member left ${ev.memberLeft.identity}`;
    case "presence": return `${ev.presence.identity} ${short(ev.presence.presence)}`;
    case "handRaised": return `hand raised ${ev.handRaised.identity}`;
    case "handLowered":
      return `hand ${HAND_OUTCOMES[ev.handLowered.outcome] || "lowered"} ${ev.handLowered.identity}`;
    case "device": {
      const d = ev.device;
      const what = [d.camera && "camera " + short(d.camera), d.screen && "screen " + short(d.screen)];
      return `${d.identity} ${what.filter(Boolean).join(", ")}`;
    }
    case "trackPublished": {
      const t = ev.trackPublished.track;
      return `track published ${t.owner} ${short(t.source)}`;
    }
    case "trackUnpublished": return `track unpublished ${ev.trackUnpublished.trackId}`;
    case "whiteboard":
      if (ev.whiteboard.clear) return "whiteboard cleared";
      if (ev.whiteboard.page) return `whiteboard page ${(ev.whiteboard.page.page || 0) + 1}`;
      return null;
    case "photoTaken": return `photo taken ${ev.photoTaken.owner}`;
    case "closed": return null;  // logged where the push arrives
    default: return null;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Session extends EventTarget {
  // role: what the dev token asks for; defaults: tenant/classroom/identity...
  constructor({ role, defaults = {}, logList = null, statusEl = null }) {
    super();
    this.params = new URLSearchParams(location.search);
    this.wantRole = this.params.get("role") || role;
    this.defaults = defaults;
    this.state = new ClassroomState();
    this.log = new EventLog(logList);
    this.statusEl = statusEl;
    this.signal = null;
    this.token = "";
    this.identity = this.params.get("identity") || defaults.identity || "";
    this.role = "";
    this.joined = false;
    this.stopped = false;
    this.buffer = [];      // events that arrive while joining or resyncing
    this.resyncing = false;
    this.autopublish = this.params.get("autopublish") !== "0";
    // Gateways of the cluster ("host:port", the one that served the page
    // first), learnt once joined: when that one goes, the page reconnects
    // through the others (its token is good on all of them).
    this.gateways = [];
    this.gatewayIndex = 0;  // the one it is connected through
    this.gatewayUrlNow = "";
    this.state.addEventListener("gap", () => this.resync());
    this.state.addEventListener("change", (e) => {
      if (!e.detail.event) return;
      const text = describeEvent(e.detail.kind, e.detail.event);
      if (text) this.log.add(text);
    });
  }

  status(text, kind = "") { setStatus(this.statusEl, text, kind); }

  request(body, timeoutMs) {
    if (!this.signal) return Promise.reject(new SignalError("ERROR_NOT_JOINED", "not connected", body));
    return this.signal.request(body, timeoutMs);
  }

  // Pushes re-dispatched from whichever socket is current.
  on(kind, fn) { this.addEventListener(kind, (e) => fn(e.detail)); }

  async start() {
    try {
      this.token = await obtainToken(this.params, this.wantRole, this.defaults);
    } catch (err) {
      this.status(err.message, "error");
      this.log.add("error: " + err.message);
      throw err;
    }
    return this.connect(false);
  }

  async connect(rejoin) {
    let delay = 1000;
    for (let attempt = 0; !this.stopped; ++attempt) {
      try {
        const joined = await this.joinOnce(attempt);
        this.onJoined(joined, rejoin);
        if (!this.gateways.length) this.learnGateways();
        return joined;
      } catch (err) {
        const waiting = err.code === "ERROR_CLASSROOM_NOT_FOUND";
        const lost = err.code === "ERROR_UNAVAILABLE" || err.code === "ERROR_TIMEOUT";
        if (!waiting && !(lost && attempt < 8)) {
          this.status("cannot join: " + err.message, "error");
          this.log.add("error: join: " + err.message);
          throw err;
        }
        this.status(waiting ? "waiting for the teacher to open the classroom"
          : "connection lost, retrying", "warn");
        await sleep(waiting ? 2000 : delay);
        delay = Math.min(delay * 2, 8000);
      }
    }
    throw new SignalError("ERROR_UNAVAILABLE", "stopped");
  }

  // Where attempt `attempt` connects: the gateway that worked last, then
  // the others in turn.
  gatewayUrl(attempt) {
    if (this.gateways.length < 2) return { url: signalUrl(), index: 0 };
    const i = (this.gatewayIndex + attempt) % this.gateways.length;
    const hostPort = this.gateways[i];
    const colon = hostPort.lastIndexOf(":");
    let host = hostPort.slice(0, colon);
    // A gateway bound to every address is reached where the page came from.
    if (host === "0.0.0.0" || host === "::" || host === "") host = location.hostname;
    else if (host.includes(":")) host = `[${host}]`;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return { url: `${scheme}://${host}:${hostPort.slice(colon + 1)}/signal`, index: i };
  }

  async learnGateways() {
    try {
      const r = await fetch("/gateways");
      const list = r.ok ? (await r.json()).gateways || [] : [];
      if (list.length) this.gateways = list;
    } catch { /* a node alone, or an older one: reconnect where the page came from */ }
  }

  async joinOnce(attempt = 0) {
    if (this.signal) { this.signal.close(); this.signal = null; }
    const target = this.gatewayUrl(attempt);
    const sig = new Signal(target.url);
    this.signal = sig;
    for (const kind of PUSH_KINDS)
      sig.addEventListener(kind, (e) => this.onPush(kind, e.detail));
    sig.addEventListener("kicked", (e) => this.onKicked(e.detail));
    sig.addEventListener("closed", () => this.onClosed(sig));
    this.status("connecting");
    await sig.open();
    try {
      const msg = await sig.request({ join: { token: this.token, displayName: this.params.get("name") || "" } });
      this.gatewayIndex = target.index;
      this.gatewayUrlNow = sig.url;
      return msg.joined;
    } catch (err) {
      this.signal = null;
      sig.close();
      throw err;
    }
  }

  onJoined(joined, rejoin) {
    this.identity = joined.identity;
    this.role = joined.role;
    this.state.gapsExpected = this.role === "ROLE_PARENT";
    this.state.reset(joined.snapshot || {});
    this.joined = true;
    this.drain();
    const where = `${this.state.tenant}/${this.state.classroomId}`;
    this.status(`${rejoin ? "rejoined" : "joined"} ${where} as ${this.identity}`, "ok");
    this.log.add(rejoin ? "rejoined" : "joined");
    this.dispatchEvent(new CustomEvent(rejoin ? "rejoined" : "joined", { detail: joined }));
  }

  onPush(kind, body) {
    if (kind === "joined") {
      // Unasked: the classroom came back on another node (its own died or
      // was drained). Same seat; media starts over with the new node.
      this.onJoined(body, true);
      return;
    }
    if (kind === "speakers") this.state.setSpeakers(body);
    if (kind === "event") {
      if (!this.joined || this.resyncing) this.buffer.push(body);
      else this.state.apply(body);
      if (body.closed) this.log.add("classroom closed");
    }
    this.dispatchEvent(new CustomEvent(kind, { detail: body }));
  }

  drain() {
    const pending = this.buffer.sort((a, b) => Number(a.seq) - Number(b.seq));
    this.buffer = [];
    for (const ev of pending) if (!this.state.apply(ev)) return;
  }

  async resync() {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      const msg = await this.request({ getSnapshot: {} });
      this.state.reset(msg.snapshot || {});
      this.log.add("resynced");
    } catch (err) {
      this.log.add("error: resync: " + err.message);
    } finally {
      this.resyncing = false;
      this.drain();
    }
  }

  onKicked(err) {
    this.stopped = true;
    this.joined = false;
    this.status("disconnected by the node: " + err.message, "error");
    this.log.add("kicked: " + (err.message || err.code));
    this.dispatchEvent(new CustomEvent("ended", { detail: err }));
  }

  async onClosed(sig) {
    if (sig !== this.signal) return;
    this.signal = null;
    const was = this.joined;
    this.joined = false;
    if (this.stopped || !was) return;
    this.log.add("connection lost");
    this.dispatchEvent(new CustomEvent("lost"));
    try { await this.connect(true); } catch { this.dispatchEvent(new CustomEvent("ended", { detail: {} })); }
  }

  async leave() {
    this.stopped = true;
    try { await this.request({ leave: {} }, 3000); } catch { /* going anyway */ }
    if (this.signal) this.signal.close();
  }

  // The part of the test hook every page shares (web/README.md).
  baseState() {
    const s = this.state;
    return {
      joined: this.joined,
      signalUrl: this.gatewayUrlNow,
      gateways: [...this.gateways],
      identity: this.identity,
      role: this.role,
      tenant: s.tenant,
      classroom: s.classroomId,
      mode: s.mode,
      seq: s.seq,
      members: [...s.members.values()].map((m) => ({
        identity: m.identity, displayName: m.displayName, role: m.role, presence: m.presence,
        handRaised: m.handRaised, camera: m.camera, screen: m.screen, callId: m.callId })),
      handQueue: [...s.handQueue],
      speakers: s.speakers.map((x) => x.identity),
      calls: [...s.calls.values()].map((c) => ({ callId: c.callId, caller: c.caller, callee: c.callee, phase: c.phase })),
      tracks: [...s.tracks.values()].map((t) => ({ ...t })),
      events: [...this.log.entries],
      whiteboardOps: s.board.count,
      whiteboardPage: s.board.page,
    };
  }
}
