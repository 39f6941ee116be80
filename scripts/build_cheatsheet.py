"""The cheat sheet (notebooks/cheatsheet.md) as one self-contained page: artifacts/cheatsheet.html (make cheatsheet).

    python scripts/build_cheatsheet.py                  # artifacts/cheatsheet.html (git-ignored)
    python scripts/build_cheatsheet.py --output PATH

Markdown to HTML with mistune, which JupyterLab installs (through nbconvert): no converter of our own. The page
carries its CSS inline and loads nothing (no script, stylesheet, font or image from anywhere); its only links are
the sources the sheet cites. Print styles: A4, 9 pt.
"""
from __future__ import annotations

import argparse
import html
import re
from pathlib import Path

import mistune

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks" / "cheatsheet.md"
OUTPUT = ROOT / "artifacts" / "cheatsheet.html"

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1b1b1b; background: #fff; max-width: 64rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .4rem; }
h2 { font-size: 1.15rem; margin: 1.2rem 0 .4rem; padding-bottom: .15rem; border-bottom: 2px solid #d0d0d0; }
p, ul { margin: .35rem 0; }
li { margin: .15rem 0; }
a { color: #0b57a4; }
code { font: .9em/1.3 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace;
       background: #f1f1f1; padding: 0 .2em; border-radius: 3px; }
pre { background: #f6f6f6; border: 1px solid #dedede; border-radius: 4px; padding: .45rem .65rem;
      overflow-x: auto; margin: .45rem 0; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: .45rem 0; font-size: .92em; }
th, td { border: 1px solid #cfcfcf; padding: .15rem .5rem; text-align: left; vertical-align: top; }
th { background: #ececec; }
tbody tr:nth-child(even) { background: #fafafa; }
td:nth-child(n+3) code { white-space: nowrap; }
@media print {
  @page { size: A4 landscape; margin: 5mm; }
  body { font-size: 6.2pt; line-height: 1.12; max-width: none; margin: 0; padding: 0; columns: 2; column-gap: 5mm; }
  p, ul, pre, table { margin: .2rem 0; }
  li { margin: 0; }
  td, th { line-height: 1.15; }
  h1 { font-size: 11pt; margin: 0; column-span: all; }
  h2 { font-size: 8pt; margin: .2rem 0 .1rem; break-after: avoid; }
  table, pre { break-inside: avoid; }
  /* the porting table (the only one with four columns) across the page */
  table:has(th:nth-child(4)):not(:has(th:nth-child(5))) { column-span: all; width: 100%; }
  th, td { padding: 0 .3rem; }
  pre { white-space: pre-wrap; padding: .1rem .3rem; line-height: 1.1; }
  a { color: inherit; }
}
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main>
{body}</main>
</body>
</html>
"""


def render(markdown_text: str) -> str:
    """The sheet's markdown as a complete HTML page; its title is the first '# ' heading."""
    heading = re.search(r"^# (.+)$", markdown_text, re.M)
    title = heading.group(1).strip() if heading else "Cheat sheet"
    body = mistune.create_markdown(plugins=["table"])(markdown_text)     # escapes any raw HTML in the sheet
    return PAGE.format(title=html.escape(title), css=CSS, body=body)


def build(source: Path = SOURCE, output: Path = OUTPUT) -> Path:
    """Write ``source`` rendered to ``output`` (its folder created); return ``output``."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(Path(source).read_text(encoding="utf-8")), encoding="utf-8")
    return output


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="the markdown (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the page to write (default: %(default)s)")
    args = parser.parse_args(argv)
    print(build(args.source, args.output))


if __name__ == "__main__":
    main()
