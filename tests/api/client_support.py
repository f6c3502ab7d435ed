"""Generate the Python client an integrator would, from the schema the app serves.

openapi-python-client (pinned in the `test` extra) reads the schema rendered
in-process (`manage.py spectacular`, as the served one) and writes a package;
nothing is fetched. Its output is returned line by line: a generator that
drops a model or an operation says so there.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import yaml
from django.core.management import call_command

PACKAGE = "priority_client"
# No post-generation hooks: the generator would run ruff over its output, which
# is not what this checks (and ruff's absence from PATH is itself a warning).
# The generator's defaults otherwise: no override of any content type.
CONFIG = {
    "post_hooks": [],
    "package_name_override": PACKAGE,
}


def render_schema(directory: Path) -> Path:
    """The schema as `manage.py spectacular` writes it; any drf-spectacular warning fails."""
    path = directory / "openapi.yaml"
    call_command("spectacular", file=str(path), validate=True, fail_on_warn=True)
    return path


def generate_client(schema: Path, directory: Path) -> tuple[Path, list[str]]:
    """Run the generator's CLI; the package's directory and what the CLI printed."""
    config = directory / "generator.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    package = directory / PACKAGE
    done = subprocess.run(  # noqa: S603 (fixed arguments: this interpreter, the pinned tool)
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(package),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 0, "\n".join(lines)
    return package, lines


def import_client(package: Path):
    """Import the generated package (fresh: a previous import is forgotten)."""
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]
    sys.path.insert(0, str(package.parent))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(package.parent))
