"""JupyterHub for a class on one machine: per-student logins and servers, nbgrader's exchange
between the instructor and the students. Start it with `make hub` (or `dlcourse hub`).

Who is who, and where things live, comes from the environment (defaults in brackets):

DLCOURSE_HUB_MODE         "system" [default]: students log in with their system account (PAM) and
                          each server runs as that account, so the operating system keeps one
                          student's files from another. "trial": any name in the lists below logs
                          in with DLCOURSE_HUB_PASSWORD and every server runs as the hub's own user,
                          with a home under the state folder: for trying the hub out and for the
                          tests, never for a class (no isolation between students).
DLCOURSE_HUB_INSTRUCTORS  comma-separated instructor names [instructor]: hub admins, whose server
                          opens in the course directory (this repository) with the Formgrader
DLCOURSE_HUB_STUDENTS     comma-separated student names [empty: any system user may log in]
DLCOURSE_HUB_PORT         the port the hub listens on [8000]
DLCOURSE_HUB_IP           the address it listens on [all interfaces; 127.0.0.1 in the trial mode]
DLCOURSE_HUB_STATE        the hub's database, cookie secret and trial homes [hub/state]
DLCOURSE_EXCHANGE         nbgrader's exchange, shared by every server [/srv/nbgrader/exchange]
DLCOURSE_HUB_COURSE       the instructor's course directory [this repository]
DLCOURSE_HUB_API_TOKEN    optional: a token with admin rights for scripts (a service "course-admin")
"""
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

HUB = Path(__file__).resolve().parent
COURSE = Path(os.environ.get("DLCOURSE_HUB_COURSE") or HUB.parent).resolve()
STATE = Path(os.environ.get("DLCOURSE_HUB_STATE") or HUB / "state").resolve()
EXCHANGE = os.environ.get("DLCOURSE_EXCHANGE") or "/srv/nbgrader/exchange"
MODE = os.environ.get("DLCOURSE_HUB_MODE", "system")
BIN = Path(sys.executable).parent      # the course environment: the same for the hub and every server


def names(variable: str, default: str = "") -> set[str]:
    return {n.strip() for n in os.environ.get(variable, default).split(",") if n.strip()}


INSTRUCTORS = names("DLCOURSE_HUB_INSTRUCTORS", "instructor")
STUDENTS = names("DLCOURSE_HUB_STUDENTS")

STATE.mkdir(parents=True, exist_ok=True)
if not os.path.isdir(EXCHANGE):              # every server writes here: world-writable, sticky
    os.makedirs(EXCHANGE)
    os.chmod(EXCHANGE, 0o1777)
# A trial hub lets anyone listed in without a real password: it listens on this machine only.
IP = os.environ.get("DLCOURSE_HUB_IP", "127.0.0.1" if MODE == "trial" else "")
c.JupyterHub.bind_url = f"http://{IP}:{int(os.environ.get('DLCOURSE_HUB_PORT', '8000'))}"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.command = [str(HUB / "node_modules" / ".bin" / "configurable-http-proxy")]

c.Authenticator.admin_users = INSTRUCTORS
if STUDENTS:
    c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS
else:
    c.Authenticator.allow_all = True

if MODE == "trial":
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ.get("DLCOURSE_HUB_PASSWORD", "")
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
    if os.geteuid() == 0:                       # every trial server runs as the hub's user
        c.Spawner.args = ["--allow-root"]
elif MODE == "system":
    c.JupyterHub.authenticator_class = "pam"
    c.JupyterHub.spawner_class = "localprocess"
else:
    raise ValueError(f"DLCOURSE_HUB_MODE must be 'system' or 'trial', not {MODE!r}")

c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {"DLCOURSE_EXCHANGE": EXCHANGE,
                         "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"}


def course_roles(spawner):
    """Students get the course's nbgrader settings; instructors open in the course directory."""
    if spawner.user.name in INSTRUCTORS:
        spawner.notebook_dir = str(COURSE)
        config_path = str(COURSE)
    else:
        config_path = str(HUB / "student")
    spawner.environment = {**spawner.environment, "JUPYTER_CONFIG_PATH": config_path}


c.Spawner.pre_spawn_hook = course_roles

token = os.environ.get("DLCOURSE_HUB_API_TOKEN")
if token:
    c.JupyterHub.services = [{"name": "course-admin", "api_token": token}]
    c.JupyterHub.load_roles = [{"name": "course-admin", "services": ["course-admin"],
                                "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"]}]
