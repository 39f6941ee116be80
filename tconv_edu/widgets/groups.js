// The groups explorer: input channels (left) joined to the output channels they stamp into (right). Sent by the
// kernel: links (c_in x c_out, 1 where a weight slice joins them: tconv_edu.conv_transpose2d of one-hot channels).
// Hover a channel (or focus the picture and use the arrow keys): what it is joined to and through which weights.

function render({ model, el }) {
  const ui = explorer({ model, el }, { draw });
  const pg = panel(ui.panels, "channels", "input and output channels");
  let hover = null;           // [side 0 input | 1 output, channel]

  function draw() {
    const err = ui.error();
    ui.description.classList.toggle("tconv-error", !!err);
    if (err) {
      pg.svg.innerHTML = ""; pg.svg.setAttribute("width", 0); pg.svg.setAttribute("height", 0);
      ui.description.textContent = `Not allowed: ${err}`; ui.readout.textContent = ""; return;
    }
    const m = ui.meta(), pal = ui.palette();
    if (!m.c_in) return;
    const L = i32(ui.view, "links"), ci = m.c_in, co = m.c_out, step = 34, box = 26, left = 70, right = 330;
    const y = (i) => 22 + i * step;
    let markup = `<text x="${left + box / 2}" y="10" font-size="11" text-anchor="middle">in</text>` +
                 `<text x="${right + box / 2}" y="10" font-size="11" text-anchor="middle">out</text>`;
    let text = "";
    const lit = (i, o) => hover && ((hover[0] === 0 && hover[1] === i) || (hover[0] === 1 && hover[1] === o));
    for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
      if (!L[i * co + o]) continue;
      const on = lit(i, o);
      markup += `<line x1="${left + box}" y1="${y(i) + box / 2}" x2="${right}" y2="${y(o) + box / 2}" ` +
                `stroke="${on ? pal.highlight : "#555"}" stroke-width="${on ? 3.5 : 1.2}" pointer-events="none"/>`;
    }
    for (let i = 0; i < ci; i++) markup += chan("in", i, left, y(i), pal.input, hover && hover[0] === 0 && hover[1] === i);
    for (let o = 0; o < co; o++) markup += chan("out", o, right, y(o), pal.output, hover && hover[0] === 1 && hover[1] === o);
    function chan(side, i, x, yy, colour, on) {
      const f = mix(colour, 0.6);
      return `<rect class="cell" data-grid="ch" data-r="${side === "in" ? 0 : 1}" data-c="${i}" x="${x}" y="${yy}" width="${box}" height="${box}" ` +
             `fill="${f}" stroke="${on ? pal.highlight : "#333"}" stroke-width="${on ? 3 : 1}"/>` +
             `<text x="${x + box / 2}" y="${yy + box / 2}" font-size="12" text-anchor="middle" dominant-baseline="central" fill="${ink(f)}" pointer-events="none">${i}</text>`;
    }
    if (hover) {
      const [side, c] = hover, g = side === 0 ? Math.floor(c / m.per_in) : Math.floor(c / m.per_out);
      if (side === 0) {
        const outs = []; for (let o = 0; o < co; o++) if (L[c * co + o]) outs.push(o);
        text = `input channel ${c} (group ${g}) stamps into output channels ${outs.join(", ")} through ` +
               `weight[${c}, 0..${m.per_out - 1}] (${m.per_out} kernels of ${m.k} x ${m.k})`;
      } else {
        const ins = []; for (let i = 0; i < ci; i++) if (L[i * co + c]) ins.push(i);
        text = `output channel ${c} (group ${g}) sums the stamps of input channels ${ins.join(", ")} ` +
               `(weight[${ins[0]}..${ins[ins.length - 1]}, ${c % m.per_out}]) plus bias[${c}]`;
      }
    }
    const rows = Math.max(ci, co);
    pg.svg.setAttribute("width", right + box + 70); pg.svg.setAttribute("height", 26 + rows * step);
    pg.svg.innerHTML = markup;
    pg.svg.setAttribute("aria-label", `${ci} input channels joined to ${co} output channels in ${m.g} groups; ` +
                        "arrow keys move the readout over the channels (up and down switch sides, left and right move along the channels)");
    ui.description.textContent = m.lines.join("\n");
    ui.readout.textContent = text;
  }
  cellEvents(pg.svg, "ch", () => [2, Math.max(ui.meta().c_in || 0, ui.meta().c_out || 0)], (r, c) => {
    // the cursor's rows are the two sides, its columns the channels
    let next = r === null ? null : [r, c];
    if (next && c >= (r === 0 ? ui.meta().c_in : ui.meta().c_out)) next = [r, (r === 0 ? ui.meta().c_in : ui.meta().c_out) - 1];
    if (String(next) === String(hover)) return;
    hover = next; draw();
  });
  ui.settle();
}

export default { render };
