// Pictures made in the page: a stand-in camera when there is none, and the
// desk camera of a browser "lamp" (a homework page, drawn for the stream at
// a small size and for a photo at whatever size the teacher asks).

// Timers, not animation frames: those stop in a background tab and the
// stream would freeze for everyone watching.
function animate(canvas, fps, draw) {
  const ctx = canvas.getContext("2d");
  let n = 0;
  draw(ctx, canvas.width, canvas.height, n++);
  const timer = setInterval(() => draw(ctx, canvas.width, canvas.height, n++), 1000 / fps);
  const track = canvas.captureStream(fps).getVideoTracks()[0];
  return { canvas, track, stop: () => { clearInterval(timer); track.stop(); } };
}

export function cameraFallback(label, width = 640, height = 480) {
  const canvas = Object.assign(document.createElement("canvas"), { width, height });
  return animate(canvas, 15, (ctx, w, h, n) => {
    const g = ctx.createLinearGradient(0, 0, w, h);
    g.addColorStop(0, `hsl(${(n * 2) % 360} 45% 35%)`);
    g.addColorStop(1, `hsl(${(n * 2 + 90) % 360} 45% 20%)`);
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, w, h);
    ctx.fillStyle = "#fff";
    ctx.font = `${Math.round(h / 10)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.fillText(label, w / 2, h / 2);
    ctx.font = `${Math.round(h / 18)}px ui-monospace, monospace`;
    ctx.fillText(new Date().toTimeString().slice(0, 8) + "  #" + n, w / 2, h / 2 + h / 8);
    ctx.beginPath();
    ctx.arc(w / 2 + Math.cos(n / 8) * w / 3, h * 0.8, h / 30, 0, Math.PI * 2);
    ctx.fill();
  });
}

let silence = null;
export function silentAudioTrack() {
  if (!silence) {
    const ac = new AudioContext();
    const dest = ac.createMediaStreamDestination();
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    gain.gain.value = 0;
    osc.connect(gain).connect(dest);
    osc.start();
    silence = dest.stream.getAudioTracks()[0];
  }
  return silence.clone();
}

const PROBLEMS = [
  ["1.", "3/4 + 1/8 =", "7/8"],
  ["2.", "2/3 × 3/5 =", "6/15 = 2/5"],
  ["3.", "5/6 − 1/4 =", "7/12"],
  ["4.", "1/2 ÷ 1/4 =", "2"],
  ["5.", "Shade 3/8 of the circle:", ""],
];

// Everything is scaled from the height, so a 4032x3024 photo shows the
// same page as the 640x480 stream, only sharper.
export function drawHomework(ctx, w, h, { name = "", tick = 0 } = {}) {
  const u = h / 100;
  ctx.fillStyle = "#fbf8ef";
  ctx.fillRect(0, 0, w, h);
  ctx.strokeStyle = "#b9cbe6";
  ctx.lineWidth = Math.max(1, u * 0.15);
  for (let y = 14 * u; y < h; y += 6.5 * u) {
    ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
  }
  ctx.strokeStyle = "#e08a8a";
  ctx.beginPath(); ctx.moveTo(w * 0.1, 0); ctx.lineTo(w * 0.1, h); ctx.stroke();
  ctx.fillStyle = "#1d2b4f";
  ctx.textBaseline = "alphabetic";
  ctx.textAlign = "left";
  ctx.font = `bold ${Math.round(6 * u)}px Georgia, serif`;
  ctx.fillText("Homework: fractions", w * 0.13, 10 * u);
  ctx.font = `${Math.round(3.5 * u)}px Georgia, serif`;
  ctx.textAlign = "right";
  ctx.fillText(name ? "Name: " + name : "", w * 0.97, 10 * u);
  ctx.textAlign = "left";
  PROBLEMS.forEach(([n, q, a], i) => {
    const y = (19.5 + i * 13) * u;
    ctx.fillStyle = "#1d2b4f";
    ctx.font = `${Math.round(5 * u)}px Georgia, serif`;
    ctx.fillText(n, w * 0.12, y);
    ctx.fillText(q, w * 0.18, y);
    ctx.fillStyle = "#333";
    ctx.font = `italic ${Math.round(5.5 * u)}px "Comic Sans MS", cursive, serif`;
    ctx.fillText(a, w * 0.18 + ctx.measureText(q).width * 1.1 + 4 * u, y);
  });
  // Problem 5's circle, three eighths shaded in pencil.
  const cx = w * 0.62, cy = 80 * u, r = 11 * u;
  ctx.strokeStyle = "#333";
  ctx.lineWidth = Math.max(1, u * 0.4);
  ctx.beginPath(); ctx.arc(cx, cy, r, 0, Math.PI * 2); ctx.stroke();
  ctx.fillStyle = "rgba(60,60,60,.45)";
  ctx.beginPath(); ctx.moveTo(cx, cy); ctx.arc(cx, cy, r, -Math.PI / 2, -Math.PI / 2 + Math.PI * 0.75); ctx.fill();
  for (let k = 0; k < 8; ++k) {
    const a = -Math.PI / 2 + k * Math.PI / 4;
    ctx.beginPath(); ctx.moveTo(cx, cy); ctx.lineTo(cx + r * Math.cos(a), cy + r * Math.sin(a)); ctx.stroke();
  }
  // A pencil that moves: the stream keeps changing, so the encoder keeps
  // sending and a frozen picture is visibly frozen.
  const px = w * (0.2 + 0.25 * (1 + Math.sin(tick / 20))), py = 92 * u;
  ctx.save();
  ctx.translate(px, py);
  ctx.rotate(-0.5);
  ctx.fillStyle = "#f2c14e";
  ctx.fillRect(0, -u, 18 * u, 2 * u);
  ctx.fillStyle = "#444";
  ctx.beginPath(); ctx.moveTo(0, -u); ctx.lineTo(-3 * u, 0); ctx.lineTo(0, u); ctx.fill();
  ctx.restore();
  ctx.fillStyle = "#8a8a8a";
  ctx.font = `${Math.round(2.2 * u)}px ui-monospace, monospace`;
  ctx.textAlign = "right";
  ctx.fillText(new Date().toISOString().replace("T", " ").slice(0, 19), w * 0.98, 98 * u);
  ctx.textAlign = "left";
}

export class DeskCamera {
  constructor(name, width = 640, height = 480) {
    this.name = name;
    this.tick = 0;
    const canvas = Object.assign(document.createElement("canvas"), { width, height });
    Object.assign(this, animate(canvas, 10, (ctx, w, h, n) => {
      this.tick = n;
      drawHomework(ctx, w, h, { name: this.name, tick: n });
    }));
  }

  // A canvas with the desk at the asked size: what the photo is taken from.
  picture(width, height) {
    const canvas = Object.assign(document.createElement("canvas"), { width, height });
    drawHomework(canvas.getContext("2d"), width, height, { name: this.name, tick: this.tick });
    return canvas;
  }
}
