// The 1-D stepper (notebook 09): x, w, every stamp x[i]·w on its own row of the uncropped canvas, their running
// sum (the output framed) and how many stamps reach each sample. Sent by the kernel: x, k, stamps (n x canvas, from
// tconv_edu.steps), counts (canvas) and links (input sample, kernel tap, canvas sample) of every product (from
// tconv_edu.matrix.conv_matrix). Stepping the stamp and playing move within these arrays: no kernel message.

function render({ model, el }) {
  const play = player(model);
  const ui = explorer({ model, el }, { local: ["step"], before: play.before, draw });
  play.attach(ui);
  const px = panel(ui.panels, "input x", "input x");
  const pk = panel(ui.panels, "kernel w", "kernel w");
  const ps = panel(ui.panels, "stamps, one row each", "stamps x[i]·w, one row each");
  const py = panel(ui.panels, "running sum", "running sum of the stamps");
  const pc = panel(ui.panels, "stamps per sample", "how many stamps reach each sample");
  let hover = null;                 // ["x" | "w" | "s" | "y" | "c", r, c]

  let cache = { rev: -1, d: null };
  function current() {
    if (cache.rev !== ui.version()) {
      const m = ui.meta();
      cache = { rev: ui.version(), d: m.n ? { m, x: f64(ui.view, "x"), k: f64(ui.view, "k"),
        stamps: f64(ui.view, "stamps"), counts: i32(ui.view, "counts"), links: i32(ui.view, "links") } : null };
    }
    return cache.d;
  }
  // the products on canvas sample j: [[input i, tap a], ...]
  function productsAt(d, j) {
    const out = [];
    for (let q = 0; q < d.links.length; q += 3) if (d.links[q + 2] === j) out.push([d.links[q], d.links[q + 1]]);
    return out;
  }
  function total(d, upto, j) {
    let v = 0;
    for (let t = 0; t <= upto; t++) v += d.stamps[t * d.m.canvas + j];
    return v;
  }
  const yname = (m, j) => (j - m.offset >= 0 && j - m.offset < m.out) ? `y[${j - m.offset}]`
    : `canvas[${j}] (cropped by padding)`;

  function readout(d, which, r, c) {
    const m = d.m;
    if (which === "y" || which === "c") {
      const pr = productsAt(d, c);
      if (!pr.length) return `${yname(m, c)} = 0 (no stamp reaches it)`;
      const sum = `${pr.map(([i, a]) => `x[${i}]·w[${a}]`).join(" + ")} = ${fmt(total(d, m.n - 1, c))}`;
      const many = `${pr.length} stamp${pr.length === 1 ? "" : "s"}`;
      return which === "y" ? `${yname(m, c)} = ${sum} (${many})`
        : `${yname(m, c)}: ${many} overlap it (${pr.map(([i]) => `x[${i}]`).join(", ")}): ${sum}`;
    }
    if (which === "x" || which === "s") {
      const i = which === "x" ? c : r;
      const hits = [];
      for (let q = 0; q < d.links.length; q += 3) if (d.links[q] === i) hits.push(d.links[q + 2]);
      if (which === "s") {
        const at = productsAt(d, c).find(([ii]) => ii === i);
        return at ? `x[${i}]·w[${at[1]}] = ${fmt(d.x[i])}·${fmt(d.k[at[1]])} = ${fmt(d.stamps[i * m.canvas + c])} ` +
          `lands on ${yname(m, c)}` : `stamp ${i + 1} does not reach ${yname(m, c)}`;
      }
      return `x[${i}] = ${fmt(d.x[i])} stamps ${fmt(d.x[i])}·w onto ` + hits.map((j) => yname(m, j)).join(", ");
    }
    const hits = [];
    for (let q = 0; q < d.links.length; q += 3) {
      if (d.links[q + 1] === c) hits.push(`x[${d.links[q]}] into ${yname(m, d.links[q + 2])}`);
    }
    return `w[${c}] = ${fmt(d.k[c])} multiplies ` + hits.join(", ");
  }

  function draw() {
    const d = current();
    if (ui.error()) {
      for (const p of [px, pk, ps, py, pc]) p.svg.innerHTML = "";
      ui.description.textContent = `Not allowed: ${ui.error()}`;
      ui.description.classList.add("tconv-error");
      ui.readout.textContent = "";
      return;
    }
    ui.description.classList.remove("tconv-error");
    if (!d) return;
    const pal = ui.palette(), m = d.m, n = m.n, L = m.canvas, step = Math.min(model.get("step"), n - 1);
    const big = 40, cs = Math.max(14, Math.min(36, Math.floor(560 / L)));
    const absmax = (a) => { let v = 0; for (let i = 0; i < a.length; i++) v = Math.max(v, Math.abs(a[i])); return v; };
    const xmax = absmax(d.x), kmax = absmax(d.k), smax = absmax(d.stamps);
    const sums = new Float64Array(L);
    for (let j = 0; j < L; j++) sums[j] = total(d, step, j);
    let ymax = 0;
    for (let j = 0; j < L; j++) ymax = Math.max(ymax, Math.abs(total(d, n - 1, j)));
    let cmax = 0;
    for (const v of d.counts) cmax = Math.max(cmax, v);
    // what to outline: the hovered cell's sources, else the current stamp
    let xo = [[0, step]], ko = [], so = [], yo = [], co = [];
    for (let q = 0; q < d.links.length; q += 3) if (d.links[q] === step) { so.push([step, d.links[q + 2]]); yo.push([0, d.links[q + 2]]); }
    let text = "";
    if (hover) {
      const [which, r, c] = hover;
      text = readout(d, which, r, c);
      xo = []; ko = []; so = []; yo = []; co = [];
      if (which === "y" || which === "c") {
        for (const [i, a] of productsAt(d, c)) { xo.push([0, i]); ko.push([0, a]); so.push([i, c]); }
        yo = [[0, c]]; co = [[0, c]];
      } else if (which === "x" || which === "s") {
        const i = which === "x" ? c : r;
        xo = [[0, i]];
        for (let q = 0; q < d.links.length; q += 3) {
          if (d.links[q] !== i) continue;
          so.push([i, d.links[q + 2]]); yo.push([0, d.links[q + 2]]);
          if (which === "s" && d.links[q + 2] === c) ko.push([0, d.links[q + 1]]);
        }
      } else {
        ko = [[0, c]];
        for (let q = 0; q < d.links.length; q += 3) {
          if (d.links[q + 1] === c) { xo.push([0, d.links[q]]); so.push([d.links[q], d.links[q + 2]]); yo.push([0, d.links[q + 2]]); }
        }
      }
    }
    const frame = (rows) => `<rect x="${2 + m.offset * cs}" y="2" width="${m.out * cs}" height="${rows * cs}" ` +
      `fill="none" stroke="${pal.output}" stroke-width="3" stroke-dasharray="6 3" pointer-events="none"/>`;
    let crossed = "";
    for (let j = 0; j < L; j++) {
      if (j >= m.offset && j < m.offset + m.out) continue;
      const x = 2 + j * cs;
      crossed += `<path d="M${x} 2L${x + cs} ${2 + cs}M${x + cs} 2L${x} ${2 + cs}" stroke="#9a9a9a" stroke-width="1" pointer-events="none"/>`;
    }
    px.svg.setAttribute("width", d.x.length * big + 4); px.svg.setAttribute("height", big + 4);
    px.svg.innerHTML = gridMarkup(1, d.x.length, big, (r, c) => ({ fill: shade(pal, "input", d.x[c], xmax),
      text: fmt(d.x[c]) }), { name: "x", x0: 2, y0: 2 }) + outlines(xo, big, pal.highlight, { x0: 2, y0: 2 });
    pk.svg.setAttribute("width", d.k.length * big + 4); pk.svg.setAttribute("height", big + 4);
    pk.svg.innerHTML = gridMarkup(1, d.k.length, big, (r, c) => ({ fill: shade(pal, "kernel", d.k[c], kmax),
      text: fmt(d.k[c]) }), { name: "w", x0: 2, y0: 2 }) + outlines(ko, big, pal.highlight, { x0: 2, y0: 2 });
    // a stamp row shows its products where they land; rows after the current stamp are left blank
    const reach = new Set();
    for (let q = 0; q < d.links.length; q += 3) reach.add(d.links[q] * L + d.links[q + 2]);
    ps.svg.setAttribute("width", L * cs + 4); ps.svg.setAttribute("height", n * cs + 4);
    ps.svg.innerHTML = gridMarkup(n, L, cs, (r, c) => {
      const on = r <= step && reach.has(r * L + c);
      return on ? { fill: shade(pal, "output", d.stamps[r * L + c], smax), text: fmt(d.stamps[r * L + c]) }
        : { fill: "#fff", text: null };
    }, { name: "s", x0: 2, y0: 2 }) + frame(n) + outlines(so, cs, pal.highlight, { x0: 2, y0: 2 });
    py.svg.setAttribute("width", L * cs + 4); py.svg.setAttribute("height", cs + 4);
    py.svg.innerHTML = gridMarkup(1, L, cs, (r, c) => ({ fill: shade(pal, "output", sums[c], ymax), text: fmt(sums[c]) }),
      { name: "y", x0: 2, y0: 2 }) + crossed + frame(1) + outlines(yo, cs, pal.highlight, { x0: 2, y0: 2 });
    pc.svg.setAttribute("width", L * cs + 4); pc.svg.setAttribute("height", cs + 4);
    pc.svg.innerHTML = gridMarkup(1, L, cs, (r, c) => ({ fill: mix(pal.output, cmax ? 0.15 + 0.6 * d.counts[c] / cmax : 0),
      text: String(d.counts[c]) }), { name: "c", x0: 2, y0: 2 }) + frame(1) + outlines(co, cs, pal.highlight, { x0: 2, y0: 2 });
    ps.caption.textContent = `stamps 1 to ${step + 1} of ${n}, one row each (output ${m.out} samples, dashed)`;
    py.caption.textContent = `running sum after stamp ${step + 1} of ${n}`;
    px.svg.setAttribute("aria-label", `input x, ${d.x.length} samples: ${Array.from(d.x, fmt).join(", ")}`);
    pk.svg.setAttribute("aria-label", `kernel w, ${d.k.length} taps: ${Array.from(d.k, fmt).join(", ")}`);
    ps.svg.setAttribute("aria-label", `stamps 1 to ${step + 1}, one row each, on the ${L}-sample canvas; ` +
                        "arrow keys move the readout over them");
    py.svg.setAttribute("aria-label", `running sum after stamp ${step + 1}: ${Array.from(sums, fmt).join(", ")}`);
    pc.svg.setAttribute("aria-label", `stamps per sample: ${Array.from(d.counts).join(", ")}`);
    const desc = `${m.steps[step]}; ${m.lines.join("; ")}`;
    if (ui.description.textContent !== desc) ui.description.textContent = desc;
    ui.readout.textContent = text;
  }

  for (const [p, which] of [[px, "x"], [pk, "w"], [ps, "s"], [py, "y"], [pc, "c"]]) {
    cellEvents(p.svg, which, () => {
      const d = current();
      if (!d) return [0, 0];
      return which === "x" ? [1, d.x.length] : which === "w" ? [1, d.k.length] : which === "s" ? [d.m.n, d.m.canvas]
        : [1, d.m.canvas];
    }, (r, c) => {
      const next = r === null ? null : [which, r, c];
      if (String(next) === String(hover)) return;
      hover = next;
      draw();
    });
  }
  ui.settle();
  return play.stop;
}

export default { render };
