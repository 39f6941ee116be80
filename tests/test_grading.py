"""check(): the API, success and failure reports, and robustness to whatever a learner's function does."""
import threading
import time

import numpy as np
import pytest

from own_tconv import own_tconv
from tconv_edu.grading import EXERCISES, check

IDS = ["scatter_2d", "scatter_strided", "output_size", "conv_matrix", "zero_insertion", "input_gradient", "overlap",
       "multi_channel", "bilinear_kernel", "port_tf_same", "grouped", "resize_conv_kernel", "scatter_1d"]


def scatter_2d(x, k):
    return own_tconv(x, k)


def rejected(answer, exercise_id="scatter_2d", **kw):
    with pytest.raises(AssertionError) as info:
        check(exercise_id, answer, **kw)
    return str(info.value)


# ------------------------------------------------------------------------------------------------------ API

def test_exercises_list_ids_points_signatures_and_statements():
    assert list(EXERCISES) == IDS
    for ex_id, ex in EXERCISES.items():
        assert ex.id == ex_id and isinstance(ex.points, int) and ex.points > 0
        name = ex_id if ex_id != "overlap" else "overlap"
        assert ex.signature.startswith(name + "(")
        assert ex.statement and "\n" not in ex.statement


def test_success_prints_one_line_with_exercise_cases_and_points(capsys):
    check("scatter_2d", scatter_2d)
    out = capsys.readouterr().out
    assert out == "scatter_2d: all 12 cases passed (4 fixed, 8 random), 2/2 points\n"


def test_random_cases_are_fresh_each_call_and_repeatable_with_seed():
    ex = EXERCISES["scatter_2d"]
    rng = lambda seed: np.random.default_rng(seed)  # noqa: E731
    draw = lambda seed: [c.args["x"].tolist() for c in ex.cases(rng(seed)) if c.random]  # noqa: E731
    assert draw(1) == draw(1) and draw(1) != draw(2)
    seen = []

    def spy(x, k):
        seen.append(x.tolist())
        return own_tconv(x, k)
    check("scatter_2d", spy)
    check("scatter_2d", spy)
    first, second = seen[:12], seen[12:]
    assert first != second      # a hard-coded answer to one call's cases cannot pass the next


def test_hard_coding_the_example_fails():
    def article_only(x, k):
        return np.array([[0., 1, 2], [1, 5, 4], [3, 4, 0]])
    assert "cases failed" in rejected(article_only)


def test_no_random_case_expects_only_zeros():
    """A stride and a padding can crop an all-zero output out of the gaps between the stamps: such a case would
    reward an answer of zeros. Counts of zero ("counts", "int") are real answers and stay."""
    from tconv_edu.grading.learner._check import cases_for
    for ex in EXERCISES.values():
        for seed in range(60):
            for case in cases_for(ex, seed):
                if case.random and ex.functions[case.func] in ("array", "matrix"):
                    assert np.any(ex.reference(case)), (ex.id, seed, case.args)


def test_zeros_of_the_right_shape_pass_no_case():
    from tconv_edu.grading.learner._check import grade

    def scatter_strided(x, k, stride, padding):          # the output's size, worked out without the library
        (h, w), (kh, kw) = np.shape(x), np.shape(k)
        return np.zeros(((h - 1) * stride + kh - 2 * padding, (w - 1) * stride + kw - 2 * padding))
    for seed in range(40):
        result = grade(EXERCISES["scatter_strided"], scatter_strided, seed=seed)
        assert (result.n_passed, result.n_cases) == (0, 12), (seed, result.summary)


def test_unknown_exercise_id():
    with pytest.raises(KeyError, match="expected one of scatter_2d"):
        check("scatter_3d", scatter_2d)


def test_not_implemented_yet():
    def stub(x, k):
        raise NotImplementedError("Exercise scatter_2d: not implemented yet")
    report = rejected(stub)
    assert report == ("scatter_2d: not implemented yet: replace the `raise NotImplementedError(...)` in scatter_2d() "
                      "with your code (0/2 points)")


def test_the_function_must_be_passed_not_its_value():
    report = rejected(scatter_2d(np.ones((2, 2)), np.ones((2, 2))))
    assert "expected the function scatter_2d itself (without calling it), got a numpy array" in report


def test_overlap_takes_both_functions():
    assert "expected the 2 functions (overlap, uniform) as a tuple" in rejected(lambda n, k, s: 0, "overlap")


# ----------------------------------------------------------------------------------------------- robustness

def test_function_that_raises():
    def broken(x, k):
        return x @ k @ np.ones((7, 7))
    report = rejected(broken)
    assert "your function raised ValueError: matmul" in report
    assert "in broken: return x @ k @ np.ones((7, 7))" in report       # where, in the learner's code


