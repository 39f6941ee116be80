// The checkerboard explorer: stamps per pixel of the full output (tconv_edu.artifacts.overlap_2d, sent as counts)
// as a map and as the profile of its middle row. Hover a pixel (or focus the map and use the arrow keys): how
// many stamps overlap it.

function render({ model, el }) {
  const ui = explorer({ model, el }, { draw });
  const pm = panel(ui.panels, "stamps per output pixel", "stamps per output pixel");
  const pb = panel(ui.panels, "one row", "stamps per pixel along one row");
  let hover = null;
  const painted = { version: -1, cover: "" };

  function draw() {
    const m = ui.meta(), pal = ui.palette();
    if (!m.size) return;
    const counts = i32(ui.view, "counts"), [H, W] = m.size;
    let cmax = 0;
    for (const v of counts) cmax = Math.max(cmax, v);
    const cs = Math.max(8, Math.min(30, Math.floor(420 / W)));
    if (painted.version !== ui.version()) {      // the map changes with the kernel's answer; hover draws over it
      painted.cover = canvasGrid(pm, H, W, cs, (r, c) => ({ fill: shade(pal, "output", counts[r * W + c], cmax),
        text: W <= 14 ? String(counts[r * W + c]) : null }), { name: "y" });
      painted.version = ui.version();
    }
    let markup = painted.cover;
    const row = hover ? hover[0] : Math.floor(H / 2);
    markup += `<rect x="2" y="${2 + row * cs}" width="${W * cs}" height="${cs}" fill="none" stroke="#333" stroke-dasharray="4 3" pointer-events="none"/>`;
    let text = "";
    if (hover) {
      const [r, c] = hover, n = counts[r * W + c];
      const border = r < m.margin || c < m.margin || r >= H - m.margin || c >= W - m.margin;
      text = `pixel [${r},${c}] of the full output: ${n} stamp${n === 1 ? "" : "s"} overlap it` +
             (border ? " (a border pixel: fewer stamps reach the edges)" : "");
      markup += outlines([hover], cs, pal.highlight, { x0: 2, y0: 2 });
    }
    pm.svg.innerHTML = markup;
    pm.svg.setAttribute("aria-label", `stamps per pixel, ${H} x ${W}, from ${Math.min(...counts)} to ${cmax}; ` +
                        "arrow keys move the readout over the pixels");
    // the profile of the dashed row: bars, the border (margin k - 1) shaded as in the course's figure
    const bw = Math.max(8, Math.min(26, Math.floor(420 / W))), bh = Math.min(28, 160 / Math.max(cmax, 1)), top = 8;
    let bars = "";
    for (let c = 0; c < W; c++) {
      const v = counts[row * W + c], x = 24 + c * bw;
      if (c < m.margin || c >= W - m.margin) bars += `<rect x="${x}" y="${top}" width="${bw}" height="${cmax * bh}" fill="${pal.crop}"/>`;
      bars += `<rect x="${x + 1}" y="${top + (cmax - v) * bh}" width="${bw - 2}" height="${v * bh}" fill="${pal.output}" stroke="#333" stroke-width="0.5"/>`;
    }
    for (let v = 0; v <= cmax; v += Math.max(1, Math.ceil(cmax / 6))) {
      bars += `<text x="18" y="${top + (cmax - v) * bh}" font-size="10" text-anchor="end" dominant-baseline="central">${v}</text>`;
    }
    pb.svg.setAttribute("width", 30 + W * bw); pb.svg.setAttribute("height", top + cmax * bh + 8);
    pb.svg.innerHTML = bars;
    pb.caption.textContent = `row ${row}: stamps per pixel (grey: the border, k - 1 pixels each side)`;
    const profile = Array.from(counts.subarray(row * W, (row + 1) * W)).join(", ");
    pb.svg.setAttribute("aria-label", `stamps per pixel along row ${row}: ${profile}`);
    ui.description.textContent = m.lines.join("\n");
    ui.readout.textContent = text;
  }
  cellEvents(pm.svg, "y", () => (ui.meta().size || [0, 0]), (r, c) => {
    const next = r === null ? null : [r, c];
    if (String(next) === String(hover)) return;
    hover = next; draw();
  });
  pb.svg.removeAttribute("tabindex");          // the profile follows the map: one stop for the keyboard
  ui.settle();
}

export default { render };
