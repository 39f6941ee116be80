"""JupyterHub for the loopback class demo (``make hub``, ``scripts/hub_demo.py``, ``tests/test_hub.py``).

Everything on 127.0.0.1. The demo sets the ``TCONV_HUB_*`` variables below; an instructor reading this file for a
real deployment changes the values marked "at scale" (README, "For instructors").
"""
import os
import sys

c = get_config()  # noqa: F821 - defined by JupyterHub when it loads this file

state = os.environ["TCONV_HUB_STATE"]          # the hub's database, cookie secret, the learners' homes
here = os.path.dirname(os.path.abspath(__file__))

# -- network: proxy (public), proxy API and hub, all on loopback; single-user servers take random loopback ports
c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ['TCONV_HUB_PORT']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ['TCONV_HUB_API_PORT']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['TCONV_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [os.environ["TCONV_HUB_PROXY"]]   # the npm package configurable-http-proxy
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "proxy.pid")
c.Spawner.ip = "127.0.0.1"

c.JupyterHub.db_url = "sqlite:///" + os.path.join(state, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(state, "jupyterhub.pid")

# -- who may log in (at scale: a real authenticator, e.g. an OAuthenticator or LTI, with the same allowed_users)
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = set(filter(None, os.environ["TCONV_HUB_USERS"].split(",")))

# -- how learners' servers start (at scale: KubeSpawner on Kubernetes, SystemdSpawner on The Littlest JupyterHub).
# The simple spawner runs every server as the hub's own unix user, in a home folder of its own.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(state, "home", "{username}")
c.Spawner.cmd = [os.path.join(os.path.dirname(sys.executable), "jupyterhub-singleuser")]   # the hub's env
c.Spawner.default_url = "/lab"
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []   # CI and many containers run as root
c.Spawner.start_timeout = 240   # a contended 2-core machine starts four JupyterLab servers in about 40 s
c.Spawner.http_timeout = 240
# the learners' Jupyter configuration (nbgrader's exchange and student id, the learner's extensions): a directory
# on the config path, as /etc/jupyter or <user env>/etc/jupyter would be on a real hub
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": os.path.join(here, "learner"),
    "TCONV_HUB_EXCHANGE": os.environ["TCONV_HUB_EXCHANGE"],
    "TCONV_HUB_COURSE": os.environ["TCONV_HUB_COURSE"],
    "TCONV_HUB_RUN": os.environ.get("TCONV_HUB_RUN", ""),   # marks the demo's processes, so all can be stopped
}

# -- the instructor's script drives the hub through its REST API with this service token
c.JupyterHub.services = [{"name": "course-driver", "api_token": os.environ["TCONV_HUB_SERVICE_TOKEN"]}]
c.JupyterHub.load_roles = [{
    "name": "course-driver",
    "scopes": ["admin:users", "admin:servers", "access:servers", "read:users"],
    "services": ["course-driver"],
}]
