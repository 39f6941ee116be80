// Shared by every explorer's page module (tconv_edu/widgets/_base.py joins this file and the explorer's into one
// ES module). The kernel computes every number with tconv_edu; this code only reads the arrays it sent, draws
// them as SVG in the course's palette (tconv_edu.viz.COLORS, sent as the `palette` trait) and writes readouts.
//
// The root element carries what tests and benchmarks/explorers.py read:
//   data-pending="1" while a change waits for the kernel, "0" once its answer is drawn;
//   data-drawn: a counter, one more per drawing; data-settled-at: performance.now() of the last drawing and
//   data-painted-at: of the frame after it; data-received-at: when the kernel's last answer arrived;
//   data-compute-ms: the kernel's time for that recomputation; data-ahead: "1" when the last drawing came from the
//   answers sent ahead (no kernel message waited for), "0" when it waited for the kernel's answer; data-draw-ms: the
//   time the last drawing took in the page (before the browser's layout and paint).
//
// Answers ahead: after each answer the kernel sends `ahead`, its answers for every control's neighbouring values
// (tconv_edu/widgets/_base.py), keyed by the parameters' values. An arrow key that lands on one of them draws it at
// once; the kernel's own answer to the change then only confirms it (same code, same numbers: it is not drawn
// again). Explorers read what they draw through ui.view (the answer drawn ahead, else the model) and redecode their
// arrays when ui.version() changes.

const SVGNS = "http://www.w3.org/2000/svg";

function h(tag, attrs = {}, parent = null, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

// the bytes of a Bytes trait (a DataView, or null before the first message) as a typed array
function f64(model, name) {
  const v = model.get(name);
  if (!v || !v.byteLength) return new Float64Array(0);
  return new Float64Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}
function i32(model, name) {
  const v = model.get(name);
  if (!v || !v.byteLength) return new Int32Array(0);
  return new Int32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

// tconv_edu.viz.format_number: a whole number without decimals, else 3 significant digits (Python's "%.3g")
function fmt(v) {
  if (Math.abs(v - Math.round(v)) <= 1e-9) return String(Math.round(v) || 0);
  let s = v.toPrecision(3);
  const exp = Math.floor(Math.log10(Math.abs(Number(s))));
  if (exp < -4 || exp >= 3) {
    let [m, e] = v.toExponential(2).split("e");
    if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
    const n = Number(e);
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
}

// a colour of the palette mixed with white: t = 0 white, 1 the colour
function mix(hex, t) {
  const c = parseInt(hex.slice(1), 16);
  const ch = (shift) => Math.round(255 + (((c >> shift) & 255) - 255) * Math.max(0, Math.min(1, t)));
  return `rgb(${ch(16)},${ch(8)},${ch(0)})`;
}
// black or white text on a fill (tconv_edu.viz._text_color's rule)
function ink(rgb) {
  const [r, g, b] = rgb.match(/\d+/g).map((v) => Number(v) / 255);
  return 0.299 * r + 0.587 * g + 0.114 * b > 0.55 ? "#000" : "#fff";
}
function shade(palette, role, v, vmax) {
  if (v < 0) return mix(palette.negative, Math.abs(v) / (vmax || 1));
  return mix(palette[role], vmax ? v / vmax : 0);
}

// a grid cell's number: its font size, and whether it is written (cells under 14 px are too small for one)
const cellFont = (size) => Math.max(8, Math.min(14, size * 0.42));
const written = (d, size) => d.text !== undefined && d.text !== null && size >= 14;

// an SVG grid of rows x cols cells; cell(r, c) -> {fill, text, cls, stroke}. Cells carry data-r, data-c.
// Returns the markup (set as innerHTML of an <svg>, which is faster than one element at a time).
function gridMarkup(rows, cols, size, cell, { x0 = 0, y0 = 0, name = "" } = {}) {
  const parts = [];
  const font = cellFont(size);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const d = cell(r, c);
      const x = x0 + c * size, y = y0 + r * size;
      parts.push(`<rect class="cell ${d.cls || ""}" data-grid="${name}" data-r="${r}" data-c="${c}" x="${x}" y="${y}" ` +
                 `width="${size}" height="${size}" fill="${d.fill}" stroke="#777" stroke-width="0.5"/>`);
      if (written(d, size)) {
        parts.push(`<text x="${x + size / 2}" y="${y + size / 2}" font-size="${font}" text-anchor="middle" ` +
                   `dominant-baseline="central" fill="${ink(d.fill)}" pointer-events="none">${d.text}</text>`);
      }
    }
  }
  return parts.join("");
}

// a large grid painted on a <canvas> under the panel's SVG (hundreds of SVG cells cost the browser a frame to lay out
// and paint; one canvas costs little). The SVG keeps one transparent cover rect over the grid (data-grid, data-size:
// cellEvents finds the cell under the pointer from it) and whatever the explorer draws over the cells (outlines).
// Returns the cover's markup, for the SVG. cell(r, c) -> {fill, text} as for gridMarkup.
function canvasGrid(p, rows, cols, size, cell, { x0 = 2, y0 = 2, name = "" } = {}) {
  if (!p.canvas) {
    const wrap = h("div", { class: "tconv-stack" });
    p.fig.insertBefore(wrap, p.svg);
    p.canvas = h("canvas", { "aria-hidden": "true" }, wrap);
    wrap.appendChild(p.svg);
  }
  const ratio = window.devicePixelRatio || 1, w = cols * size + 2 * x0, hgt = rows * size + 2 * y0;
  const cv = p.canvas;
  cv.width = Math.round(w * ratio); cv.height = Math.round(hgt * ratio);
  cv.style.width = `${w}px`; cv.style.height = `${hgt}px`;
  const g = cv.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, hgt);
  const font = cellFont(size);
  g.font = `${font}px system-ui, sans-serif`; g.textAlign = "center"; g.textBaseline = "middle";
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const d = cell(r, c);
      g.fillStyle = d.fill;
      g.fillRect(x0 + c * size, y0 + r * size, size, size);
      if (written(d, size)) {
        g.fillStyle = ink(d.fill);
        g.fillText(d.text, x0 + (c + 0.5) * size, y0 + (r + 0.5) * size);
      }
    }
  }
  g.strokeStyle = "#777"; g.lineWidth = 0.5;
  g.beginPath();
  for (let r = 0; r <= rows; r++) { g.moveTo(x0, y0 + r * size); g.lineTo(x0 + cols * size, y0 + r * size); }
  for (let c = 0; c <= cols; c++) { g.moveTo(x0 + c * size, y0); g.lineTo(x0 + c * size, y0 + rows * size); }
  g.stroke();
  p.svg.setAttribute("width", w); p.svg.setAttribute("height", hgt);
  return `<rect class="cover" data-grid="${name}" data-size="${size}" data-rows="${rows}" data-cols="${cols}" ` +
         `x="${x0}" y="${y0}" width="${cols * size}" height="${rows * size}" fill="transparent"/>`;
}

