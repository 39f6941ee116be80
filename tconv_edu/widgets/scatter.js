// The scatter stepper: x, w and the running sum of the stamps on the uncropped canvas (the output framed).
// Sent by the kernel: x, k, totals (the running sum after each stamp, n x Hc x Wc, from tconv_edu.steps) and links
// (input pixel, kernel tap, canvas pixel) of every product (from tconv_edu.matrix.conv_matrix). Stepping the stamp
// and playing move within these arrays: no kernel message.

function render({ model, el }) {
  const play = player(model);
  const ui = explorer({ model, el }, { local: ["step"], before: play.before, draw });
  play.attach(ui);
  const px = panel(ui.panels, "input x", "input x");
  const pk = panel(ui.panels, "kernel w", "kernel w");
  const py = panel(ui.panels, "running sum", "running sum of the stamps");
  let hover = null;                 // ["x" | "w" | "y", r, c]

  function data() {
    const m = ui.meta();
    if (!m.n) return null;
    return { m, x: f64(ui.view, "x"), k: f64(ui.view, "k"), totals: f64(ui.view, "totals"), links: i32(ui.view, "links") };
  }
  let cache = { rev: -1, d: null };
  function current() {
    if (cache.rev !== ui.version()) cache = { rev: ui.version(), d: data() };
    return cache.d;
  }

  // the products of canvas pixel (r, c): [[input q, tap t], ...] in the order sent (input pixels row-major)
  function productsAt(d, r, c) {
    const at = r * d.m.canvas[1] + c, out = [];
    for (let i = 0; i < d.links.length; i += 3) if (d.links[i + 2] === at) out.push([d.links[i], d.links[i + 1]]);
    return out;
  }
  const ij = (q, w) => [Math.floor(q / w), q % w];
  const name = (v, q, w) => { const [a, b] = ij(q, w); return `${v}[${a},${b}]`; };

  function readout(d, which, r, c) {
    const m = d.m, [H, W] = m.xs, [kh, kw] = m.ks, [Hc, Wc] = m.canvas, [t, l] = m.offset, [Ho, Wo] = m.out;
    const final = (m.n - 1) * Hc * Wc;
    const yname = (cr, cc) => (cr - t >= 0 && cr - t < Ho && cc - l >= 0 && cc - l < Wo)
      ? `y[${cr - t},${cc - l}]` : `canvas[${cr},${cc}] (cropped by padding)`;
    if (which === "y") {
      const terms = productsAt(d, r, c).map(([q, tap]) => `${name("x", q, W)}·${name("w", tap, kw)}`);
      return `${yname(r, c)} = ${terms.length ? terms.join(" + ") : "0 (no stamp reaches it)"}` +
             (terms.length ? ` = ${fmt(d.totals[final + r * Wc + c])}` : "");
    }
    if (which === "x") {
      const q = r * W + c, hits = [];
      for (let i = 0; i < d.links.length; i += 3) if (d.links[i] === q) hits.push(ij(d.links[i + 2], Wc));
      return `x[${r},${c}] = ${fmt(d.x[q])} stamps ${fmt(d.x[q])}·w onto ` + hits.map(([a, b]) => yname(a, b)).join(", ");
    }
    const tap = r * kw + c, hits = [];
    for (let i = 0; i < d.links.length; i += 3) {
      if (d.links[i + 1] === tap) hits.push(`${name("x", d.links[i], W)} into ${yname(...ij(d.links[i + 2], Wc))}`);
    }
    return `w[${r},${c}] = ${fmt(d.k[tap])} multiplies ` + hits.join(", ");
  }

  function draw() {
    const d = current();
    if (ui.error()) {
      for (const p of [px, pk, py]) p.svg.innerHTML = "";
      ui.description.textContent = `Not allowed: ${ui.error()}`;
      ui.description.classList.add("tconv-error");
      ui.readout.textContent = "";
      return;
    }
    ui.description.classList.remove("tconv-error");
    if (!d) return;
    const pal = ui.palette(), m = d.m, step = Math.min(model.get("step"), m.n - 1);
    const [H, W] = m.xs, [kh, kw] = m.ks, [Hc, Wc] = m.canvas, [t, l] = m.offset, [Ho, Wo] = m.out;
    const [si, sj] = ij(step, W);
    const big = 40, cs = Math.max(12, Math.min(40, Math.floor(460 / Math.max(Hc, Wc))));
    const absmax = (a, from = 0, to = a.length) => { let v = 0; for (let i = from; i < to; i++) v = Math.max(v, Math.abs(a[i])); return v; };
    const xmax = absmax(d.x), kmax = absmax(d.k), ymax = absmax(d.totals);
    const total = d.totals.subarray(step * Hc * Wc, (step + 1) * Hc * Wc);
    // which cells to outline: the hovered cell's sources, else the current stamp
    let xo = [[si, sj]], ko = [], yo = [];
    const stamp = [];
    for (let i = 0; i < d.links.length; i += 3) if (d.links[i] === step) stamp.push(ij(d.links[i + 2], Wc));
    yo = stamp;
    let text = "";
    if (hover) {
      const [which, r, c] = hover;
      text = readout(d, which, r, c);
      if (which === "y") {
        const pr = productsAt(d, r, c);
        xo = pr.map(([q]) => ij(q, W)); ko = pr.map(([, tap]) => ij(tap, kw)); yo = [[r, c]];
      } else if (which === "x") {
        xo = [[r, c]]; yo = [];
        for (let i = 0; i < d.links.length; i += 3) if (d.links[i] === r * W + c) yo.push(ij(d.links[i + 2], Wc));
      } else {
        ko = [[r, c]]; xo = []; yo = [];
        for (let i = 0; i < d.links.length; i += 3) {
          if (d.links[i + 1] === r * kw + c) { xo.push(ij(d.links[i], W)); yo.push(ij(d.links[i + 2], Wc)); }
        }
      }
    }
    px.svg.setAttribute("width", W * big + 4); px.svg.setAttribute("height", H * big + 4);
    px.svg.innerHTML = gridMarkup(H, W, big, (r, c) => ({ fill: shade(pal, "input", d.x[r * W + c], xmax),
      text: fmt(d.x[r * W + c]) }), { name: "x", x0: 2, y0: 2 }) + outlines(xo, big, pal.highlight, { x0: 2, y0: 2 });
    pk.svg.setAttribute("width", kw * big + 4); pk.svg.setAttribute("height", kh * big + 4);
    pk.svg.innerHTML = gridMarkup(kh, kw, big, (r, c) => ({ fill: shade(pal, "kernel", d.k[r * kw + c], kmax),
      text: fmt(d.k[r * kw + c]) }), { name: "w", x0: 2, y0: 2 }) + outlines(ko, big, pal.highlight, { x0: 2, y0: 2 });
    const inside = (r, c) => r >= t && r < t + Ho && c >= l && c < l + Wo;
    py.svg.setAttribute("width", Wc * cs + 4); py.svg.setAttribute("height", Hc * cs + 4);
    // cells padding crops: the same shading, crossed (the palette's crop grey would sit beside the kernel's gold)
    let crossed = "";
    for (let r = 0; r < Hc; r++) for (let c = 0; c < Wc; c++) {
      if (inside(r, c)) continue;
      const x = 2 + c * cs, y = 2 + r * cs;
      crossed += `<path d="M${x} ${y}L${x + cs} ${y + cs}M${x + cs} ${y}L${x} ${y + cs}" stroke="#9a9a9a" stroke-width="1" pointer-events="none"/>`;
    }
    py.svg.innerHTML = gridMarkup(Hc, Wc, cs, (r, c) => ({
      fill: shade(pal, "output", total[r * Wc + c], ymax),
      text: fmt(total[r * Wc + c]) }), { name: "y", x0: 2, y0: 2 }) + crossed +
      `<rect x="${2 + l * cs}" y="${2 + t * cs}" width="${Wo * cs}" height="${Ho * cs}" fill="none" ` +
      `stroke="${pal.output}" stroke-width="3" stroke-dasharray="6 3" pointer-events="none"/>` +
      outlines(yo, cs, pal.highlight, { x0: 2, y0: 2 });
    py.caption.textContent = `running sum after stamp ${step + 1} of ${m.n} (output ${Ho} x ${Wo}, dashed)`;
    px.svg.setAttribute("aria-label", `input x, ${H} x ${W}: ${Array.from(d.x, fmt).join(", ")}`);
    pk.svg.setAttribute("aria-label", `kernel w, ${kh} x ${kw}: ${Array.from(d.k, fmt).join(", ")}`);
    py.svg.setAttribute("aria-label", `running sum after stamp ${step + 1} on the ${Hc} x ${Wc} canvas; ` +
                        "arrow keys move the readout over its pixels");
    const desc = `${m.steps[step]}; ${m.lines.join("; ")}`;
    if (ui.description.textContent !== desc) ui.description.textContent = desc;
    ui.readout.textContent = text;
  }

  for (const [p, which] of [[px, "x"], [pk, "w"], [py, "y"]]) {
    cellEvents(p.svg, which, () => {
      const d = current();
      if (!d) return [0, 0];
      return which === "x" ? d.m.xs : which === "w" ? d.m.ks : d.m.canvas;
    }, (r, c) => {
      const next = r === null ? null : [which, r, c];
      if (String(next) === String(hover)) return;      // the same cell: nothing to redraw
      hover = next;
      draw();
    });
  }
  ui.settle();
  return play.stop;
}

export default { render };
