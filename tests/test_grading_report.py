"""The class report and the learners' feedback pages: counts equal to the gradebook's, the mistakes ranked with where
the course teaches them, learner text escaped, each learner's page about that learner only, and (in Chromium)
axe-clean with every figure described."""
import csv
import html
import os
import re
from pathlib import Path

import nbformat
import pytest

import browser_util as bu
from sandbox_util import needs_sandbox
from tconv_edu.grading import EXERCISES
from tconv_edu.grading.judge import _cli as cli
from tconv_edu.grading.judge import report
from tconv_edu.grading.judge._grade import Report, Row
from tconv_edu.grading.learner.exercises import course_map

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "grading"
HOSTILE = "<img src=x onerror=alert(1)>=SUM(A1)\x1b[2J\u202e"


def _row(ex, earned, mistakes=(), feedback=""):
    points = EXERCISES[ex].points
    return Row(ex, points, earned, f"{12 if earned else 3}/12", "passed" if earned >= points else
               "failed 9 of 12 cases" + (f"; likely: {', '.join(mistakes)}" if mistakes else ""), tuple(mistakes),
               feedback)


def _class():
    return [
        Report("sub/ada/ex1_scatter.ipynb", "ada", [_row("scatter_2d", 2), _row("scatter_strided", 3)]),
        Report("sub/bo/ex1_scatter.ipynb", "bo", [_row("scatter_2d", 2),
                                                  _row("scatter_strided", 0, ["crop_minus_p"], "expected [[1.]]")]),
        Report("sub/cy/ex1_scatter.ipynb", "cy", [_row("scatter_2d", 0, ["assign", "flipped"]),
                                                  _row("scatter_strided", 0, ["crop_minus_p", "pad_input"])]),
        Report(f"sub/{HOSTILE}/ex1_scatter.ipynb", HOSTILE, [_row("scatter_2d", 0, ["assign"], f"got {HOSTILE}"),
                                                             _row("scatter_strided", 3)],
               notes=[f"cell 3 raised {HOSTILE}"]),
        Report("sub/dee/ex1_scatter.ipynb", "dee", problem="not graded: the notebook is not JSON"),
    ]


def test_every_exercise_and_mistake_has_a_section_that_exists_in_its_notebook():
    headings = {}
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        text = "".join("".join(c.source) + "\n" for c in nbformat.read(nb, as_version=4).cells
                       if c.cell_type == "markdown")
        headings[nb.name] = set(re.findall(r"^## (.+)$", text, flags=re.M))
    assert set(course_map.SECTIONS) == set(EXERCISES)
    for ex_id, (own, mistakes) in course_map.SECTIONS.items():
        assert set(mistakes) == {m.name for m in EXERCISES[ex_id].mistakes}, ex_id
        for notebook, section in [own, *mistakes.values()]:
            assert section in headings[notebook], (ex_id, notebook, section)


def test_the_report_counts_rank_explain_and_escape():
    page = report.class_report(_class(), "bubblewrap")
    stats = report.exercise_stats(_class())
    assert stats["scatter_2d"]["n"] == 4 and stats["scatter_2d"]["passed"] == 2
    assert stats["scatter_strided"]["mistakes"] == {"crop_minus_p": 2, "pad_input": 1}
    assert "<td class=\"num\">2 / 4</td><td class=\"num\">50%</td><td>crop_minus_p (2)</td>" in page
    ranked = page[page.index('id="ex-scatter_strided"'):]
    assert ranked.index("crop_minus_p</strong> (2 notebooks)") < ranked.index("pad_input</strong> (1 notebook)")
    assert 'Taught in 02_shapes.ipynb, section &quot;Padding crops the output&quot;' in page
    assert "<script>" in page and page.count("<script") == 1          # only the page's own sorting script
    assert "<img src=x" not in page and "\x1b" not in page and "\u202e" not in page
    assert html.escape("<img src=x onerror=alert(1)>") in page
    assert "not graded: the notebook is not JSON" in page and "cell 3 raised" in page
    assert len(re.findall(r"<img [^>]*alt=\"[^\"]+\"", page)) == page.count("<img ")   # every figure described
    assert "http://" not in page and "https://" not in page


def test_the_report_says_when_grading_was_not_isolated():
    assert "could read other submissions" in report.class_report(_class(), "not isolated")


def test_each_feedback_page_is_about_its_learner_only(tmp_path):
    files = report.write_feedback(tmp_path, _class(), "bubblewrap")
    assert len(files) == 5 and all(f.is_relative_to(tmp_path) for f in files)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", part) for f in files for part in f.relative_to(tmp_path).parts)
    bo = (tmp_path / "bo" / "ex1_scatter.html").read_text()
    assert "crop_minus_p" in bo and "Padding crops the output" in bo and "expected [[1.]]" in bo
    assert not any(name in bo for name in ("ada", "cy", "dee", "onerror"))
    ada = (tmp_path / "ada" / "ex1_scatter.html").read_text()
    assert "5 of 5" in ada and "<pre>" not in ada
    hostile = next(f for f in files if "img" in f.parts[-2]).read_text()
    assert "<img src=x" not in hostile and "\x1b" not in hostile


