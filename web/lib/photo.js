// Homework photos. The lamp side (a student's browser standing in for a
// lamp) answers capturePhoto by uploading a JPEG on its `lamplight.photo`
// data channel; the teacher side shows what was stored, full size, zoomable.

import { h } from "./ui.js";

export const PHOTO_CHANNEL = "lamplight.photo";
const CHUNK = 16384;          // the upload protocol's largest binary message
const HIGH_WATER = 1 << 20;   // pause sending above this much queued

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

// crypto.subtle only exists in secure contexts (https, loopback); a lamp page
// opened over plain http on a LAN still has to hash, so a small fallback.
function sha256Fallback(bytes) {
  const K = new Uint32Array([0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
    0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb,
    0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624,
    0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb,
    0xbef9a3f7, 0xc67178f2]);
  const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c,
    0x1f83d9ab, 0x5be0cd19]);
  const len = bytes.length;
  const total = Math.ceil((len + 9) / 64) * 64;
  const m = new Uint8Array(total);
  m.set(bytes);
  m[len] = 0x80;
  const dv = new DataView(m.buffer);
  dv.setUint32(total - 8, Math.floor(len / 0x20000000));
  dv.setUint32(total - 4, (len * 8) >>> 0);
  const W = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; ++i) W[i] = dv.getUint32(off + i * 4);
    for (let i = 16; i < 64; ++i) {
      const s0 = rotr(W[i - 15], 7) ^ rotr(W[i - 15], 18) ^ (W[i - 15] >>> 3);
      const s1 = rotr(W[i - 2], 17) ^ rotr(W[i - 2], 19) ^ (W[i - 2] >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = H;
    for (let i = 0; i < 64; ++i) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += hh;
  }
  const out = new DataView(new ArrayBuffer(32));
  H.forEach((v, i) => out.setUint32(i * 4, v));
  return hex(out.buffer);
}

export async function sha256Hex(bytes) {
  if (globalThis.crypto && crypto.subtle) return hex(await crypto.subtle.digest("SHA-256", bytes));
  return sha256Fallback(bytes);
}

function drained(ch) {
  if (ch.bufferedAmount <= HIGH_WATER) return Promise.resolve();
  return new Promise((resolve, reject) => {
    ch.bufferedAmountLowThreshold = HIGH_WATER / 4;
    const ok = () => { ch.removeEventListener("close", gone); resolve(); };
    const gone = () => { ch.removeEventListener("bufferedamountlow", ok); reject(new Error("photo channel closed")); };
    ch.addEventListener("bufferedamountlow", ok, { once: true });
    ch.addEventListener("close", gone, { once: true });
  });
}

// The lamp end of the upload protocol. `channel()` returns the current
// photo channel (it is replaced if the lamp republishes); `picture(w, h)` a
// canvas of the desk at that size.
export class PhotoUploader {
  constructor({ channel, picture }) {
    this.channel = channel;
    this.picture = picture;
    this.waiting = new Map();  // commandId -> {resolve}
    this.attached = new WeakSet();
  }

  attach(ch) {
    if (!ch || this.attached.has(ch)) return;
    this.attached.add(ch);
    ch.addEventListener("message", (e) => {
      if (typeof e.data !== "string") return;
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      const w = this.waiting.get(m.commandId);
      if (!w) return;
      if (m.type === "photo-stored") w.resolve({ ok: true, photoId: m.photoId });
      else if (m.type === "photo-failed") w.resolve({ ok: false, reason: m.reason || "upload refused" });
    });
  }

  async openChannel(ms) {
    const ch = this.channel();
    if (!ch) throw new Error("no photo channel (nothing published)");
    this.attach(ch);
    if (ch.readyState === "open") return ch;
    if (ch.readyState !== "connecting") throw new Error("photo channel is " + ch.readyState);
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("photo channel did not open")), ms);
      ch.addEventListener("open", () => { clearTimeout(t); resolve(); }, { once: true });
    });
    return ch;
  }

  // Resolves {ok, photoId} or {ok: false, reason}; never throws.
  async capture(commandId, { width, height }, deadlineMs) {
    const until = Date.now() + Math.max(3000, (Number(deadlineMs) || 10000) - 500);
    try {
      const ch = await this.openChannel(Math.max(1000, until - Date.now()));
      const canvas = this.picture(width, height);
      const blob = await new Promise((r) => canvas.toBlob(r, "image/jpeg", 0.85));
      if (!blob) throw new Error("could not encode the picture");
      const bytes = new Uint8Array(await blob.arrayBuffer());
      const sha256 = await sha256Hex(bytes);
      const reply = new Promise((resolve) => this.waiting.set(commandId, { resolve }));
      ch.send(JSON.stringify({ type: "photo-begin", commandId, size: bytes.length, sha256,
        width, height, contentType: "image/jpeg" }));
      for (let off = 0; off < bytes.length; off += CHUNK) {
        await drained(ch);
        ch.send(bytes.subarray(off, Math.min(off + CHUNK, bytes.length)));
      }
      ch.send(JSON.stringify({ type: "photo-end", commandId }));
      const timeout = new Promise((r) => setTimeout(() => r({ ok: false,
        reason: "no photo-stored answer from the node" }), Math.max(1000, until - Date.now())));
      return Object.assign(await Promise.race([reply, timeout]), { size: bytes.length, sha256 });
    } catch (err) {
      return { ok: false, reason: err.message || String(err) };
    } finally {
      this.waiting.delete(commandId);
    }
  }
}

