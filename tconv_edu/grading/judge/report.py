"""What the class got wrong: the class report (one self-contained HTML page) and each learner's feedback page.

``class_report(reports, isolation)`` shows, per exercise, the pass rate, the points distribution and the recognised
mistakes ranked by how many notebooks made them (each with the course's explanation and the section that teaches
it); per learner, a sortable table; and every notebook that was not graded, not isolated, or a duplicate.
``feedback_page(report, isolation)`` is one learner's: their table, their failing cases (smallest first, expected
versus got, as ``check()`` prints them) and their mistakes with where the course explains them, nothing about
anyone else. Figures are embedded PNGs in the course's palette with alt text made from their data; every text that
came from a learner is stripped of control characters and HTML-escaped; the pages load nothing from outside.
"""
from __future__ import annotations

import hashlib
import html
import re
from collections import Counter
from pathlib import Path

from ..learner import EXERCISES
from ..learner.exercises.course_map import where
from ._cli import clean
from ._grade import Report

__all__ = ["class_report", "feedback_page", "write_feedback", "feedback_path", "exercise_stats"]


def _text(value) -> str:
    """Learner-supplied (or any) text, cleaned of control characters and escaped for HTML."""
    return html.escape(clean(value), quote=True)


def _num(v: float) -> str:
    return f"{v:g}"


def _explanation(exercise: str, mistake: str) -> str:
    """The course's one-line explanation of a recognised mistake (its diagnosis, as ``check()`` gives it)."""
    ex = EXERCISES.get(exercise)
    text = next((m.diagnosis for m in (ex.mistakes if ex else ()) if m.name == mistake), "")
    return text[:1].upper() + text[1:]


def _graded(reports):
    """The reports of notebooks that were graded (rows present and no problem)."""
    return [r for r in reports if r.rows and not r.problem]


def exercise_stats(reports) -> dict:
    """exercise -> {"points": max points, "n": notebooks graded on it, "passed": with full points,
    "earned": Counter of points earned, "mistakes": Counter of mistake names}; in the course's order."""
    stats = {}
    for rep in _graded(reports):
        for row in rep.rows:
            s = stats.setdefault(row.exercise, {"points": row.points, "n": 0, "passed": 0, "earned": Counter(),
                                                "mistakes": Counter()})
            s["n"] += 1
            s["passed"] += row.earned >= row.points
            s["earned"][_num(row.earned)] += 1
            s["mistakes"].update(set(row.mistakes))
    order = list(EXERCISES)
    return dict(sorted(stats.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))


# ------------------------------------------------------------------------------------------------- figures

def _figure(values: dict, *, ylabel: str, title: str) -> str:
    """A bar chart of ``{label: count}`` as an embedded ``<img>`` whose alt text lists every bar."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    from ... import viz

    fig = Figure(figsize=(1.6 + 0.9 * max(len(values), 2), 2.6), dpi=80)
    ax = fig.add_subplot()
    viz.plot_bars(values, ax, ylabel=ylabel, title=title)
    ax.set_ylim(0, max(values.values(), default=1) * 1.25 + 0.5)
    viz.describe(fig, viz.alt_text(ax))
    fig.tight_layout()
    return viz.figure_html(fig)


# ---------------------------------------------------------------------------------------------------- pages

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; padding: 0 1.5rem; max-width: 70rem;
       color: #1a1a1a; line-height: 1.4 }
h1, h2, h3 { line-height: 1.2 }
table { border-collapse: collapse; margin: .5rem 0 1rem }
th, td { border: 1px solid #8a8a8a; padding: .25rem .5rem; text-align: left; vertical-align: top }
th button { font: inherit; font-weight: bold; background: none; border: none; padding: 0; cursor: pointer;
            color: #1a1a1a; text-decoration: underline }
.num { text-align: right; font-variant-numeric: tabular-nums }
.fail { color: #7a0000 } .warn { color: #5a3d00 }
section.exercise { border-top: 2px solid #0a6b47; margin-top: 1.5rem }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start }
pre { white-space: pre-wrap; background: #f4f4f4; padding: .5rem; border: 1px solid #cccccc }
"""

# sorts the table whose header button was pressed, by that column (numbers as numbers), and says so in aria-sort
_SORT = """
document.querySelectorAll("table.sortable th button").forEach(function (button) {
  button.addEventListener("click", function () {
    var th = button.parentElement, table = th.closest("table"), body = table.tBodies[0];
    var col = Array.prototype.indexOf.call(th.parentElement.children, th);
    var up = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", up ? "ascending" : "descending");
    var key = function (row) {
      var c = row.children[col];
      return c.dataset.sort !== undefined ? c.dataset.sort : c.textContent;
    };
    var rows = Array.prototype.slice.call(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
      var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return up ? cmp : -cmp;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def _page(title: str, body: list[str], script: str = "") -> str:
    return "\n".join(["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
                      '<meta name="viewport" content="width=device-width, initial-scale=1">',
                      f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
                      "<main>", *body, "</main>", f"<script>{script}</script>" if script else "", "</body>",
                      "</html>", ""])


def _mistake_items(exercise: str, counts) -> list[str]:
    """One list item per recognised mistake: its name, how many, the course's explanation and where it is taught."""
    items = []
    for name, n in counts:
        count = "" if n is None else f" ({n} notebook{'s' * (n != 1)})"
        items.append(f"<li><strong>{_text(name)}</strong>{count}: {_text(_explanation(exercise, name))} "
                     f"<em>Taught in {_text(where(exercise, name))}.</em></li>")
    return items


