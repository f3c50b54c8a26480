// Browser end of the media loopback test: signaling in the JSON mapping over
// /signal, one PeerConnection publishing its track (its publish session), and the page's subscribe
// session (the node offers, the page answers) watching it again.
"use strict";
(() => {
  const out = document.getElementById("log");
  const log = (text) => { out.textContent += text + "\n"; console.log(text); };
  const done = (result) => {
    window.lamplightResult = result;
    console.log("LAMPLIGHT-RESULT " + JSON.stringify(result));
  };

  // Requests resolve with their answer (errors included); everything
  // without a requestId is a push, for `onPush`.
  function signaling(ws, onPush) {
    let next = 1;
    const pending = new Map();
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.requestId && m.requestId !== "0") {
        if (pending.has(m.requestId)) {
          pending.get(m.requestId)(m);
          pending.delete(m.requestId);
        }
      } else {
        onPush(m);
      }
    };
    return (body) => new Promise((resolve) => {
      const id = String(next++);
      pending.set(id, resolve);
      ws.send(JSON.stringify(Object.assign({ requestId: id }, body)));
    });
  }

  // The page's subscribe session: the node offers (subscribeOffer pushes),
  // the page answers on one connection, one offer after the other; a new
  // `session` is a new connection. `tracks`: trackId -> mid, as the last
  // answer the node took settled them.
  function subscribeSession(request) {
    const s = { pc: null, session: "", tracks: new Map(), waiters: new Set() };
    let queue = Promise.resolve();
    async function take(o) {
      const session = String(o.session || "0");
      const version = String(o.version || "0");
      if (!s.pc || s.session !== session) {
        if (s.pc) s.pc.close();
        s.pc = new RTCPeerConnection();
        s.session = session;
      }
      await s.pc.setRemoteDescription({ type: "offer", sdp: o.sdp });
      await s.pc.setLocalDescription(await s.pc.createAnswer());
      const r = await request({ subscribeAnswer: { session, version, sdp: s.pc.localDescription.sdp } });
      if (r.error) {
        // WRONG_STATE: a newer offer follows.
        if (r.error.code !== "ERROR_WRONG_STATE") log("subscribeAnswer: " + r.error.message);
        return;
      }
      s.tracks = new Map((o.tracks || []).map((t) => [t.trackId, t.mid]));
      log(`answered offer ${version} of session ${session}: ${[...s.tracks.keys()].join(", ") || "nothing"}`);
      for (const w of s.waiters) w();
    }
    s.offer = (o) => { queue = queue.then(() => take(o)).catch((e) => log("offer: " + e)); };
    // The transceiver that carries `trackId`, once an answered offer says so.
    s.receiving = (trackId, ms) => new Promise((resolve, reject) => {
      const check = () => {
        const mid = s.tracks.get(trackId);
        const tr = mid !== undefined && s.pc.getTransceivers().find((t) => t.mid === mid);
        if (!tr) return;
        s.waiters.delete(check);
        clearTimeout(timer);
        resolve(tr);
      };
      const timer = setTimeout(() => {
        s.waiters.delete(check);
        reject(new Error("no offer carries " + trackId));
      }, ms);
      s.waiters.add(check);
      check();
    });
    return s;
  }

  function animate(canvas) {
    const ctx = canvas.getContext("2d");
    let n = 0;
    setInterval(() => {
      ctx.fillStyle = `hsl(${(n * 7) % 360} 70% 50%)`;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = "#fff";
      ctx.font = "48px sans-serif";
      ctx.fillText(String(n++), 20, 130);
    }, 33);
  }

  async function inboundVideo(receiver) {
    let video = { framesDecoded: 0, frameWidth: 0 };
    (await receiver.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") video = s;
    });
    return video;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // Waits until the subscriber decodes frames `width` wide; the widths seen.
  async function waitForWidth(receiver, width, ms) {
    const deadline = Date.now() + ms;
    let v;
    while (Date.now() < deadline) {
      v = await inboundVideo(receiver);
      if (v.frameWidth === width) return true;
      await sleep(200);
    }
    log(`still ${v && v.frameWidth} wide, not ${width}`);
    return false;
  }

  async function run() {
    const q = new URLSearchParams(location.search);
    const room = q.get("room") || "loopback";
    const want = Number(q.get("frames") || 30);
    const token = await (await fetch(`/dev/token?tenant=tests&classroom=${room}` +
      "&identity=t-browser&role=teacher&mode=small_group" +
      (q.get("provider") ? "&provider=" + q.get("provider") : ""))).text();
    const ws = new WebSocket(`ws://${location.host}/signal`);
    await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
    let session = null;
    const request = signaling(ws, (m) => { if (m.subscribeOffer) session.offer(m.subscribeOffer); });
    session = subscribeSession(request);
    const joined = await request({ join: { token } });
    if (joined.error) throw new Error("join: " + joined.error.message);

    // ?simulcast=1: two layers by rid (q at half size, f at full), as the
    // large-class view publishes; the subscriber starts on q and switches.
    const simulcast = q.get("simulcast") === "1";
    const canvas = document.querySelector("canvas");
    if (simulcast) { canvas.width = 640; canvas.height = 360; }
    animate(canvas);
    const pub = new RTCPeerConnection();
    pub.addTransceiver(canvas.captureStream(30).getVideoTracks()[0], {
      direction: "sendonly",
      sendEncodings: simulcast
        ? [{ rid: "q", scaleResolutionDownBy: 2 }, { rid: "f" }] : undefined,
    });
    await pub.setLocalDescription(await pub.createOffer());
    // The publish session's offer, naming what its one section publishes.
    const published = await request({ publish: { sdp: pub.localDescription.sdp, tracks: [{
      mid: pub.getTransceivers()[0].mid, kind: "TRACK_KIND_VIDEO", source: "TRACK_SOURCE_FACE_CAMERA",
      simulcast }] } });
    if (published.error) throw new Error("publish: " + published.error.message);
    await pub.setRemoteDescription({ type: "answer", sdp: published.published.sdp });
    const trackId = published.published.tracks[0].trackId;
    log("published " + trackId);

    // Watching it: the track goes into this page's subscribe session,
    // whose next offer (before or after the Ack) carries it.
    const subscribed = await request({ subscribe: { trackId, layer: simulcast ? "LAYER_LOW" : undefined } });
    if (subscribed.error) throw new Error("subscribe: " + subscribed.error.message);
    const tr = await session.receiving(trackId, 20000);
    document.querySelector("video").srcObject = new MediaStream([tr.receiver.track]);
    const sub = session.pc;
    const receiver = tr.receiver;
    log(`subscribed: mid ${tr.mid}`);

    if (simulcast) {
      // Low, then high on request, then low again: each at a key frame.
      const steps = [];
      steps.push(await waitForWidth(receiver, 320, 20000));
      const up = await request({ preferLayer: { trackId, layer: "LAYER_HIGH" } });
      steps.push(!up.error && await waitForWidth(receiver, 640, 20000));
      const down = await request({ preferLayer: { trackId, layer: "LAYER_LOW" } });
      steps.push(!down.error && await waitForWidth(receiver, 320, 20000));
      // And it goes on decoding after the switches (no freeze).
      const before = (await inboundVideo(receiver)).framesDecoded;
      const until = Date.now() + 10000;
      while (Date.now() < until && (await inboundVideo(receiver)).framesDecoded < before + 15)
        await sleep(200);
      const v = await inboundVideo(receiver);
      steps.push(v.framesDecoded >= before + 15);
      done({ ok: steps.every(Boolean), steps, framesDecoded: v.framesDecoded,
             publisher: pub.connectionState, subscriber: sub.connectionState });
      return;
    }
    const deadline = Date.now() + 20000;
    let frames = 0;
    while (Date.now() < deadline && (frames = (await inboundVideo(receiver)).framesDecoded) < want)
      await sleep(250);
    done({ ok: frames >= want, framesDecoded: frames, publisher: pub.connectionState,
           subscriber: sub.connectionState });
  }

  run().catch((e) => done({ ok: false, error: String(e) }));
})();
