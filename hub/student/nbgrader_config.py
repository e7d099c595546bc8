"""nbgrader configuration of a student's server on the course's JupyterHub (hub/jupyterhub_config.py
puts this folder on the server's JUPYTER_CONFIG_PATH): which course, and where its exchange is."""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "dlcourse"
c.Exchange.root = os.environ["DLCOURSE_EXCHANGE"]
c.Exchange.path_includes_course = True
# Who submits: the hub's user name. nbgrader would take the operating-system user, which is the
# same name under the system mode and the hub's own user for every student in the trial mode.
if os.environ.get("JUPYTERHUB_USER"):
    c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
