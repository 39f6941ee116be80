// The porting explorer: text only. The kernel ports the layer with tconv_edu.port and checks it by computing it in
// both frameworks' conventions; the page shows the lines it sent (the description is the whole answer).

function render({ model, el }) {
  const ui = explorer({ model, el }, {
    draw() {
      const err = ui.error();
      ui.description.classList.toggle("tconv-error", !!err);
      ui.description.textContent = err ? `Not allowed: ${err}` : (ui.meta().lines || []).join("\n");
    },
  });
  ui.settle();
}

export default { render };
