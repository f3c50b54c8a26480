// The whiteboard: a board model that folds WhiteboardOps the way the node's
// classroom model does (strokes kept in order, erase/clear remove them, page
// only moves the view), and a canvas view that draws it and, when editable,
// turns pointer strokes into ops.

import { nextFrame } from "./ui.js";

const MAX_PAIRS = 1000;  // keeps one stroke op well under the node's frame limit

export class Board extends EventTarget {
  constructor() {
    super();
    this.strokes = new Map();  // strokeId -> Stroke, in board order
    this.page = 0;
  }

  reset(ops = [], page = 0) {
    this.strokes.clear();
    this.page = page || 0;
    for (const op of ops) this.applyQuietly(op);
    this.changed();
  }

  apply(op) {
    if (this.applyQuietly(op)) this.changed();
  }

  applyQuietly(op) {
    if (op.stroke) {
      const s = op.stroke;
      const known = this.strokes.get(s.strokeId);
      // A pending one is our own coming back: it takes its confirmed form.
      if (known && !known.pending) return false;
      this.strokes.set(s.strokeId, { ...s, page: s.page || 0, author: op.author });
      return true;
    }
    if (op.erase) return this.strokes.delete(op.erase.strokeId);
    if (op.clear) {
      const page = op.clear.page || 0;
      for (const [id, s] of this.strokes) if (s.page === page) this.strokes.delete(id);
      return true;
    }
    if (op.page) {
      this.page = op.page.page || 0;
      return true;
    }
    return false;
  }

  addPending(stroke) {
    this.strokes.set(stroke.strokeId, { ...stroke, pending: true });
    this.changed();
  }

  confirm(strokeId) {
    const s = this.strokes.get(strokeId);
    if (s && s.pending) delete s.pending;
  }

  dropPending(strokeId) {
    const s = this.strokes.get(strokeId);
    if (s && s.pending) { this.strokes.delete(strokeId); this.changed(); }
  }

  get count() { return this.strokes.size; }

  onPage(page = this.page) {
    return [...this.strokes.values()].filter((s) => s.page === page);
  }

  changed() { this.dispatchEvent(new Event("change")); }
}

function drawPath(ctx, points, w, h) {
  ctx.beginPath();
  ctx.moveTo(points[0] * w, points[1] * h);
  if (points.length === 2) ctx.lineTo(points[0] * w + 0.01, points[1] * h);
  for (let i = 2; i + 1 < points.length; i += 2) ctx.lineTo(points[i] * w, points[i + 1] * h);
  ctx.stroke();
}

const round = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;

// `send(op)` returns a promise (the node's answer); without it the view is
// read-only. Pen settings are read from `pen` at each stroke.
export class WhiteboardView {
  constructor(canvas, board, { send = null, pen = () => ({ color: "#1f4fa8", width: 0.004 }) } = {}) {
    this.canvas = canvas;
    this.board = board;
    this.send = send;
    this.pen = pen;
    this.current = null;
    this.frame = 0;
    board.addEventListener("change", () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(canvas);
    if (send) this.listen();
    this.schedule();
  }

  schedule() {
    if (this.frame) return;
    this.frame = 1;
    nextFrame(() => { this.frame = 0; this.render(); });
  }

  // The backing store follows the element's size so lines stay crisp.
  fit() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(r.width * dpr));
    const h = Math.max(1, Math.round(r.height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    return r.width > 0;
  }

  render() {
    if (!this.fit()) return;
    const { width: w, height: h } = this.canvas;
    const ctx = this.canvas.getContext("2d");
    ctx.fillStyle = "#fffdf7";
    ctx.fillRect(0, 0, w, h);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    const strokes = this.board.onPage();
    for (const s of strokes) this.strokeStyle(ctx, s, w), drawPath(ctx, s.points, w, h);
    if (this.current) this.strokeStyle(ctx, this.current, w), drawPath(ctx, this.current.points, w, h);
    const n = strokes.length;
    this.canvas.setAttribute("aria-description",
      `page ${this.board.page + 1}, ${n} stroke${n === 1 ? "" : "s"}`);
  }

  strokeStyle(ctx, s, w) {
    ctx.strokeStyle = s.color || "#000";
    ctx.lineWidth = Math.max(1, (s.width || 0.003) * w);
  }

  listen() {
    const c = this.canvas;
    const at = (e) => {
      const r = c.getBoundingClientRect();
      return [round((e.clientX - r.left) / r.width), round((e.clientY - r.top) / r.height)];
    };
    c.style.touchAction = "none";
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      c.setPointerCapture(e.pointerId);
      const { color, width } = this.pen();
      this.current = { color, width, points: at(e) };
    });
    c.addEventListener("pointermove", (e) => {
      if (!this.current) return;
      const p = this.current.points;
      const [x, y] = at(e);
      if (Math.abs(x - p[p.length - 2]) + Math.abs(y - p[p.length - 1]) < 0.002) return;
      p.push(x, y);
      // A long stroke goes out in pieces: one op stays a small frame.
      if (p.length >= MAX_PAIRS * 2) {
        const done = this.current;
        this.current = { ...done, points: [x, y] };
        this.commit(done.points, done);
      }
      this.schedule();
    });
    const end = () => {
      if (!this.current) return;
      const done = this.current;
      this.current = null;
      this.commit(done.points, done);
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
  }

  // The same path a user's stroke takes: drawn at once, sent as an op.
  // `pairs` is [[x,y], ...] or a flat [x0,y0,...] list, normalized.
  drawStroke(pairs, style = {}) {
    const flat = Array.isArray(pairs[0]) ? pairs.flat() : pairs.slice();
    return this.commit(flat.map(round), { ...this.pen(), ...style });
  }

  commit(points, { color, width }) {
    if (!this.send || points.length < 2) return Promise.resolve(null);
    const strokeId = "s-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
    const stroke = { strokeId, page: this.board.page, points, color, width };
    this.board.addPending(stroke);
    return this.send({ stroke }).then(
      () => { this.board.confirm(strokeId); return strokeId; },
      (err) => { this.board.dropPending(strokeId); throw err; });
  }
}
