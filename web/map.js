// The map of the books: draws map.bin (bookrec export's 2-D layout of every book, 16-bit grid) on a canvas with
// zoom (wheel, buttons, + and -) and pan (drag, arrow keys); the reader's rated books and current
// recommendations are highlighted; the book under the pointer or nearest the centre (keyboard) is named in a live
// region and a list of the books around the centre; selecting one calls opts.select. Loaded by web/app.js only
// when the map is opened. Not here: the layout maths (the C core's bookrec_model_layout2d) or any model call.
import { el, clear } from './dom.js';

const MAGIC = 0x504d4b42; // "BKMP"
const COLORS = { book: 'rgba(47, 72, 88, 0.35)', rated: '#c2410c', rec: '#15803d', focus: '#1d4ed8' };
const NEAR = 12; // books listed around the centre

// Reads map.bin: { n, x: Float32Array, y: Float32Array } in world units (the layout's, y up).
export function decodeMap(buf, count) {
  const dv = new DataView(buf);
  if (buf.byteLength < 32 || dv.getUint32(0, true) !== MAGIC) throw new Error('map.bin is not a bookrec map');
  if (dv.getUint32(4, true) !== 1) throw new Error(`map.bin has version ${dv.getUint32(4, true)}, this page reads 1`);
  const n = dv.getUint32(8, true);
  if (n !== count) throw new Error(`map.bin is for ${n} books, the catalogue has ${count}`);
  if (buf.byteLength < 32 + 4 * n) throw new Error('map.bin is truncated');
  const [xlo, xhi, ylo, yhi] = [16, 20, 24, 28].map((o) => dv.getFloat32(o, true));
  if (![xlo, xhi, ylo, yhi].every(Number.isFinite)) throw new Error('map.bin has no valid ranges');
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = xlo + (dv.getUint16(32 + 4 * i, true) / 65535) * (xhi - xlo);
    y[i] = ylo + (dv.getUint16(34 + 4 * i, true) / 65535) * (yhi - ylo);
  }
  return { n, x, y, box: [xlo, xhi, ylo, yhi] };
}

