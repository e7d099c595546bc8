"""`python -m helpers.course.nbgrader_main ARGS` runs nbgrader's command line, about 3 s faster.

Every import of nbformat imports jsonschema, which imports the optional `rfc3987_syntax` format
checker if it is installed (jupyter-events installs it); that module compiles a grammar on import,
which takes about 2.8 s on a 2-core machine. nbgrader never validates IRI-formatted strings, so we
make that optional import fail fast, as it does where the package is absent.
"""
import sys


def skip_slow_optional_imports() -> None:
    sys.modules.setdefault("rfc3987_syntax", None)  # jsonschema treats it as not installed


def main() -> None:
    skip_slow_optional_imports()
    from nbgrader.apps.nbgraderapp import main as nbgrader_main
    sys.argv[0] = "nbgrader"
    nbgrader_main()


if __name__ == "__main__":
    main()
