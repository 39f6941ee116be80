"""`make app` serves app/explorers.ipynb with Voila. Without a browser we can still run it as Voila does (a fresh
kernel, every cell) and check that each explorer cell displays a widget and nothing fails or prints.
The browser test (test_browser.py) opens the page itself and moves a slider."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app" / "explorers.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_app_notebook_runs_and_shows_one_widget_per_explorer_cell():
    nb = nbformat.read(APP, as_version=4)
    assert all(c.get("outputs", []) == [] for c in nb.cells if c.cell_type == "code"), \
        "app/explorers.ipynb is committed without outputs (Voila runs it)"
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(APP.parent)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].outputs == [], code[0].outputs  # the import prints nothing
    for cell in code[1:]:
        kinds = [o.output_type for o in cell.outputs]
        assert kinds == ["execute_result"], f"{cell.source!r}: outputs {kinds} (errors and prints do not belong)"
        assert WIDGET in cell.outputs[0].data, f"{cell.source!r} does not display a widget"


def test_app_page_uses_the_offline_template():
    """Voila's lab template links font-awesome on a CDN; the app's template (selected in the notebook's metadata,
    found through `make app`'s JUPYTER_PATH) drops those links and keeps the rest."""
    nb = nbformat.read(APP, as_version=4)
    assert nb.metadata.get("voila", {}).get("template") == "tconv"
    template = ROOT / "app" / "jupyter" / "voila" / "templates" / "tconv"
    text = (template / "index.html.j2").read_text()
    assert "extends 'lab/index.html.j2'" in text and "https://" not in text and "super.super()" in text
    assert '"base_template": "lab"' in (template / "conf.json").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "JUPYTER_PATH=$(CURDIR)/app/jupyter" in makefile


def test_app_shows_every_explorer_of_the_widgets_module():
    from tconv_edu import widgets

    calls = "\n".join(c.source for c in nbformat.read(APP, as_version=4).cells if c.cell_type == "code")
    explorers = [name for name in widgets.__all__ if name.endswith(("_explorer", "_stepper"))]
    missing = [name for name in explorers if f"{name}(" not in calls]
    assert missing == [], f"add {missing} to app/explorers.ipynb (a heading, a line of text, a cell calling it)"