// outlines (the highlight: a thick dark-red frame) around cells [[r, c], ...] of a grid drawn at x0, y0
function outlines(cells, size, colour, { x0 = 0, y0 = 0, width = 3, dash = "" } = {}) {
  return cells.map(([r, c]) => `<rect x="${x0 + c * size + 1.5}" y="${y0 + r * size + 1.5}" width="${size - 3}" ` +
    `height="${size - 3}" fill="none" stroke="${colour}" stroke-width="${width}" ${dash ? `stroke-dasharray="${dash}"` : ""} ` +
    `pointer-events="none"/>`).join("");
}

// one panel: a titled, focusable SVG whose cells answer hover and the arrow keys (a cursor moves over the cells)
function panel(parent, title, label) {
  const fig = h("figure", { class: "tconv-panel" }, parent);
  h("figcaption", {}, fig, title);
  const svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("role", "img");
  svg.setAttribute("tabindex", "0");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("focusable", "true");
  fig.appendChild(svg);
  return { fig, svg, caption: fig.querySelector("figcaption") };
}

// hover and keyboard focus over the cells of `svg` (cells with data-grid = grid): onCell(r, c) or onCell(null)
function cellEvents(svg, grid, dims, onCell) {
  let cursor = null;
  svg.addEventListener("mouseover", (ev) => {
    const t = ev.target;
    if (t.dataset && t.dataset.grid === grid && t.dataset.r !== undefined) onCell(Number(t.dataset.r), Number(t.dataset.c));
  });
  svg.addEventListener("mousemove", (ev) => {        // a canvasGrid's cover: the cell under the pointer
    const t = ev.target;
    if (!t.dataset || t.dataset.grid !== grid || t.dataset.size === undefined) return;
    const b = t.getBoundingClientRect(), size = Number(t.dataset.size);
    const r = Math.floor((ev.clientY - b.top) / size), c = Math.floor((ev.clientX - b.left) / size);
    onCell(Math.max(0, Math.min(Number(t.dataset.rows) - 1, r)), Math.max(0, Math.min(Number(t.dataset.cols) - 1, c)));
  });
  svg.addEventListener("mouseleave", () => onCell(null));
  svg.addEventListener("focus", () => { cursor = cursor || [0, 0]; onCell(...cursor); });
  svg.addEventListener("blur", () => onCell(null));
  svg.addEventListener("keydown", (ev) => {
    const [rows, cols] = dims();
    if (!rows || !cols) return;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (!(ev.key in moves)) return;
    ev.preventDefault();
    ev.stopPropagation();                 // the notebook's own arrow keys stay out of the picture
    cursor = cursor || [0, 0];
    cursor = [Math.max(0, Math.min(rows - 1, cursor[0] + moves[ev.key][0])),
              Math.max(0, Math.min(cols - 1, cursor[1] + moves[ev.key][1]))];
    onCell(...cursor);
  });
}

