"""Whether the judge's sandbox (bubblewrap) works here: tests that grade skip where it does not, and say why, except
under TCONV_EDU_REQUIRE_SANDBOX (set by .ci/run once it has installed bubblewrap), where they fail instead."""
import os

import pytest

from tconv_edu.grading.judge import _sandbox

WHY = _sandbox.probe()
if WHY and os.environ.get("TCONV_EDU_REQUIRE_SANDBOX"):
    raise RuntimeError(f"TCONV_EDU_REQUIRE_SANDBOX is set but the judge's sandbox does not work here: {WHY}")

needs_sandbox = pytest.mark.skipif(WHY is not None, reason=f"the judge's sandbox does not work here: {WHY}")