def test_function_that_exits():
    def exits(x, k):
        raise SystemExit(3)
    assert "your function raised SystemExit: 3" in rejected(exits)


def test_function_returning_none():
    def forgot_return(x, k):
        own_tconv(x, k)
    assert "your function returned None (a missing `return`?); expected an array of shape" in rejected(forgot_return)


def test_function_returning_a_list():
    report = rejected(lambda x, k: own_tconv(x, k).tolist())
    assert "expected a numpy array of shape" in report and "got list [[" in report and "np.array(...)" in report


def test_function_returning_the_wrong_shape():
    report = rejected(lambda x, k: own_tconv(x, k).ravel())
    assert "expected shape (" in report and "got shape (" in report
    assert "expected (shape" in report and "got (shape" in report


def test_function_returning_the_wrong_dtype():
    report = rejected(lambda x, k: own_tconv(x, k).astype(int))
    assert "expected a float array, got dtype int" in report and "truncates" in report


def test_function_returning_nan():
    def uninitialised(x, k):
        y = own_tconv(x, k)
        y[-1, -1] = np.nan
        return y
    report = rejected(uninitialised)
    assert "NaN or infinite value(s), the first at (" in report


def test_function_that_changes_its_inputs():
    def in_place(x, k):
        k *= 1.0
        x += 1
        return own_tconv(x - 1, k)
    report = rejected(in_place)
    assert "your function changed its argument x in place" in report


def test_mutation_does_not_affect_grading_of_later_cases():
    def flips_k_in_place(x, k):
        k[:] = k[::-1, ::-1].copy()
        return own_tconv(x, k[::-1, ::-1])     # right answer, but the caller's k is ruined
    assert "changed its argument k in place" in rejected(flips_k_in_place)


def test_function_that_runs_too_long():
    def endless(x, k):
        while True:
            pass
    t0 = time.perf_counter()
    report = rejected(endless, time_limit=0.3)
    assert time.perf_counter() - t0 < 5
    assert report.startswith("scatter_2d: your function did not finish within the time limit (0.3 s")
    assert "time_limit=30" in report


def test_function_that_swallows_the_time_limit():
    done = threading.Event()

    def stubborn(x, k):
        while not done.is_set():    # (the test's way to stop it afterwards; a learner's loop would run on)
            try:
                while not done.is_set():
                    pass
            except BaseException:   # noqa: BLE001 - what a learner might write
                pass
    t0 = time.perf_counter()
    try:
        assert "did not finish within the time limit" in rejected(stubborn, time_limit=0.2)
        assert time.perf_counter() - t0 < 5     # control came back although the function swallowed every stop
    finally:
        done.set()


def test_time_limit_outside_the_main_thread():
    """Away from the main thread there is no SIGALRM: the function runs in a helper thread that is stopped."""
    box = {}

    def endless(x, k):
        while True:
            pass

    def grade():
        try:
            check("scatter_2d", endless, time_limit=0.3)
        except AssertionError as err:
            box["report"] = str(err)
    before = set(threading.enumerate())
    t = threading.Thread(target=grade)
    t.start()
    t.join(10)
    assert "did not finish within the time limit" in box["report"]
    time.sleep(0.2)
    helpers = [h for h in set(threading.enumerate()) - before if h.name == "tconv_edu-grading"]
    assert helpers == []        # the runaway helper thread was stopped


def test_function_that_sleeps_too_long():
    t0 = time.perf_counter()
    assert "did not finish within the time limit" in rejected(lambda x, k: time.sleep(3), time_limit=0.2)
    assert time.perf_counter() - t0 < 2.5      # control came back before the sleep ended


def test_printing_is_captured_and_shown_on_failure(capsys):
    def chatty(x, k):
        print("debug: shapes", x.shape, k.shape)
        return own_tconv(x, k[::-1, ::-1])
    report = rejected(chatty)
    assert "your function printed:\n  debug: shapes" in report
    assert capsys.readouterr().out == ""

    def chatty_but_right(x, k):
        print("hello")
        return own_tconv(x, k)
    check("scatter_2d", chatty_but_right)
    assert capsys.readouterr().out.count("\n") == 1          # just the success line


def test_report_names_each_argument_of_the_smallest_failing_case():
    # seeded: some draws hold a random case smaller than the fixed 1x1 one (x of shape (1, 2), or x on two lines)
    report = rejected(lambda x, k: own_tconv(x, k) + 1, seed=0)
    head = report.splitlines()
    assert head[0] == "scatter_2d: 12 of 12 cases failed, 0/12 cases passed (0/2 points)."
    assert head[1].startswith("Smallest failing case") and "scatter_2d(x, k) with" in head[1]
    assert head[2].startswith("  x = [[") and "(shape (1, 1))" in head[2]