def class_report(reports, isolation: str) -> str:
    """The class report: one self-contained HTML page (figures embedded, no request leaves the page)."""
    graded = _graded(reports)
    stats = exercise_stats(reports)
    learners = sorted({r.student for r in graded})
    earned, total = sum(r.earned for r in graded), sum(r.total for r in graded)
    body = ["<h1>Class report</h1>",
            f"<p>{len(graded)} notebook{'s' * (len(graded) != 1)} graded for {len(learners)} "
            f"learner{'s' * (len(learners) != 1)}; {len(reports) - len(graded)} not graded. "
            f"Sandbox: {_text(isolation)}. Points: {_num(earned)} of {_num(total)}.</p>",
            '<nav aria-label="Contents"><ul><li><a href="#exercises">Exercises</a></li>'
            '<li><a href="#learners">Learners</a></li><li><a href="#not-graded">Not graded, not isolated, '
            'duplicates</a></li></ul></nav>',
            '<h2 id="exercises">Exercises</h2>']
    summary = ['<table><caption>Pass rate per exercise (full points)</caption><thead><tr>'
               '<th scope="col">exercise</th><th scope="col">passed</th><th scope="col">pass rate</th>'
               '<th scope="col">most common mistake</th></tr></thead><tbody>']
    for ex, s in stats.items():
        top = s["mistakes"].most_common(1)
        summary.append(f'<tr><th scope="row"><a href="#ex-{_text(ex)}">{_text(ex)}</a></th>'
                       f'<td class="num">{s["passed"]} / {s["n"]}</td>'
                       f'<td class="num">{100 * s["passed"] / s["n"]:.0f}%</td>'
                       f"<td>{_text(top[0][0]) + f' ({top[0][1]})' if top else '-'}</td></tr>")
    body += summary + ["</tbody></table>"]
    for ex, s in stats.items():
        body.append(f'<section class="exercise" aria-labelledby="ex-{_text(ex)}">')
        body.append(f'<h3 id="ex-{_text(ex)}">{_text(ex)} ({_num(s["points"])} points)</h3>')
        taught = where(ex)
        body.append(f"<p>Passed by {s['passed']} of {s['n']} notebooks "
                    f"({100 * s['passed'] / s['n']:.0f}%)." + (f" Taught in {_text(taught)}." if taught else "")
                    + "</p>")
        points = {p: s["earned"].get(p, 0) for p in sorted(set(s["earned"]) | {"0", _num(s["points"])},
                                                               key=float)}
        figures = [_figure(points, ylabel="notebooks", title=f"{ex}: points earned")]
        ranked = s["mistakes"].most_common()
        if ranked:
            figures.append(_figure(dict(ranked), ylabel="notebooks", title=f"{ex}: recognised mistakes"))
        body.append('<div class="figures">' + "".join(figures) + "</div>")
        if ranked:
            body += ["<p>Recognised mistakes, most common first:</p>", "<ol>", *_mistake_items(ex, ranked), "</ol>"]
        else:
            body.append("<p>No recognised mistake.</p>")
        body.append("</section>")
    body += _learner_table(graded, list(stats))
    body += _problems(reports, isolation)
    return _page("Class report", body, _SORT)


def _learner_table(graded, exercises) -> list[str]:
    out = ['<h2 id="learners">Learners</h2>',
           "<p>Press a column's name to sort by it (again: the other way).</p>",
           '<table class="sortable"><caption>Points and recognised mistakes per learner notebook</caption>'
           '<thead><tr><th scope="col" aria-sort="none"><button type="button">learner</button></th>'
           '<th scope="col" aria-sort="none"><button type="button">notebook</button></th>'
           '<th scope="col" aria-sort="none"><button type="button">total</button></th>'
           + "".join(f'<th scope="col" aria-sort="none"><button type="button">{_text(ex)}</button></th>'
                     for ex in exercises)
           + "</tr></thead><tbody>"]
    for rep in sorted(graded, key=lambda r: (r.student, r.path)):
        rows = {r.exercise: r for r in rep.rows}
        cells = []
        for ex in exercises:
            r = rows.get(ex)
            if r is None:
                cells.append('<td data-sort="-1">-</td>')
                continue
            why = f" <span class=\"fail\">({_text(', '.join(r.mistakes))})</span>" if r.mistakes else ""
            cells.append(f'<td data-sort="{_num(r.earned)}"><span class="num">{_num(r.earned)} / '
                         f'{_num(r.points)}</span>{why}</td>')
        out.append(f'<tr><th scope="row">{_text(rep.student)}</th><td>{_text(Path(rep.path).name)}</td>'
                   f'<td class="num" data-sort="{_num(rep.earned)}">{_num(rep.earned)} / {_num(rep.total)}</td>'
                   + "".join(cells) + "</tr>")
    return out + ["</tbody></table>"]


