// Browser end of the media loopback test: signaling in the JSON mapping over
// /signal, one PeerConnection publishing, one subscribing, both to the SFU.
"use strict";
(() => {
  const out = document.getElementById("log");
  const log = (text) => { out.textContent += text + "\n"; console.log(text); };
  const done = (result) => {
    window.lamplightResult = result;
    console.log("LAMPLIGHT-RESULT " + JSON.stringify(result));
  };

  function signaling(ws) {
    let next = 1;
    const pending = new Map();
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.requestId && pending.has(m.requestId)) {
        pending.get(m.requestId)(m);
        pending.delete(m.requestId);
      }
    };
    return (body) => new Promise((resolve) => {
      const id = String(next++);
      pending.set(id, resolve);
      ws.send(JSON.stringify(Object.assign({ requestId: id }, body)));
    });
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

  async function inboundVideo(pc) {
    let video = { framesDecoded: 0, frameWidth: 0 };
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") video = s;
    });
    return video;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // Waits until the subscriber decodes frames `width` wide; the widths seen.
  async function waitForWidth(pc, width, ms) {
    const deadline = Date.now() + ms;
    let v;
    while (Date.now() < deadline) {
      v = await inboundVideo(pc);
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
    const request = signaling(ws);
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
    const published = await request({ publish: {
      kind: "TRACK_KIND_VIDEO", source: "TRACK_SOURCE_FACE_CAMERA", sdp: pub.localDescription.sdp } });
    if (published.error) throw new Error("publish: " + published.error.message);
    await pub.setRemoteDescription({ type: "answer", sdp: published.published.sdp });
    log("published " + published.published.trackId);

    let sub = new RTCPeerConnection();
    const show = (e) => { document.querySelector("video").srcObject = new MediaStream([e.track]); };
    sub.addTransceiver("video", { direction: "recvonly" });
    sub.ontrack = show;
    await sub.setLocalDescription(await sub.createOffer());
    const trackId = published.published.trackId;
    const subscribed = await request({ subscribe: {
      trackId, sdp: sub.localDescription.sdp, layer: simulcast ? "LAYER_LOW" : undefined } });
    if (subscribed.error) throw new Error("subscribe: " + subscribed.error.message);
    if (subscribed.subscribed.offer) {
      // The provider offers to subscribers (Janus): a fresh connection
      // answers its offer; ours is dropped.
      sub.close();
      sub = new RTCPeerConnection();
      sub.ontrack = show;
      await sub.setRemoteDescription({ type: "offer", sdp: subscribed.subscribed.sdp });
      await sub.setLocalDescription(await sub.createAnswer());
      const ack = await request({ subscribeAnswer: { trackId, sdp: sub.localDescription.sdp } });
      if (ack.error) throw new Error("subscribeAnswer: " + ack.error.message);
      log("answered the provider's offer");
    } else {
      await sub.setRemoteDescription({ type: "answer", sdp: subscribed.subscribed.sdp });
    }
    log("subscribed");

    if (simulcast) {
      // Low, then high on request, then low again: each at a key frame.
      const steps = [];
      steps.push(await waitForWidth(sub, 320, 20000));
      const up = await request({ preferLayer: { trackId, layer: "LAYER_HIGH" } });
      steps.push(!up.error && await waitForWidth(sub, 640, 20000));
      const down = await request({ preferLayer: { trackId, layer: "LAYER_LOW" } });
      steps.push(!down.error && await waitForWidth(sub, 320, 20000));
      // And it goes on decoding after the switches (no freeze).
      const before = (await inboundVideo(sub)).framesDecoded;
      const until = Date.now() + 10000;
      while (Date.now() < until && (await inboundVideo(sub)).framesDecoded < before + 15)
        await sleep(200);
      const v = await inboundVideo(sub);
      steps.push(v.framesDecoded >= before + 15);
      done({ ok: steps.every(Boolean), steps, framesDecoded: v.framesDecoded,
             publisher: pub.connectionState, subscriber: sub.connectionState });
      return;
    }
    const deadline = Date.now() + 20000;
    let frames = 0;
    while (Date.now() < deadline && (frames = (await inboundVideo(sub)).framesDecoded) < want)
      await sleep(250);
    done({ ok: frames >= want, framesDecoded: frames, publisher: pub.connectionState,
           subscriber: sub.connectionState });
  }

  run().catch((e) => done({ ok: false, error: String(e) }));
})();
