// The matrix explorer: the transposed conv as Cᵀ x. Sent by the kernel: entries (x pixel q, output pixel p, tap t)
// of every non-zero of C (tconv_edu.matrix.conv_matrix with the kernel 1 .. k*k). Picking the output pixel (row,
// column) moves within these entries: no kernel message. Hover an entry of C (or focus C and use the arrow keys):
// its input pixel, output pixel and kernel tap.

function render({ model, el }) {
  const ui = explorer({ model, el }, { local: ["row", "col"], draw });
  const px = panel(ui.panels, "input x: pixel numbers", "input x");
  const pc = panel(ui.panels, "C", "the matrix C");
  const py = panel(ui.panels, "output: pixel numbers", "the output");
  let hover = null;           // ["x" | "C" | "y", r, c]
  const base = { rev: -1 };   // the kernel answer C was last drawn from

  function taps(entries, p) {  // [[q, t], ...] of output pixel p, by input pixel
    const out = [];
    for (let i = 0; i < entries.length; i += 3) if (entries[i + 1] === p) out.push([entries[i], entries[i + 2]]);
    return out.sort((a, b) => a[0] - b[0]);
  }

  function draw() {
    const err = ui.error();
    ui.description.classList.toggle("tconv-error", !!err);
    if (err) {
      for (const q of [px, pc, py]) { q.svg.innerHTML = ""; q.svg.setAttribute("width", 0); q.svg.setAttribute("height", 0); }
      if (pc.canvas) { pc.canvas.width = pc.canvas.height = 0; pc.canvas.style.width = pc.canvas.style.height = "0px"; }
      base.rev = -1;
      ui.description.textContent = `Not allowed: ${err}`; ui.readout.textContent = ""; return;
    }
    const m = ui.meta(), pal = ui.palette();
    if (!m.out) return;
    const e = i32(ui.view, "entries"), n = m.n, k = m.k, [Ho, Wo] = m.out, rows = n * n, cols = Ho * Wo;
    const r0 = Math.min(model.get("row"), Ho - 1), c0 = Math.min(model.get("col"), Wo - 1), p = r0 * Wo + c0;
    const feeds = taps(e, p);
    if (base.denseRev !== ui.version()) {
      base.dense = new Int32Array(rows * cols).fill(-1);
      for (let i = 0; i < e.length; i += 3) base.dense[e[i] * cols + e[i + 1]] = e[i + 2];
      base.denseRev = ui.version();
    }
    const dense = base.dense;
    const big = 34, cs = Math.max(6, Math.min(24, Math.floor(640 / cols)));
    // x and y: pixel numbers (x's = rows of C, the output's = columns of C)
    let xo = feeds.map(([q]) => [Math.floor(q / n), q % n]), yo = [[r0, c0]], co = [];
    let text = "";
    if (hover) {
      const [which, r, c] = hover;
      if (which === "C") {
        const t = dense[r * cols + c];
        const xi = `x[${Math.floor(r / n)},${r % n}]`, yi = `y[${Math.floor(c / Wo)},${c % Wo}]`;
        text = t < 0 ? `Cᵀ[${c},${r}] = C[${r},${c}] = 0: input pixel ${xi} does not reach output pixel ${yi}`
          : `Cᵀ[${c},${r}] = C[${r},${c}] = w[${Math.floor(t / k)},${t % k}] = ${t + 1}: input pixel ${xi}, ` +
            `output pixel ${yi}, kernel tap w[${Math.floor(t / k)},${t % k}]`;
        xo = [[Math.floor(r / n), r % n]]; yo = [[Math.floor(c / Wo), c % Wo]]; co = [[r, c]];
      } else if (which === "x") {
        const q = r * n + c, reach = [];
        for (let i = 0; i < e.length; i += 3) if (e[i] === q) reach.push(e[i + 1]);
        reach.sort((a, b) => a - b);
        text = `x[${r},${c}] is row ${q} of C (column ${q} of Cᵀ): it reaches ` +
               (reach.map((o) => `y[${Math.floor(o / Wo)},${o % Wo}]`).join(", ") || "no output pixel");
        xo = [[r, c]]; yo = reach.map((o) => [Math.floor(o / Wo), o % Wo]);
      } else {
        const f = taps(e, r * Wo + c);
        text = `y[${r},${c}] is column ${r * Wo + c} of C: ` +
               (f.map(([q, t]) => `x[${Math.floor(q / n)},${q % n}]·w[${Math.floor(t / k)},${t % k}]`).join(" + ") || "0");
        xo = f.map(([q]) => [Math.floor(q / n), q % n]); yo = [[r, c]];
      }
    }
    px.svg.setAttribute("width", n * big + 4); px.svg.setAttribute("height", n * big + 4);
    px.svg.innerHTML = gridMarkup(n, n, big, (r, c) => ({ fill: mix(pal.input, 0.35), text: String(r * n + c) }),
                                  { name: "x", x0: 2, y0: 2 }) + outlines(xo, big, pal.highlight, { x0: 2, y0: 2 });
    // C itself changes only with the kernel's answer: redrawn then; the outlines over it at every pick and hover
    if (base.rev !== ui.version()) {
      pc.svg.innerHTML = `<g>${canvasGrid(pc, rows, cols, cs, (r, c) => {
        const t = dense[r * cols + c];
        return { fill: t < 0 ? "#ffffff" : mix(pal.kernel, 0.35 + 0.65 * (t + 1) / (k * k)), text: t < 0 ? null : String(t + 1) };
      }, { name: "C" })}</g><g></g>`;
      base.rev = ui.version();
    }
    pc.svg.lastChild.innerHTML =
      `<rect x="${2 + p * cs}" y="2" width="${cs}" height="${rows * cs}" fill="none" stroke="${pal.highlight}" stroke-width="3" pointer-events="none"/>` +
      outlines(co, cs, pal.highlight, { x0: 2, y0: 2, width: 2 });
    const ys = Math.max(22, Math.min(big, Math.floor(300 / Wo)));
    py.svg.setAttribute("width", Wo * ys + 4); py.svg.setAttribute("height", Ho * ys + 4);
    py.svg.innerHTML = gridMarkup(Ho, Wo, ys, (r, c) => ({ fill: mix(pal.output, 0.35), text: String(r * Wo + c) }),
                                  { name: "y", x0: 2, y0: 2 }) + outlines(yo, ys, pal.highlight, { x0: 2, y0: 2 });
    pc.caption.textContent = `C (${rows} x ${cols}): column ${p} = row ${p} of Cᵀ`;
    py.caption.textContent = `output: pixel ${p} = (${r0}, ${c0})`;
    px.svg.setAttribute("aria-label", `input x, ${n} x ${n}, pixels numbered 0 to ${rows - 1}`);
    pc.svg.setAttribute("aria-label", `the matrix C, ${rows} x ${cols}, ${e.length / 3} non-zeros; ` +
                        "arrow keys move the readout over its entries");
    py.svg.setAttribute("aria-label", `output, ${Ho} x ${Wo}, pixels numbered 0 to ${cols - 1}`);
    const terms = feeds.map(([q, t]) => `x[${Math.floor(q / n)},${q % n}]·w[${Math.floor(t / k)},${t % k}]`);
    ui.description.textContent =
      `output pixel (${r0}, ${c0}) of ${Ho} x ${Wo} is column ${p} of C (row ${p} of Cᵀ): ` +
      `${terms.length} non-zero${terms.length !== 1 ? "s" : ""}, so y[${r0},${c0}] = ` +
      `${terms.length ? terms.join(" + ") : "0 (no input pixel reaches it)"}\n` + m.lines.join("\n");
    ui.readout.textContent = text;
  }
  const dims = { x: () => [ui.meta().n, ui.meta().n], C: () => [ui.meta().n ** 2, ui.meta().out[0] * ui.meta().out[1]],
                 y: () => ui.meta().out };
  for (const [q, which] of [[px, "x"], [pc, "C"], [py, "y"]]) {
    cellEvents(q.svg, which, () => (ui.meta().out ? dims[which]() : [0, 0]), (r, c) => {
      const next = r === null ? null : [which, r, c];
      if (String(next) === String(hover)) return;
      hover = next; draw();
    });
  }
  ui.settle();
}

export default { render };
