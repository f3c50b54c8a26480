// Small DOM helpers shared by the pages.

// h("button", {class: "x", dataset: {action: "call"}, onclick}, "Call")
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false)
    el.append(c instanceof Node ? c : String(c));
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// "CAMERA_DESK" -> "desk", "CALL_PHASE_RINGING" -> "ringing".
const PREFIXES = ["CALL_PHASE_", "CALL_END_", "CAMERA_", "SCREEN_", "PRESENCE_", "ROLE_",
  "TRACK_SOURCE_", "TRACK_KIND_", "DEVICE_STATE_", "MODE_", "LAYER_", "HAND_OUTCOME_", "ERROR_"];
export function short(name) {
  if (!name) return "";
  const p = PREFIXES.find((x) => name.startsWith(x));
  return (p ? name.slice(p.length) : name).toLowerCase().replace(/_/g, " ");
}

// The next frame; in a background tab (no frames, timers throttled to one
// a second) right after the current task, so a hidden page still follows
// the classroom.
export function nextFrame(cb) {
  if (document.hidden) { queueMicrotask(cb); return; }
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    cancelAnimationFrame(raf);
    clearTimeout(timer);
    cb();
  };
  const raf = requestAnimationFrame(run);
  const timer = setTimeout(run, 150);
}

// Coalesces bursts of state changes (a 200-member snapshot, a join storm)
// into one render per frame.
export function batched(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    nextFrame(() => { queued = false; fn(); });
  };
}

// The event log: short strings, newest last, also what the test hook reports.
export class EventLog {
  constructor(list, cap = 300) {
    this.list = list;
    this.cap = cap;
    this.entries = [];
  }

  add(text) {
    this.entries.push(text);
    if (this.entries.length > this.cap) this.entries.shift();
    if (!this.list) return;
    const t = new Date().toTimeString().slice(0, 8);
    this.list.append(h("li", {}, h("time", {}, t), " ", text));
    while (this.list.children.length > this.cap) this.list.firstElementChild.remove();
    this.list.scrollTop = this.list.scrollHeight;
  }
}

// A live region: screen readers hear each new status once.
export function setStatus(el, text, kind = "") {
  if (!el) return;
  el.textContent = text;
  el.dataset.kind = kind;
}

// Plays media elements that autoplay policy held back, on any gesture (a
// gesture is what lets sound start).
export function unlockAudioOnGesture(button) {
  const tryPlay = () => {
    const held = [...document.querySelectorAll("audio, video")].filter((m) => m.paused && m.srcObject);
    if (!held.length) { if (button) button.hidden = true; return Promise.resolve(); }
    let blocked = false;
    return Promise.all(held.map((m) => m.play().catch(() => { blocked = true; }))).then(() => {
      if (button) button.hidden = !blocked;
    });
  };
  if (button) button.addEventListener("click", tryPlay);
  document.addEventListener("pointerdown", tryPlay);
  document.addEventListener("keydown", tryPlay);
  return tryPlay;
}

// Shows one of two buttons that stand for the two states of one thing
// (raise/lower hand); focus moves along so a keyboard user is not dropped.
export function swapButtons(show, hide) {
  const hadFocus = document.activeElement === hide;
  hide.hidden = true;
  show.hidden = false;
  if (hadFocus) show.focus();
}
