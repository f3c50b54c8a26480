// Signaling over /signal in the proto3 JSON mapping of lamplight.signal.v1:
// every request carries a requestId and gets exactly one answer with it;
// messages without one are pushes.

// "joined" comes unasked when the classroom was rebuilt on another node;
// "subscribeOffer" is the node's offer for the page's subscribe session.
export const PUSH_KINDS = ["event", "incomingCall", "callUpdate", "deviceRequest",
  "deviceOutcome", "qnaUpdate", "joined", "subscribeOffer", "speakers"];

export class SignalError extends Error {
  constructor(code, message, request) {
    super(message || code);
    this.code = code || "ERROR_UNSPECIFIED";
    this.request = request;
  }
}

export function signalUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/signal`;
}

// One WebSocket. Dispatches each push as a DOM event named after its body
// ("event", "callUpdate", ...), a push without a body kind as "kicked", and
// "closed" when the socket goes.
export class Signal extends EventTarget {
  constructor(url = signalUrl()) {
    super();
    this.url = url;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.pinger = 0;
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.onopen = () => {
        // Keeps idle proxies from dropping the socket; the answer is ignored.
        this.pinger = setInterval(() => this.request({ ping: { clientTimeMs: String(Date.now()) } })
          .catch(() => {}), 25000);
        resolve();
      };
      ws.onerror = () => reject(new SignalError("ERROR_UNAVAILABLE", "cannot reach " + this.url));
      ws.onclose = (e) => {
        clearInterval(this.pinger);
        for (const [, p] of this.pending) p.reject(new SignalError("ERROR_UNAVAILABLE", "connection closed"));
        this.pending.clear();
        if (this.ws === ws) this.ws = null;
        this.dispatchEvent(new CustomEvent("closed", { detail: { code: e.code, reason: e.reason } }));
      };
      ws.onmessage = (e) => this.onMessage(e.data);
    });
  }

  get connected() { return !!this.ws && this.ws.readyState === WebSocket.OPEN; }

  onMessage(text) {
    let msg;
    try { msg = JSON.parse(text); } catch { return; }
    const rid = msg.requestId;
    if (rid && rid !== "0") {
      const p = this.pending.get(rid);
      if (!p) return;
      this.pending.delete(rid);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new SignalError(msg.error.code, msg.error.message, p.body));
      else p.resolve(msg);
      return;
    }
    const kind = PUSH_KINDS.find((k) => k in msg);
    if (kind) this.dispatchEvent(new CustomEvent(kind, { detail: msg[kind] }));
    else if (msg.error) this.dispatchEvent(new CustomEvent("kicked", { detail: msg.error }));
  }

  // Resolves with the whole ServerMessage, rejects with a SignalError.
  request(body, timeoutMs = 20000) {
    if (!this.connected) return Promise.reject(new SignalError("ERROR_NOT_JOINED", "not connected", body));
    const requestId = String(this.nextId++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new SignalError("ERROR_TIMEOUT", "no answer to " + Object.keys(body)[0], body));
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer, body });
      this.ws.send(JSON.stringify(Object.assign({ requestId }, body)));
    });
  }

  close() {
    clearInterval(this.pinger);
    if (this.ws) this.ws.close(1000, "bye");
  }
}

// A join token: `token=` given in the page's URL, else one from the node's
// dev endpoint (loopback only) built from the URL's parameters.
export async function obtainToken(params, role, defaults) {
  const given = params.get("token");
  if (given) return given;
  const q = new URLSearchParams();
  const pick = (k) => params.get(k) || defaults[k] || "";
  for (const k of ["tenant", "classroom", "identity", "name", "child", "mode", "provider"]) {
    const v = pick(k);
    if (v) q.set(k, v);
  }
  q.set("role", role);
  const res = await fetch("/dev/token?" + q);
  const text = await res.text();
  if (!res.ok) throw new SignalError("ERROR_UNAUTHENTICATED", "no dev token: " + text);
  return text.trim();
}