export function createMap(root, buf, opts) {
  const map = decodeMap(buf, opts.count);
  clear(root);
  const zoomIn = el('button', { type: 'button', class: 'secondary', 'aria-label': 'Zoom in' }, '+');
  const zoomOut = el('button', { type: 'button', class: 'secondary', 'aria-label': 'Zoom out' }, '−');
  const reset = el('button', { type: 'button', class: 'secondary' }, 'Whole map');
  const canvas = el('canvas', { id: 'map-canvas', tabindex: '0', role: 'application', 'aria-roledescription': 'map',
    'aria-label': 'Map of the books. Arrow keys move, + and − zoom, Enter opens the similar books of the book at the centre.',
    'aria-describedby': 'map-focus' });
  const focusLine = el('p', { id: 'map-focus', class: 'map-focus', 'aria-live': 'polite' });
  const legend = el('p', { class: 'map-legend' },
    el('span', { class: 'key rated', 'aria-hidden': 'true' }), ' your ratings ',
    el('span', { class: 'key rec', 'aria-hidden': 'true' }), ' recommended for you ',
    el('span', { class: 'key book', 'aria-hidden': 'true' }), ' other books');
  const nearList = el('ol', { id: 'map-near', class: 'map-near', 'aria-label': 'Books near the centre of the map' });
  root.append(el('div', { class: 'map-tools row' }, zoomIn, zoomOut, reset), canvas, focusLine, legend,
    el('h3', { class: 'map-near-h', text: 'Books near the centre' }), nearList);

  const ctx = canvas.getContext('2d');
  const view = { cx: 0, cy: 0, scale: 1 };
  let width = 0;
  let height = 0;
  let dpr = 1;
  let hover = -1;   // under the pointer
  let focused = -1; // nearest the centre while the keyboard moves the map, or picked from the list
  let rated = new Set();
  let recs = [];
  let frame = 0;

  const fit = () => {
    const [xlo, xhi, ylo, yhi] = map.box;
    view.cx = (xlo + xhi) / 2;
    view.cy = (ylo + yhi) / 2;
    view.scale = 0.92 * Math.min(width / Math.max(1e-6, xhi - xlo), height / Math.max(1e-6, yhi - ylo));
  };
  const sx = (i) => width / 2 + (map.x[i] - view.cx) * view.scale;
  const sy = (i) => height / 2 - (map.y[i] - view.cy) * view.scale;

  const resize = () => {
    const box = canvas.getBoundingClientRect();
    dpr = window.devicePixelRatio || 1;
    const first = width === 0;
    width = Math.max(1, box.width);
    height = Math.max(1, box.height);
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    if (first) fit();
    draw();
  };

  const dot = (i, r, color) => {
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(sx(i), sy(i), r, 0, 2 * Math.PI);
    ctx.fill();
  };

  function draw() {
    frame = 0;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = COLORS.book;
    const r = Math.max(1, Math.min(3, view.scale / 120));
    for (let i = 0; i < map.n; i++) {
      const px = sx(i);
      const py = sy(i);
      if (px < -4 || py < -4 || px > width + 4 || py > height + 4) continue;
      ctx.fillRect(px - r, py - r, 2 * r, 2 * r);
    }
    for (const i of recs) dot(i, 4.5, COLORS.rec);
    for (const i of rated) dot(i, 4.5, COLORS.rated);
    ctx.strokeStyle = 'rgba(0,0,0,0.35)'; // the centre the keyboard moves
    ctx.beginPath();
    ctx.moveTo(width / 2 - 8, height / 2); ctx.lineTo(width / 2 + 8, height / 2);
    ctx.moveTo(width / 2, height / 2 - 8); ctx.lineTo(width / 2, height / 2 + 8);
    ctx.stroke();
    const shown = hover >= 0 ? hover : focused;
    if (shown >= 0) {
      ctx.strokeStyle = COLORS.focus;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(sx(shown), sy(shown), 8, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = 1;
      const label = opts.title(shown);
      ctx.font = '13px system-ui, sans-serif';
      const w = Math.min(ctx.measureText(label).width, width - 16);
      const lx = Math.min(Math.max(8, sx(shown) + 12), width - w - 8);
      const ly = Math.min(Math.max(18, sy(shown) - 10), height - 8);
      ctx.fillStyle = 'rgba(255,255,255,0.9)';
      ctx.fillRect(lx - 4, ly - 14, w + 8, 19);
      ctx.fillStyle = '#111';
      ctx.fillText(label, lx, ly, w);
    }
  }
  const redraw = () => { if (!frame) frame = requestAnimationFrame(draw); };

  // The book nearest a screen point within `radius` px, or -1.
  const nearest = (px, py, radius) => {
    let best = -1;
    let bd = radius * radius;
    for (let i = 0; i < map.n; i++) {
      const dx = sx(i) - px;
      const dy = sy(i) - py;
      const d = dx * dx + dy * dy;
      if (d < bd) { bd = d; best = i; }
    }
    return best;
  };

  const say = (i) => { focusLine.textContent = i >= 0 ? opts.title(i) : ''; };

  // The list of the books nearest the centre (buttons: focus names one on the map, click selects it).
  let listTimer = 0;
  const updateList = () => {
    clearTimeout(listTimer);
    listTimer = setTimeout(() => {
      const hadFocus = nearList.contains(document.activeElement);
      if (hadFocus) return; // never redraw the list under the reader's keyboard focus
      const d = [];
      for (let i = 0; i < map.n; i++) {
        const dx = sx(i) - width / 2;
        const dy = sy(i) - height / 2;
        d.push([dx * dx + dy * dy, i]);
      }
      d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      clear(nearList);
      for (const [, i] of d.slice(0, NEAR)) {
        const b = el('button', { type: 'button', class: 'link', dataset: { index: String(i) }, text: opts.title(i) });
        b.addEventListener('focus', () => { focused = i; say(i); redraw(); });
        b.addEventListener('click', () => opts.select(i));
        nearList.append(el('li', { dataset: { index: String(i) } }, b));
      }
      nearList.dataset.updated = String(Number(nearList.dataset.updated || 0) + 1);
    }, 120);
  };

  const zoom = (f, px = width / 2, py = height / 2) => {
    const wx = view.cx + (px - width / 2) / view.scale;
    const wy = view.cy - (py - height / 2) / view.scale;
    view.scale = Math.min(Math.max(view.scale * f, 5), 1e6);
    view.cx = wx - (px - width / 2) / view.scale;
    view.cy = wy + (py - height / 2) / view.scale;
    redraw();
    updateList();
    root.dataset.scale = view.scale.toFixed(2);
  };
  const pan = (dx, dy) => {
    view.cx -= dx / view.scale;
    view.cy += dy / view.scale;
    root.dataset.center = `${view.cx.toFixed(3)},${view.cy.toFixed(3)}`;
    redraw();
    updateList();
  };

  zoomIn.addEventListener('click', () => zoom(1.5));
  zoomOut.addEventListener('click', () => zoom(1 / 1.5));
  reset.addEventListener('click', () => { fit(); redraw(); updateList(); root.dataset.scale = view.scale.toFixed(2); });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const box = canvas.getBoundingClientRect();
    zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - box.left, e.clientY - box.top);
  }, { passive: false });

  let drag = null;
  canvas.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, moved: 0 };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    const box = canvas.getBoundingClientRect();
    if (drag) {
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      drag.moved += Math.abs(dx) + Math.abs(dy);
      drag.x = e.clientX;
      drag.y = e.clientY;
      if (drag.moved > 4) { pan(dx, dy); return; }
    }
    const h = nearest(e.clientX - box.left, e.clientY - box.top, 10);
    if (h !== hover) { hover = h; say(h >= 0 ? h : focused); canvas.dataset.hover = String(h); redraw(); }
  });
  canvas.addEventListener('pointerup', (e) => {
    const click = drag && drag.moved <= 4;
    drag = null;
    if (!click) return;
    const box = canvas.getBoundingClientRect();
    const i = nearest(e.clientX - box.left, e.clientY - box.top, 10);
    if (i >= 0) opts.select(i);
  });
  canvas.addEventListener('pointerleave', () => {
    if (drag || hover < 0) return;
    hover = -1;
    canvas.dataset.hover = '-1';
    say(focused);
    redraw();
  });
  canvas.addEventListener('keydown', (e) => {
    const step = Math.min(width, height) * 0.1;
    const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[e.key]) pan(...moves[e.key]);
    else if (e.key === '+' || e.key === '=') zoom(1.5);
    else if (e.key === '-' || e.key === '_') zoom(1 / 1.5);
    else if (e.key === 'Home') { fit(); redraw(); updateList(); }
    else if (e.key === 'Enter' || e.key === ' ') {
      if (focused >= 0) opts.select(focused);
    } else return;
    e.preventDefault();
    if (e.key !== 'Enter' && e.key !== ' ') { // the book at the centre (within 40 px) is named
      focused = nearest(width / 2, height / 2, 40);
      canvas.dataset.focused = String(focused);
      say(focused);
      redraw();
    }
  });

  canvas.addEventListener('focus', () => {
    if (focused >= 0) return;
    focused = nearest(width / 2, height / 2, 40);
    canvas.dataset.focused = String(focused);
    say(focused);
    redraw();
  });

  const refresh = () => {
    rated = new Set([...opts.rated()].filter((i) => i >= 0 && i < map.n));
    recs = opts.recommended().filter((i) => i >= 0 && i < map.n);
    root.dataset.rated = String(rated.size);
    root.dataset.recs = String(recs.length);
    redraw();
  };
  if (typeof ResizeObserver === 'function') new ResizeObserver(resize).observe(canvas);
  resize();
  refresh();
  updateList();
  root.dataset.ready = 'true';
  root.dataset.scale = view.scale.toFixed(2);
  return { refresh, focus: () => canvas.focus(), view, screenOf: (i) => [sx(i), sy(i)] };
}
