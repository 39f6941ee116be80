// The output shape explorer: the scatter canvas, cell by cell. Sent by the kernel: roles (bits: 1 kept in the
// output, 2 a stamp's origin, 4 a row or column output_padding adds) and counts (stamps over each pixel, from
// tconv_edu.scatter), on a size x size canvas; the lines of shape_report.

function render({ model, el }) {
  const ui = explorer({ model, el }, { draw });
  const pc = panel(ui.panels, "the scatter canvas", "the scatter canvas");
  let hover = null;

  function draw() {
    const err = ui.error();
    ui.description.classList.toggle("tconv-error", !!err);
    if (err) {
      pc.svg.innerHTML = ""; pc.svg.setAttribute("width", 0); pc.svg.setAttribute("height", 0);
      ui.description.textContent = `Not allowed: ${err}`; ui.readout.textContent = ""; return;
    }
    const m = ui.meta(), pal = ui.palette();
    if (!m.size) return;
    const roles = i32(ui.view, "roles"), counts = i32(ui.view, "counts"), N = m.size, p = m.padding;
    const cs = Math.max(12, Math.min(32, Math.floor(480 / N)));
    const fill = (v) => (v & 2) ? ((v & 1) ? pal.input : mix(pal.input, 0.45)) : (v & 1) ? mix(pal.output, 0.25) : pal.crop;
    let markup = gridMarkup(N, N, cs, (r, c) => ({ fill: fill(roles[r * N + c]), text: null }), { name: "y", x0: 2, y0: 2 });
    // crop: a pattern as well as a colour; output_padding: stripes; the output: a frame
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
      const v = roles[r * N + c], x = 2 + c * cs, y = 2 + r * cs;
      if (!(v & 1)) markup += `<path d="M${x} ${y}L${x + cs} ${y + cs}M${x + cs} ${y}L${x} ${y + cs}" stroke="#9a9a9a" stroke-width="1" pointer-events="none"/>`;
      if (v & 4) markup += `<path d="M${x} ${y + cs}L${x + cs} ${y}" stroke="#555" stroke-width="1.5" pointer-events="none"/>`;
    }
    markup += `<rect x="${2 + p * cs}" y="${2 + p * cs}" width="${m.out * cs}" height="${m.out * cs}" fill="none" ` +
              `stroke="${pal.output}" stroke-width="3" pointer-events="none"/>`;
    let text = "";
    if (hover) {
      const [r, c] = hover, v = roles[r * N + c], n = counts[r * N + c];
      const what = (v & 1) ? `output pixel y[${r - p},${c - p}]` + ((v & 4) ? ", in a row or column output_padding adds (computed, not zeros)" : "")
                           : "cropped by padding";
      text = `canvas[${r},${c}]: ${what}; ${n} stamp${n === 1 ? "" : "s"} overlap it` + ((v & 2) ? "; a stamp starts here" : "");
      markup += outlines([hover], cs, pal.highlight, { x0: 2, y0: 2 });
    }
    pc.svg.setAttribute("width", N * cs + 4); pc.svg.setAttribute("height", N * cs + 4);
    pc.svg.innerHTML = markup;
    pc.caption.textContent = `the ${N} x ${N} canvas: blue stamp origins, crossed grey cropped by padding, ` +
                             `striped added by output_padding, green frame the ${m.out} x ${m.out} output`;
    pc.svg.setAttribute("aria-label", `scatter canvas ${N} x ${N}, output ${m.out} x ${m.out} framed; ` +
                        "arrow keys move the readout over its cells");
    ui.description.textContent = m.lines.join("\n");
    ui.readout.textContent = text;
  }
  cellEvents(pc.svg, "y", () => [ui.meta().size || 0, ui.meta().size || 0], (r, c) => {
    const next = r === null ? null : [r, c];
    if (String(next) === String(hover)) return;
    hover = next; draw();
  });
  ui.settle();
}

export default { render };