// a stepper's play button, ahead of the controls: steps the trait `step` every 700 ms up to meta.n - 1, from the
// first stamp again when it stands at the last. before(bar) goes in explorer()'s spec, attach(ui) once it exists,
// and stop() is the render's cleanup.
function player(model) {
  let playing = null, button = null, meta = () => ({});
  function toggle(force) {
    const on = force === undefined ? !playing : force;
    if (playing) { clearInterval(playing); playing = null; }
    if (button) button.textContent = on ? "pause" : "play";
    if (!on) return;
    if (!meta().n) return;
    if (model.get("step") >= meta().n - 1) { model.set("step", 0); model.save_changes(); }
    playing = setInterval(() => {
      const s = model.get("step");
      if (s >= meta().n - 1) { toggle(false); return; }
      model.set("step", s + 1);
      model.save_changes();
    }, 700);
  }
  return {
    before(bar) {
      button = h("button", { type: "button", class: "tconv-play" }, bar, "play");
      button.addEventListener("click", () => toggle());
      return button;
    },
    attach(ui) { meta = ui.meta; },
    stop: () => toggle(false),
  };
}

const STYLE = `
.tconv-explorer { font: 13px/1.4 system-ui, sans-serif; color: #111; background: #fff; padding: 4px 0;
                  contain: content; }
.tconv-explorer .tconv-controls { display: flex; flex-wrap: wrap; gap: 6px 18px; margin-bottom: 6px; }
.tconv-explorer label { display: inline-flex; align-items: center; gap: 6px; }
.tconv-explorer input[type=number] { width: 4.5em; font: inherit; padding: 2px 4px; }
.tconv-explorer select, .tconv-explorer button { font: inherit; padding: 2px 8px; }
.tconv-explorer .tconv-panels { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.tconv-explorer figure { margin: 0; }
.tconv-explorer .tconv-stack { position: relative; }
.tconv-explorer .tconv-stack canvas { display: block; }
.tconv-explorer .tconv-stack svg { position: absolute; left: 0; top: 0; }
.tconv-explorer figcaption { font-weight: 600; margin-bottom: 2px; }
.tconv-explorer svg:focus { outline: 3px solid #1a4fd0; outline-offset: 2px; }
.tconv-explorer .tconv-description { margin: 6px 0 2px; white-space: pre-line; }
.tconv-explorer .tconv-readout { min-height: 1.4em; margin: 2px 0; font-family: ui-monospace, monospace; }
.tconv-explorer .tconv-error { color: var(--tconv-highlight); font-weight: 600; }
`;

