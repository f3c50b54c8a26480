// The signaling console: a dev token from /dev/token (loopback only), then
// the JSON mapping of lamplight.signal.v1 on a WebSocket to /signal.
"use strict";
(() => {
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  let ws = null;
  let nextId = 1;

  function show(text, cls) {
    const li = document.createElement("li");
    li.textContent = text;
    if (cls) li.className = cls;
    log.prepend(li);
  }

  function send(body) {
    if (!ws || ws.readyState !== WebSocket.OPEN) { show("not connected", "err"); return; }
    const msg = Object.assign({ requestId: String(nextId++) }, body);
    const text = JSON.stringify(msg);
    show("-> " + text, "out");
    ws.send(text);
  }

  document.getElementById("token-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const params = new URLSearchParams(new FormData(ev.target));
    for (const [k, v] of [...params]) if (!v) params.delete(k);
    const res = await fetch("/dev/token?" + params);
    if (!res.ok) { show("token refused: " + (await res.text()), "err"); return; }
    const token = await res.text();
    if (ws) ws.close();
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/signal");
    ws.onopen = () => { status.textContent = "connected"; send({ join: { token } }); };
    ws.onclose = (e) => { status.textContent = "closed: " + (e.reason || e.code); };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      show("<- " + e.data, msg.error ? "err" : "");
    };
  });

  document.getElementById("send-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    try { send(JSON.parse(document.getElementById("message").value)); }
    catch (err) { show("not JSON: " + err.message, "err"); }
  });
})();
