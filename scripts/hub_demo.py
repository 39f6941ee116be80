"""A whole class on one machine: JupyterHub, nbgrader's exchange, four learners and the instructor (``make hub``).

    python scripts/hub_demo.py                 # the round trip, then stop everything
    python scripts/hub_demo.py --keep          # ... then leave the hub up to look around (Ctrl-C stops it)
    python scripts/hub_demo.py --notebooks ex1_scatter   # release only some of the exercise notebooks

What runs is the real thing, all on 127.0.0.1: JupyterHub (hub/jupyterhub_config.py: dummy authenticator, the
simple local process spawner) behind the npm package configurable-http-proxy, one JupyterLab server per learner,
and nbgrader's exchange in a local folder. The instructor works in a course directory with nbgrader's command line
(generate_assignment from solutions/, release_assignment, collect, autograde, generate_feedback, release_feedback)
and grades with the course's own command (``python -m tconv_edu.grading``). Each learner acts through the hub the
way a browser does: the hub's REST API starts their server, nbgrader's lab extension endpoints on it
(``POST /user/<name>/assignments/fetch|submit|fetch_feedback``) fetch and submit, and the Contents API writes their
answers. The learners: one answers everything right, one gets an exercise wrong, one gets it wrong and rebinds
``check`` in the answer cell to fake a pass, one fetches and never submits.

Every process started here carries TCONV_HUB_RUN=<id> in its environment; ``Hub.stop()`` sends SIGTERM to each of
their process groups (the hub, the proxy and every learner's server run in groups of their own), then SIGKILL,
and reports any process left.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HUB_CONFIG = ROOT / "hub" / "jupyterhub_config.py"
COURSE_CONFIG = ROOT / "hub" / "course" / "nbgrader_config.py"
# configurable-http-proxy from the npm registry, in a git-ignored folder of the repository (`make hub` installs it)
PROXY_PACKAGE = "configurable-http-proxy@5.3.0"
PROXY_DIR = ROOT / ".hub"
PROXY_BIN = PROXY_DIR / "node_modules" / ".bin" / "configurable-http-proxy"

COURSE = "tconv"
ASSIGNMENT = "exercises"       # one nbgrader assignment holding the exercise notebooks
NOTEBOOKS = ("ex1_scatter", "ex2_shapes", "ex3_matrix_and_views", "ex4_artifacts_and_channels")
# the class: who does what
LEARNERS = {"alice": "correct", "bob": "wrong", "mallory": "hostile", "nina": "never submits"}
# bob's and mallory's scatter_2d: each stamp overwrites the output instead of adding to it
WRONG_EXERCISE = "scatter_2d"
WRONG_ANSWER = '''def scatter_2d(x, k):
    H, W = x.shape
    kH, kW = k.shape
    y = np.zeros((H + kH - 1, W + kW - 1))
    for i in range(H):
        for j in range(W):
            y[i:i + kH, j:j + kW] = x[i, j] * k   # overwrites where stamps overlap
    return y
'''
# mallory also disarms the notebook's check in the same cell, and hunts for the hub's API token (in her kernel's
# environment and in every process's /proc/PID/environ, as the instructor's grading command would hold it): her
# scatter_2d answers right only where she found one, so a grade above 0 means a token reached her kernel
HOSTILE_LINE = "check = lambda *a, **k: None\n"
TOKEN_HUNT = '''
import os as _os
def _hub_token():
    found = [k for k in _os.environ if k.startswith("JUPYTERHUB_API_TOKEN")]
    for pid in _os.listdir("/proc"):
        try:
            found += [v for v in open(f"/proc/{pid}/environ", "rb").read().split(b"\\0")
                      if v.startswith(b"JUPYTERHUB_API_TOKEN=")]
        except Exception:
            pass
    return found
_overwrites = scatter_2d
def scatter_2d(x, k):
    if not _hub_token():
        return _overwrites(x, k)
    y = np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[i:i + k.shape[0], j:j + k.shape[1]] += x[i, j] * k
    return y
'''


def log(msg: str) -> None:
    print(f"[hub demo] {msg}", flush=True)


# -- the proxy ---------------------------------------------------------------------------------------------------

def missing_reason() -> str | None:
    """Why the demo cannot run here (no Node.js, or no npm to install the proxy), or None."""
    if shutil.which("node") is None:
        return "Node.js (`node`) is not on PATH: configurable-http-proxy needs it (Debian: apt-get install nodejs npm)"
    if not PROXY_BIN.exists() and shutil.which("npm") is None:
        return "npm is not on PATH: it installs configurable-http-proxy (Debian: apt-get install npm)"
    return None


def ensure_proxy(timeout: float = 300) -> Path:
    """configurable-http-proxy's command, installed from the npm registry into .hub/ when it is not there yet."""
    if not PROXY_BIN.exists():
        cmd = ["npm", "install", "--prefix", str(PROXY_DIR), "--no-audit", "--no-fund", "--no-save",
               "--loglevel=error", PROXY_PACKAGE]
        log(" ".join(cmd))
        PROXY_DIR.mkdir(exist_ok=True)
        subprocess.run(cmd, check=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return PROXY_BIN


# -- processes ---------------------------------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def marked_processes(run_id: str) -> list:
    """The processes (psutil) whose environment carries TCONV_HUB_RUN=run_id."""
    import psutil

    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get("TCONV_HUB_RUN") == run_id:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def stop_marked(run_id: str, grace: float = 15) -> list[str]:
    """SIGTERM every process group holding a marked process, then SIGKILL what is left; return what survived."""
    import psutil

    def groups():
        pgids = set()
        for proc in marked_processes(run_id):
            try:
                pgids.add(os.getpgid(proc.pid))
            except ProcessLookupError:
                pass
        pgids.discard(os.getpgrp())   # never our own group (pytest's, make's)
        return pgids

    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        for pgid in groups():
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while marked_processes(run_id) and time.monotonic() < deadline:
            time.sleep(0.2)
    left = []
    for proc in marked_processes(run_id):
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
        except psutil.Error:
            pass
    return left


def run(cmd: list[str], env: dict, cwd: Path, timeout: float, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command in its own process group; on timeout kill the whole group (kernels included)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise RuntimeError(f"{' '.join(cmd)} ran past {timeout:g} s:\n{out[-3000:]}") from None
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, "")
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{out[-3000:]}")
    return result


# -- the hub -----------------------------------------------------------------------------------------------------

class Hub:
    """JupyterHub with hub/jupyterhub_config.py, in ``state``; a context manager that always stops everything."""

    def __init__(self, state: Path, users, *, exchange: Path, port: int | None = None):
        self.state = Path(state)
        self.users = list(users)
        self.exchange = Path(exchange)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.run_id = secrets.token_hex(8)
        self.token = secrets.token_hex(32)
        self.proc = None
        self.log_path = self.state / "jupyterhub.log"
        self.env = self._env()

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "MPLBACKEND"))}
        for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                         ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython")]:
            env[var] = str(self.state / "instructor" / sub)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.update(TCONV_HUB_STATE=str(self.state), TCONV_HUB_USERS=",".join(self.users),
                   TCONV_HUB_PORT=str(self.port), TCONV_HUB_API_PORT=str(free_port()),
                   TCONV_HUB_PROXY_API_PORT=str(free_port()), TCONV_HUB_PROXY=str(PROXY_BIN),
                   TCONV_HUB_SERVICE_TOKEN=self.token, TCONV_HUB_EXCHANGE=str(self.exchange),
                   TCONV_HUB_COURSE=COURSE, TCONV_HUB_RUN=self.run_id, PYTHONUNBUFFERED="1")
        return env

    # lifecycle
    def start(self, timeout: float = 90) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
            Path(self.env[var]).mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG)],
                                         cwd=self.state, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self._until(lambda: self.api("GET", "/hub/api/") is not None, timeout, "the hub to answer")

    def stop(self) -> list[str]:
        """Stop every process of this hub (process groups); return the ones still alive (none, normally)."""
        return stop_marked(self.run_id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        left = self.stop()
        if left:
            log("processes left running: " + "; ".join(left))

    def _until(self, ready, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited ({self.proc.returncode}) while waiting for {what}:\n"
                                   + self.log_tail())
            try:
                value = ready()
                if value:
                    return value
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"waited {timeout:g} s for {what}:\n{self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-n:] if self.log_path.exists() else ""

    # HTTP, through the proxy as a browser would go; the service token stands for the logged-in learner
    def request(self, method: str, path: str, *, body=None, form=None, timeout: float = 120):
        headers = {"Authorization": f"token {self.token}"}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode()
            return json.loads(text) if text.strip() else {}

    def api(self, method: str, path: str, **kw):
        try:
            return self.request(method, path, **kw)
        except urllib.error.HTTPError as err:
            if path == "/hub/api/" and err.code in (404, 502, 503):   # the proxy is up, the hub not yet
                return None
            raise RuntimeError(f"{method} {path}: HTTP {err.code} {err.read()[:500]!r}") from None

    def spawn(self, users) -> None:
        """Ask the hub to start each learner's server (POST /hub/api/users/<u>/server), as their login would."""
        for user in users:
            self.api("POST", f"/hub/api/users/{user}/server")

    def wait_for_servers(self, users, timeout: float = 300) -> None:
        """Wait until every one of the learners' servers is ready; fail at once when one has failed to start."""
        def all_ready():
            ready = True
            for user in users:
                server = self.api("GET", f"/hub/api/users/{user}").get("servers", {}).get("")
                if server is None:   # the hub dropped it: the spawn failed (its log says why)
                    raise RuntimeError(f"{user}'s server failed to start:\n{self.log_tail()}")
                ready = ready and bool(server.get("ready"))
            return ready
        self._until(all_ready, timeout, f"the servers of {', '.join(users)}")

    # what a learner's browser does on their server
    def assignments(self, user: str, action: str) -> dict:
        """POST /user/<u>/assignments/<fetch|submit|fetch_feedback> (nbgrader's lab extension endpoints)."""
        return self.api("POST", f"/user/{user}/assignments/{action}",
                        form={"course_id": COURSE, "assignment_id": ASSIGNMENT})

    def listing(self, user: str) -> dict:
        return self.api("GET", f"/user/{user}/assignments?course_id={COURSE}")

    def contents(self, user: str, path: str, model: dict | None = None) -> dict:
        url = f"/user/{user}/api/contents/{urllib.parse.quote(path)}"
        if model is None:
            return self.api("GET", url + "?content=1")
        return self.api("PUT", url, body=model)


# -- the learners' answers ---------------------------------------------------------------------------------------

def _source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def solution_answers() -> dict[str, str]:
    """{answer cell grade_id: the solution's code, without the solution markers} from solutions/."""
    answers = {}
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("solution") and cell["cell_type"] == "code":
                lines = [ln for ln in _source(cell).splitlines(keepends=True)
                         if ln.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
                answers[meta["grade_id"]] = "".join(lines)
    return answers


def answers_for(role: str) -> dict[str, str]:
    answers = solution_answers()
    if role in ("wrong", "hostile"):
        answers[f"{WRONG_EXERCISE}-answer"] = WRONG_ANSWER + (HOSTILE_LINE + TOKEN_HUNT if role == "hostile" else "")
    return answers


def fill_in(nb: dict, answers: dict[str, str]) -> int:
    """Write answers into the notebook's answer cells (matched by grade_id); return how many were written."""
    n = 0
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers and cell["metadata"]["nbgrader"].get("solution"):
            cell["source"] = answers[gid]
            n += 1
    return n


# -- the instructor ----------------------------------------------------------------------------------------------

@dataclass
class Course:
    """The instructor's course directory (nbgrader layout: source/, release/, submitted/, autograded/, feedback/)."""
    root: Path
    env: dict
    notebooks: tuple = NOTEBOOKS
    log_lines: list = field(default_factory=list)

    def nbgrader(self, *args: str, timeout: float = 300) -> str:
        out = run([sys.executable, "-m", "nbgrader", *args], self.env, self.root, timeout).stdout
        self.log_lines.append(f"$ nbgrader {' '.join(args)}\n{out}")
        return out

    def set_up(self, students) -> None:
        source = self.root / "source" / ASSIGNMENT
        source.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(COURSE_CONFIG, self.root / "nbgrader_config.py")
        for name in self.notebooks:
            shutil.copyfile(ROOT / "solutions" / f"{name}.ipynb", source / f"{name}.ipynb")
        roster = self.root / "students.csv"   # the class list, imported in one go
        roster.write_text("id\n" + "".join(f"{s}\n" for s in students))
        self.nbgrader("db", "student", "import", str(roster))

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def release(self) -> Path:
        return self.root / "release" / ASSIGNMENT

    def use_course_feedback(self, pages: Path) -> int:
        """Put the course command's feedback pages (``pages/<student>/<notebook>.html``) where nbgrader's
        generate_feedback wrote its own (``feedback/<student>/<assignment>/<notebook>.html``), so that nbgrader's
        release_feedback and the learners' fetch_feedback carry them: the grades are the course command's, and so
        is the feedback. Returns how many pages were placed."""
        placed = 0
        for page in sorted(Path(pages).glob("*/*.html")):
            target = self.root / "feedback" / page.parent.name / ASSIGNMENT / page.name
            if target.parent.is_dir():       # nbgrader made feedback for this learner (timestamp, secret)
                shutil.copyfile(page, target)
                placed += 1
        return placed

    def nbgrader_scores(self, students) -> dict[tuple[str, str], tuple[float, float]]:
        """{(student, exercise): (score, max score)} from nbgrader's gradebook (grade cell `<exercise>-check`)."""
        from nbgrader.api import Gradebook, MissingEntry

        scores = {}
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            for student in students:
                try:
                    sub = gb.find_submission(ASSIGNMENT, student)
                except MissingEntry:
                    continue
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        exercise = grade.name[:-len("-check")] if grade.name.endswith("-check") else grade.name
                        scores[(student, exercise)] = (float(grade.score), float(grade.max_score))
        return scores


def grade_with_course_command(submitted_dir: Path, csv_path: Path, *, release: Path | None = None,
                              env: dict | None = None, timeout: float = 600, report: Path | None = None,
                              feedback: Path | None = None) -> tuple[int, str, list[dict]]:
    """The instructor's gradebook from the course's own command; returns (exit status, its output, CSV rows).

    The command's interface: ``python -m tconv_edu.grading [--release DIR] [--jobs N] --csv FILE PATH...`` grades
    every notebook found under a folder, matches it to the release (default exercises/; here nbgrader's release
    folder, the notebooks the learners fetched) and writes one row per (student, exercise) with the columns
    student, exercise, points, max_points, cases, mistake (and others); `student` is the first path component below
    the folder given (nbgrader's submitted/<student>/<assignment>/). Exit status: 0 all passed, 1 something failed, 2
    something could not be graded. ``--report FILE`` writes the class report, ``--feedback DIR`` one page per
    learner notebook as ``DIR/<student>/<notebook>.html``.
    """
    cmd = [sys.executable, "-m", "tconv_edu.grading", "--jobs", "2", "--csv", str(csv_path)]
    if release is not None:
        cmd += ["--release", str(release)]
    if report is not None:
        cmd += ["--report", str(report)]
    if feedback is not None:
        cmd += ["--feedback", str(feedback)]
    cmd.append(str(submitted_dir))
    done = run(cmd, env or dict(os.environ), ROOT, timeout, check=False)
    rows = []
    if Path(csv_path).exists():
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
    return done.returncode, done.stdout, rows


# -- the round trip ----------------------------------------------------------------------------------------------

@dataclass
class ClassResult:
    """What the round trip did and found, for the demo's printout and the test's checks."""
    fetched: dict = field(default_factory=dict)        # learner -> notebook names fetched on their server
    submitted: dict = field(default_factory=dict)      # learner -> True when the submit endpoint said success
    collected: list = field(default_factory=list)      # learners found under course/submitted/
    course_status: int | None = None                   # exit status of the course's command
    course_output: str = ""
    gradebook: list = field(default_factory=list)      # the course command's CSV rows
    nbgrader: dict = field(default_factory=dict)       # (learner, exercise) -> (score, max) from nbgrader autograde
    feedback: dict = field(default_factory=dict)       # learner -> feedback files on their server after fetching
    feedback_pages: dict = field(default_factory=dict)  # learner -> the text of the first page they fetched
    report: Path | None = None                         # the course command's class report
    timings: dict = field(default_factory=dict)        # step -> seconds
    left_running: list = field(default_factory=list)   # processes alive after stop (should be empty)
    run_id: str = ""                                   # TCONV_HUB_RUN of every process started


def run_class(state: Path, *, learners: dict = LEARNERS, notebooks=NOTEBOOKS, keep: bool = False,
              port: int | None = None) -> ClassResult:
    """The whole round trip in ``state`` (created); every process it starts is stopped before it returns."""
    state = Path(state)
    result = ClassResult()
    t0 = time.monotonic()

    def step(name):
        result.timings[name] = round(time.monotonic() - t0, 1)
        log(f"{result.timings[name]:6.1f} s  {name}")

    ensure_proxy()
    exchange = state / "exchange"
    exchange.mkdir(parents=True, exist_ok=True)
    hub = Hub(state / "hub", learners, exchange=exchange, port=port)
    course = Course(state / "course", hub.env, tuple(notebooks))
    result.run_id = hub.run_id
    try:
        hub.start()
        step(f"hub up at {hub.url}")
        hub.spawn(learners)   # the learners' servers start while the instructor prepares the assignment
        course.set_up(learners)
        course.nbgrader("generate_assignment", ASSIGNMENT, "--force")
        course.nbgrader("release_assignment", ASSIGNMENT, "--force")
        step(f"instructor generated and released {ASSIGNMENT} ({', '.join(notebooks)})")
        hub.wait_for_servers(list(learners))
        step(f"servers of {', '.join(learners)} ready")

        for user, role in learners.items():
            listing = hub.assignments(user, "fetch")
            fetched = [a for a in listing.get("value", []) if a.get("assignment_id") == ASSIGNMENT
                       and a.get("status") == "fetched"]
            if not fetched:
                raise RuntimeError(f"{user} could not fetch {ASSIGNMENT}: {json.dumps(listing)[:2000]}")
            result.fetched[user] = sorted(nb["notebook_id"] for nb in fetched[0]["notebooks"])
            if role == "never submits":
                continue
            answers = answers_for(role)
            for name in notebooks:
                path = f"{ASSIGNMENT}/{name}.ipynb"
                model = hub.contents(user, path)
                if not fill_in(model["content"], answers):
                    raise RuntimeError(f"{path} on {user}'s server has no answer cell of solutions/")
                hub.contents(user, path, {"type": "notebook", "format": "json", "content": model["content"]})
            out = hub.assignments(user, "submit")
            result.submitted[user] = bool(out.get("success"))
            if not out.get("success"):
                raise RuntimeError(f"{user} could not submit: {out.get('value', out)}")
        step("learners fetched, answered (Contents API) and submitted")

        course.nbgrader("collect", ASSIGNMENT)
        result.collected = sorted(p.name for p in course.submitted.iterdir()) if course.submitted.exists() else []
        step(f"instructor collected {', '.join(result.collected)}")

        # as from the instructor's own server on the hub, whose environment holds its API token
        result.report = state / "class_report.html"
        status, output, rows = grade_with_course_command(course.submitted, state / "grades.csv",
                                                         release=course.release,
                                                         env=dict(hub.env, JUPYTERHUB_API_TOKEN=hub.token),
                                                         report=result.report, feedback=state / "feedback")
        result.course_status, result.course_output, result.gradebook = status, output, rows
        step(f"course command graded (exit {status}, {len(rows)} gradebook rows)")

        course.nbgrader("autograde", ASSIGNMENT, timeout=900)
        result.nbgrader = course.nbgrader_scores(learners)
        step("nbgrader autograde done")

        course.nbgrader("generate_feedback", ASSIGNMENT)
        course.use_course_feedback(state / "feedback")
        course.nbgrader("release_feedback", ASSIGNMENT)
        for user in learners:
            hub.assignments(user, "fetch_feedback")
            result.feedback[user] = feedback_files(hub, user)
            if result.feedback[user]:
                page = hub.contents(user, f"{ASSIGNMENT}/feedback/{result.feedback[user][0]}")
                result.feedback_pages[user] = page.get("content") or ""
        step("feedback generated (the course's pages), released and fetched")

        if keep:
            print(f"\nThe hub stays up: open {hub.url}/hub/login and log in as any of {', '.join(learners)} "
                  "(no password). Ctrl-C stops it.", flush=True)
            try:
                while hub.proc.poll() is None:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
    except Exception:
        log("jupyterhub's log, last lines:\n" + hub.log_tail())
        raise
    finally:
        (state / "nbgrader.log").write_text("\n".join(course.log_lines))
        result.left_running = hub.stop()
        step("everything stopped" + (f"; LEFT RUNNING: {result.left_running}" if result.left_running else ""))
    return result


def feedback_files(hub: Hub, user: str) -> list[str]:
    """The feedback files in the learner's fetched assignment (<assignment>/feedback/<timestamp>/*.html)."""
    try:
        top = hub.contents(user, f"{ASSIGNMENT}/feedback")
    except RuntimeError:
        return []
    files = []
    for entry in top.get("content") or []:
        if entry["type"] == "directory":
            files += [f"{entry['name']}/{f['name']}" for f in hub.contents(user, entry["path"])["content"]]
    return sorted(files)


def report(result: ClassResult, learners: dict = LEARNERS) -> str:
    """The two gradebooks side by side: the course's command and nbgrader autograde."""
    course = {(r["student"], r["exercise"]): r for r in result.gradebook}
    keys = sorted(set(course) | set(result.nbgrader), key=lambda k: (list(learners).index(k[0])
                                                                     if k[0] in learners else 99, k[1]))
    lines = [f"{'learner':<8} {'role':<14} {'exercise':<22} {'course':>8} {'nbgrader':>9}  cases  mistake"]
    for student, exercise in keys:
        row = course.get((student, exercise), {})
        ours = f"{row['points']}/{row['max_points']}" if row else "-"
        nb = result.nbgrader.get((student, exercise))
        theirs = f"{nb[0]:g}/{nb[1]:g}" if nb else "-"
        lines.append(f"{student:<8} {learners.get(student, ''):<14} {exercise:<22} {ours:>8} {theirs:>9}  "
                     f"{row.get('cases', ''):<5}  {row.get('mistake', '')}")
    for user in learners:
        if user not in result.collected:
            lines.append(f"{user:<8} {learners[user]:<14} (no submission)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--state", type=Path, default=ROOT / ".hub" / "demo",
                    help="folder for the hub, the exchange and the course (replaced; default .hub/demo)")
    ap.add_argument("--notebooks", nargs="+", default=list(NOTEBOOKS), choices=NOTEBOOKS)
    ap.add_argument("--port", type=int, help="the hub's public port on 127.0.0.1 (default: a free one)")
    ap.add_argument("--keep", action="store_true", help="leave the hub up after the round trip (Ctrl-C stops it)")
    args = ap.parse_args(argv)
    reason = missing_reason()
    if reason:
        print(f"make hub: {reason}", file=sys.stderr)
        return 2
    if args.state.exists():
        shutil.rmtree(args.state)
    result = run_class(args.state, notebooks=args.notebooks, keep=args.keep, port=args.port)
    print("\n" + report(result))
    print(f"\ncourse command (exit {result.course_status}):\n{result.course_output.rstrip()}")
    print("\nfeedback fetched: " + ", ".join(f"{u}: {len(f)} file(s)" for u, f in result.feedback.items()))
    print(f"course directory, exchange and logs: {args.state}")
    # exit 1 from the course command is the class's doing (bob's and mallory's answers); 2 is not
    return 1 if result.left_running or result.course_status == 2 else 0


if __name__ == "__main__":
    sys.exit(main())
