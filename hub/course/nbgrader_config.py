"""nbgrader for the instructor's course directory (copied into it by scripts/hub_demo.py)."""
import os

c = get_config()  # noqa: F821 - defined by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = os.environ.get("TCONV_HUB_COURSE", "tconv")
c.Exchange.root = os.environ["TCONV_HUB_EXCHANGE"]   # the same folder as the learners' (see hub/learner/)
# every learner's server runs as one unix user here, so the owner of a submission cannot name its learner
c.ExchangeCollect.check_owner = False