def _problems(reports, isolation: str) -> list[str]:
    out = ['<h2 id="not-graded">Not graded, not isolated, duplicates</h2>']
    items = [f"<li><strong>{_text(r.student)}</strong>, {_text(Path(r.path).name)}: {_text(r.problem)}</li>"
             for r in reports if r.problem]
    items += [f"<li><strong>{_text(r.student)}</strong>, {_text(Path(r.path).name)}: {_text(n)}</li>"
              for r in reports for n in r.notes]
    if isolation != "bubblewrap":
        items.insert(0, f'<li class="warn">Every notebook was graded <strong>{_text(isolation)}</strong> '
                        "(--sandbox none): learners' code could read other submissions and the solutions.</li>")
    out += ["<ul>", *items, "</ul>"] if items else ["<p>None: every notebook was graded, in the sandbox.</p>"]
    return out


def feedback_page(report: Report, isolation: str) -> str:
    """One learner notebook's feedback: their points, failing cases and mistakes; nothing about other learners."""
    name = Path(report.path).name
    body = [f"<h1>Feedback on {_text(name)}</h1>",
            f"<p>Learner: {_text(report.student)}. Points: {_num(report.earned)} of {_num(report.total)}.</p>"]
    if report.problem:
        body.append(f'<p class="fail">This notebook was not graded: {_text(report.problem)}</p>')
    if isolation != "bubblewrap":
        body.append(f'<p class="warn">Graded {_text(isolation)}.</p>')
    if report.rows:
        body += ['<table><caption>Your exercises</caption><thead><tr><th scope="col">exercise</th>'
                 '<th scope="col">points</th><th scope="col">cases passed</th><th scope="col">result</th></tr>'
                 "</thead><tbody>"]
        body += [f'<tr><th scope="row">{_text(r.exercise)}</th><td class="num">{_num(r.earned)} / '
                 f'{_num(r.points)}</td><td class="num">{_text(r.cases)}</td><td>{_text(r.result)}</td></tr>'
                 for r in report.rows]
        body.append("</tbody></table>")
    for r in report.rows:
        if r.earned >= r.points:
            continue
        body.append(f"<h2>{_text(r.exercise)}</h2>")
        if r.mistakes:
            body += ["<p>What went wrong, probably:</p>", "<ul>",
                     *_mistake_items(r.exercise, [(m, None) for m in r.mistakes]), "</ul>"]
        else:
            taught = where(r.exercise)
            body.append(f"<p>{_text(r.result)}." + (f" Taught in {_text(taught)}." if taught else "") + "</p>")
        if r.feedback:
            body.append(f"<pre>{_text_block(r.feedback)}</pre>")
    for note in report.notes:
        body.append(f'<p class="warn">{_text(note)}</p>')
    return _page(f"Feedback on {name}", body)


def _text_block(value) -> str:
    """``_text`` keeping the line breaks (a ``check()`` report)."""
    return html.escape(clean(value, keep_newlines=True), quote=True)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(name: str) -> str:
    """A file or folder name made of safe characters only, one per name: a name already safe stays as it is; any
    other becomes ``_<its safe characters>-<10 hex digits of its hash>`` (a safe name never begins with "_" unless it
    is "_"), so two learners never share a feedback folder."""
    name = str(name)
    out = _UNSAFE.sub("_", name).strip("._")[:80]
    if out == name or (not out and name == "_"):
        return name
    return f"_{out[:60]}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"


def feedback_path(folder: Path, report: Report) -> Path:
    """Where a learner notebook's feedback goes: ``folder/<learner>/<notebook>.html`` (names made safe)."""
    return Path(folder) / _safe(report.student) / (_safe(Path(report.path).stem) + ".html")


def write_feedback(folder: Path, reports, isolation: str) -> list[Path]:
    """One feedback page per learner notebook under ``folder``; returns the files written."""
    written, used = [], set()
    for rep in reports:
        path = feedback_path(folder, rep)
        stem, n = path.stem, 1
        while path in used:                  # two names that became the same safe name keep apart
            n += 1
            path = path.with_name(f"{stem}-{n}.html")
        used.add(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(feedback_page(rep, isolation), encoding="utf-8")
        written.append(path)
    return written