// Where a stored photo is served: the viewer's own join token authorizes it.
export function photoUrl(photoId, token) {
  const path = photoId.split("/").map(encodeURIComponent).join("/");
  return `/photos/${path}?token=${encodeURIComponent(token)}`;
}

// The photos shown to a teacher or parent: a strip of thumbnails, and a dialog showing one at
// full size. Zoom by the slider, +/- keys, or a click (fit <-> 100% at the
// clicked point).
function photoDialog() {
  const d = h("dialog", { class: "photo", id: "photo-dialog", "aria-labelledby": "photo-title",
    dataset: { role: "photo-dialog" } },
    h("h2", { id: "photo-title" }, "Photo"),
    h("div", { class: "toolbar" },
      h("label", { class: "inline" }, "Zoom ",
        h("input", { type: "range", min: "5", max: "400", step: "5", value: "100", dataset: { field: "zoom" } })),
      h("output", { "aria-live": "polite" }, "100%"),
      h("button", { type: "button", dataset: { action: "zoom-fit" } }, "Fit"),
      h("button", { type: "button", dataset: { action: "zoom-100" } }, "100%"),
      h("button", { type: "button", dataset: { action: "close-photo" } }, "Close"),
      h("span", { class: "caption" }, "Click the picture to zoom in or out; keys + − 0.")),
    h("div", { class: "view", tabindex: "0", dataset: { role: "photo-view" } }, h("img", { alt: "" })));
  document.body.append(d);
  return d;
}

export class PhotoGallery {
  constructor(list, dialog = photoDialog()) {
    this.list = list;
    this.dialog = dialog;
    this.photos = [];
    this.img = dialog.querySelector("img");
    this.view = dialog.querySelector("[data-role=photo-view]");
    this.slider = dialog.querySelector("[data-field=zoom]");
    this.zoomOut = dialog.querySelector("output");
    this.title = dialog.querySelector("h2");
    this.zoom = 1;
    this.slider.addEventListener("input", () => this.setZoom(Number(this.slider.value) / 100));
    dialog.querySelector("[data-action=zoom-fit]").addEventListener("click", () => this.fit());
    dialog.querySelector("[data-action=zoom-100]").addEventListener("click", () => this.setZoom(1));
    dialog.querySelector("[data-action=close-photo]").addEventListener("click", () => dialog.close());
    this.img.addEventListener("click", (e) => this.clickZoom(e));
    this.img.addEventListener("load", () => this.fit());
    dialog.addEventListener("keydown", (e) => {
      if (e.target === this.slider) return;
      if (e.key === "+" || e.key === "=") this.setZoom(this.zoom * 1.25);
      else if (e.key === "-") this.setZoom(this.zoom / 1.25);
      else if (e.key === "0") this.fit();
    });
  }

  has(photoId) { return this.photos.some((p) => p.photoId === photoId); }

  add(photo) {
    if (this.has(photo.photoId)) return false;
    this.photos.push(photo);
    const i = this.photos.length - 1;
    const label = `Photo from ${photo.target}, ${photo.width}×${photo.height}`;
    this.list.append(h("li", {},
      h("button", { type: "button", class: "thumb", dataset: { action: "open-photo", photoId: photo.photoId },
        "aria-label": "Open " + label, onclick: () => this.open(i) },
      h("img", { src: photo.url, alt: label, loading: "lazy" }),
      h("span", {}, `${photo.target} · ${photo.width}×${photo.height}`))));
    return true;
  }

  open(i) {
    const p = this.photos[i];
    if (!p) return;
    this.title.textContent = `Photo from ${p.target} (${p.width}×${p.height})`;
    this.img.alt = `Homework photo from ${p.target}`;
    if (this.img.src !== new URL(p.url, location.href).href) this.img.src = p.url;
    else this.fit();
    if (!this.dialog.open) this.dialog.showModal();
  }

  fitZoom() {
    const w = this.img.naturalWidth, hh = this.img.naturalHeight;
    if (!w || !hh) return 1;
    return Math.min(this.view.clientWidth / w, this.view.clientHeight / hh, 1);
  }

  fit() { this.setZoom(this.fitZoom()); }

  setZoom(z, focus = null) {
    const w = this.img.naturalWidth;
    if (!w) return;
    const min = Math.min(0.05, this.fitZoom());
    z = Math.min(4, Math.max(min, z));
    // Keep the point under the pointer (or the centre) in place.
    const v = this.view;
    const fx = focus ? focus.x : v.clientWidth / 2;
    const fy = focus ? focus.y : v.clientHeight / 2;
    const px = (v.scrollLeft + fx) / this.zoom, py = (v.scrollTop + fy) / this.zoom;
    this.zoom = z;
    this.img.style.width = Math.round(w * z) + "px";
    this.img.style.maxWidth = "none";
    v.scrollLeft = px * z - fx;
    v.scrollTop = py * z - fy;
    this.slider.value = String(Math.round(z * 100));
    this.zoomOut.textContent = Math.round(z * 100) + "%";
    this.img.style.cursor = z < 0.999 ? "zoom-in" : "zoom-out";
  }

  clickZoom(e) {
    const r = this.view.getBoundingClientRect();
    const focus = { x: e.clientX - r.left, y: e.clientY - r.top };
    if (this.zoom < 0.999) this.setZoom(1, focus);
    else this.setZoom(this.fitZoom(), focus);
  }

  urls() { return this.photos.map((p) => p.url); }
}