// the frame of an explorer: controls (labelled native inputs in the order given by the kernel), the panels, the
// description (aria-live) and the readout (aria-live). spec.local: names the page handles alone (drawn at once from
// what was sent); spec.draw(): draws from the model; spec.before(bar): adds page-only controls ahead of the others.
function explorer({ model, el }, spec) {
  // a named landmark: a screen reader lists the explorers and jumps between them
  const root = h("div", { class: "tconv-explorer", role: "region", "aria-label": model.get("title") || "explorer" }, el);
  const params = model.get("params") || [];
  let shown = null;                 // the answer drawn ahead of the kernel's (null: the model's own)
  let version = 0;                  // one more whenever what ui.view reads changes
  const view = { get: (name) => (shown && name in shown ? shown[name] : model.get(name)) };
  const wanted = () => JSON.stringify(params.map((n) => model.get(n)));
  if (!document.getElementById("tconv-explorer-style")) {
    h("style", { id: "tconv-explorer-style" }, document.head, STYLE);
  }
  root.dataset.pending = "0";
  root.dataset.drawn = "0";
  root.style.setProperty("--tconv-highlight", model.get("palette").highlight);
  // JupyterLab's command-mode keys (ArrowUp/Down move between cells) must not take the explorer's arrow keys: a
  // <select> and a focused picture are not text inputs, which Lumino would leave alone anyway
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const id = `tconv-${Math.random().toString(36).slice(2, 10)}`;
  const bar = h("div", { class: "tconv-controls" }, root);
  const inputs = {};
  const before = spec.before ? spec.before(bar) : null;
  for (const c of model.get("controls")) {
    const label = h("label", { for: `${id}-${c.name}` }, bar);
    h("span", {}, label, c.label);
    let input;
    if (c.kind === "select") {
      input = h("select", { id: `${id}-${c.name}`, name: c.name }, label);
      for (const o of c.options) h("option", { value: o }, input, o);
      // the up and down keys move through the options in every front end (a closed <select> leaves them to the
      // platform, and JupyterLab's notebook takes them to move between cells)
      const sel = input;
      sel.addEventListener("keydown", (ev) => {
        if ((ev.key !== "ArrowUp" && ev.key !== "ArrowDown") || ev.altKey) return;
        ev.preventDefault();
        ev.stopPropagation();
        const i = Math.max(0, Math.min(sel.options.length - 1, sel.selectedIndex + (ev.key === "ArrowDown" ? 1 : -1)));
        if (i !== sel.selectedIndex) { sel.selectedIndex = i; sel.dispatchEvent(new Event("change")); }
      });
    } else {
      input = h("input", { id: `${id}-${c.name}`, name: c.name, type: "number", step: "1", min: c.min, max: c.max },
                label);
    }
    input.value = model.get(c.name);
    input.addEventListener(c.kind === "select" ? "change" : "input", () => {
      let v = input.value;
      if (c.kind !== "select") {
        if (v === "" || Number.isNaN(Number(v))) return;
        v = Math.max(Number(input.min), Math.min(Number(input.max), Math.round(Number(v))));
      }
      if (v === model.get(c.name)) return;
      const local = (spec.local || []).includes(c.name);
      model.set(c.name, v);         // a local control redraws from its change event, at once
      if (!local && !drawAhead()) root.dataset.pending = "1";
      model.save_changes();
    });
    inputs[c.name] = input;
  }
  const panels = h("div", { class: "tconv-panels" }, root);
  const description = h("p", { class: "tconv-description", "aria-live": "polite" }, root);
  const readout = h("p", { class: "tconv-readout", "aria-live": "polite", "aria-atomic": "true" }, root);

  function settle() {
    const t0 = performance.now();
    spec.draw();
    root.dataset.drawMs = (performance.now() - t0).toFixed(1);
    root.dataset.drawn = String(Number(root.dataset.drawn) + 1);
    root.dataset.settledAt = String(performance.now());
    // the frame that shows the drawing: a task queued from its animation-frame callback runs after that paint
    requestAnimationFrame(() => setTimeout(() => { root.dataset.paintedAt = String(performance.now()); }, 0));
  }
  function syncInputs() {
    for (const c of view.get("controls")) {
      const input = inputs[c.name];
      if (!input) continue;
      if (c.kind !== "select") {
        input.min = c.min; input.max = c.max; input.disabled = c.min === c.max;
        // a page-only control past its new bound (the matrix explorer's pixel): the kernel moves it too
        if ((spec.local || []).includes(c.name) && model.get(c.name) > c.max) model.set(c.name, c.max);
      }
      if (String(input.value) !== String(model.get(c.name))) input.value = model.get(c.name);
    }
  }
  // draw the wanted values at once if their answer came ahead; true when it did
  function drawAhead() {
    const a = model.get("ahead"), hit = a && a.answers && a.answers[wanted()];
    if (!hit) return false;
    shown = hit; version++;
    root.dataset.ahead = "1";
    syncInputs(); settle(); root.dataset.pending = "0";
    return true;
  }
  model.on("change:rev", () => {
    root.dataset.receivedAt = String(performance.now());
    root.dataset.computeMs = String(model.get("meta").compute_ms ?? "");
    const key = model.get("meta").key;
    if (key !== undefined && key !== wanted()) return;    // an answer the page has moved past: the next one follows
    const confirmed = shown && shown.meta && shown.meta.key === key;
    shown = null;                                         // the model holds that answer now
    if (!confirmed) { version++; root.dataset.ahead = "0"; syncInputs(); settle(); }
    root.dataset.pending = "0";
  });
  model.on("change:ahead", () => { if (root.dataset.pending === "1") drawAhead(); });
  model.on("change:controls", syncInputs);
  for (const name of spec.local || []) {
    model.on(`change:${name}`, () => { syncInputs(); settle(); });
  }
  return { root, bar, inputs, panels, description, readout, settle, before, view, version: () => version,
           error: () => view.get("error"), meta: () => view.get("meta"), palette: () => model.get("palette") };
}