def test_names_that_look_alike_when_made_safe_keep_their_own_folders(tmp_path):
    """'a b', 'a/b', 'a_b' and '_a_b' would all be a_b made safe: each learner still gets a folder of their own, so
    handing out a folder never hands out a classmate's page."""
    names = ["a b", "a/b", "a_b", "_a_b", "..", "_", "a_b-" + "0" * 10]
    reps = [Report(f"s/{i}/ex.ipynb", n, [_row("scatter_2d", 2 * (i % 2))]) for i, n in enumerate(names)]
    files = report.write_feedback(tmp_path, reps, "bubblewrap")
    assert len({f.parent for f in files}) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", part) and part not in (".", "..")
               for f in files for part in f.relative_to(tmp_path).parts)
    assert (tmp_path / "a_b" / "ex.html").exists() and (tmp_path / "_" / "ex.html").exists()
    for f, rep in zip(files, reps):
        assert [p.name for p in f.parent.iterdir()] == ["ex.html"], rep.student


# ------------------------------------------------------------------------------- a class graded end to end

def _notebooks(tmp_path):
    """A class: solved, one wrong in a known way, one unsolved, one under a hostile folder name."""
    from test_grading_notebooks import filled

    crop = ("def scatter_strided(x, k, stride, padding):\n    import numpy as np\n    H, W = x.shape\n"
            "    kH, kW = k.shape\n    full = np.zeros(((H - 1) * stride + kH, (W - 1) * stride + kW))\n"
            "    for i in range(H):\n        for j in range(W):\n"
            "            full[i * stride:i * stride + kH, j * stride:j * stride + kW] += x[i, j] * k\n"
            "    return full[padding:-padding, padding:-padding]")
    class_ = {"ada": filled({"scatter_2d", "scatter_strided"}), "bo": filled({"scatter_2d"}, {"scatter_strided": crop}),
              "cy": nbformat.read(str(ROOT / "exercises" / "ex1_scatter.ipynb"), as_version=4),
              "<img src=x onerror=alert(1)>=1+1": filled({"scatter_2d"}, {"scatter_strided": crop})}
    for student, nb in class_.items():
        (tmp_path / "submitted" / student).mkdir(parents=True)
        nbformat.write(nb, str(tmp_path / "submitted" / student / "ex1_scatter.ipynb"))
    return tmp_path / "submitted"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    submitted = _notebooks(tmp)
    out = {"csv": tmp / "grades.csv", "report": tmp / "class.html", "feedback": tmp / "feedback"}
    code = cli.main([str(submitted), "--jobs", "2", "--seed", "1", "--csv", str(out["csv"]), "--report",
                     str(out["report"]), "--feedback", str(out["feedback"])])
    return code, out


@needs_sandbox
def test_the_report_of_a_graded_class_agrees_with_the_gradebook(graded):
    code, out = graded
    assert code == 1
    rows = list(csv.DictReader(out["csv"].open()))
    page = out["report"].read_text()
    for ex in ("scatter_2d", "scatter_strided"):
        mine = [r for r in rows if r["exercise"] == ex]
        passed = sum(r["points"] == r["max_points"] for r in mine)
        assert f'<td class="num">{passed} / {len(mine)}</td>' in page, ex
        for name in {m for r in mine for m in r["mistake"].split("; ") if m}:
            n = sum(name in r["mistake"].split("; ") for r in mine)
            assert f"{name}</strong> ({n} notebook{'s' * (n != 1)})" in page
    assert "crop_minus_p</strong> (2 notebooks)" in page
    assert "&lt;img src=x onerror=alert(1)&gt;=1+1" in page and "<img src=x" not in page
    pages = sorted(p.relative_to(out["feedback"]).as_posix() for p in out["feedback"].rglob("*.html"))
    assert pages == sorted(f"{report._safe(s)}/ex1_scatter.html" for s in {r["student"] for r in rows})


@pytest.mark.browser
@pytest.mark.timeout(300)
@needs_sandbox
def test_the_report_in_chromium_is_axe_clean_described_and_offline(graded):
    missing = bu.chromium_missing_reason() or bu.axe_missing_reason()
    if missing and os.environ.get("TCONV_EDU_REQUIRE_BROWSER"):
        raise RuntimeError(f"TCONV_EDU_REQUIRE_BROWSER is set but {missing}")
    if missing:
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    _, out = graded
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=bu.CHROMIUM, args=bu.CHROMIUM_ARGS, headless=True)
        try:
            for name, path in (("class_report", out["report"]),
                               ("feedback", next(out["feedback"].rglob("*.html")))):
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                requests, errors = [], []
                page.on("request", lambda r: requests.append(r.url))
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(path.as_uri())
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                assert page.evaluate(bu.IMAGES_WITHOUT_ALT_JS, "body") == []
                bad = bu.serious(bu.run_axe(page, "body")["violations"])
                assert bad == [], f"{name}: axe-core: {bu.summary(bad)}"
                assert [u for u in requests if not u.startswith(("file://", "data:"))] == []
                assert errors == []
                if name == "class_report":             # the learner table sorts by total, both ways
                    totals = lambda: page.eval_on_selector_all(  # noqa: E731
                        "table.sortable tbody tr td:nth-child(3)", "cs => cs.map(c => parseFloat(c.dataset.sort))")
                    page.get_by_role("button", name="total").click()
                    assert totals() == sorted(totals())
                    page.get_by_role("button", name="total").click()
                    assert totals() == sorted(totals(), reverse=True)
                page.close()
        finally:
            browser.close()
