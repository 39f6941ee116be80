"""nbgrader for a learner's server: where the exchange is and who submits (loaded from JUPYTER_CONFIG_PATH)."""
import os

c = get_config()  # noqa: F821 - defined by nbgrader when it loads this file

# at scale: a folder shared by every learner's server and the instructor's (a ReadWriteMany volume on Kubernetes,
# /srv/nbgrader/exchange on one server)
c.Exchange.root = os.environ["TCONV_HUB_EXCHANGE"]
c.CourseDirectory.course_id = os.environ.get("TCONV_HUB_COURSE", "tconv")
# nbgrader names a submitter by the unix user (only `jovyan` defers to JUPYTERHUB_USER); every learner's server
# here runs as one unix user, so name them by their hub user instead
if os.environ.get("JUPYTERHUB_USER"):
    c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
