"""What an operator installs and reads: the lock files, the version, the files
beside the code. (The production install itself is built and checked by
.ci/run: a throwaway virtualenv from requirements.txt alone.)"""

import re
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

from config.version import __version__

ROOT = Path(__file__).resolve().parent.parent
TEST_TOOLING = {
    "pytest",
    "pytest-django",
    "factory-boy",
    "faker",
    "import-linter",
    "hypothesis",
    "playwright",
    "schemathesis",
    "ruff",
    "pip-tools",
}


def _pins(path):
    """{normalised name: version} of a pip-compile'd file, asserting every pin has a hash."""
    text = (ROOT / path).read_text()
    pins = {}
    for block in re.split(r"\n(?=\S)", text):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if not match:
            continue
        assert "--hash=sha256:" in block, f"{path}: {match[1]} has no hash"
        pins[_normalise(match[1])] = match[2]
    return pins


def _normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement):
    return _normalise(re.match(r"[A-Za-z0-9._-]+", requirement)[0])


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_production_lock_file_holds_no_test_tooling():
    assert _pins("requirements.txt").keys().isdisjoint(TEST_TOOLING)


def test_the_lock_files_pin_every_declared_dependency_at_the_same_version():
    project = _pyproject()["project"]
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")
    for requirement in project["dependencies"]:
        assert _requirement_name(requirement) in runtime, requirement
    for requirement in project["optional-dependencies"]["test"]:
        assert _requirement_name(requirement) in dev, requirement
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_version_is_written_once_and_is_the_changelogs_latest_release():
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "config.version.__version__"
    }
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.M)[1] == __version__


def test_the_api_schema_states_the_version(client):
    assert settings.SPECTACULAR_SETTINGS["VERSION"] == __version__
    document = client.get("/api/schema/?format=json").json()
    assert document["info"]["version"] == __version__


@pytest.mark.django_db
def test_every_signed_in_page_shows_the_version_in_its_footer(client, marketing_user):
    client.force_login(marketing_user)
    page = client.get("/").content.decode()
    assert f'<footer class="app-footer muted">Priority {__version__} · MIT licence</footer>' in page


def test_the_login_page_does_not_tell_strangers_the_version(client):
    page = client.get("/accounts/login/").content.decode()
    assert __version__ not in page


def _variables_read_by_the_code():
    """Every environment variable config/, ops/ and gunicorn.conf.py read."""
    pattern = re.compile(
        r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"|os\.environ(?:\.get|\.setdefault)?[(\[]\s*"([A-Z0-9_]+)"'
    )
    files = [*ROOT.glob("config/**/*.py"), *ROOT.glob("ops/**/*.py"), ROOT / "gunicorn.conf.py"]
    return {
        name
        for f in files
        for match in pattern.finditer(f.read_text())
        for name in match.groups()
        if name
    }


def _documented():
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.M))


def test_env_example_documents_every_variable_the_settings_read():
    read = _variables_read_by_the_code()
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "CELERY_BROKER_URL"} <= read
    assert read - _documented() == set()


def test_env_example_documents_every_variable_the_procfile_reads():
    procfile = (ROOT / "Procfile").read_text()
    read = set(re.findall(r"\$\{([A-Z0-9_]+)", procfile)) | {"WEB_CONCURRENCY"}
    assert read - _documented() == set()


def test_the_procfile_runs_web_beat_and_a_worker_for_every_queue_tasks_go_to():
    processes = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(processes) == {"web", "worker", "webhooks", "beat"}
    assert processes["web"].split()[:4] == [
        "gunicorn",
        "config.wsgi",
        "--config",
        "gunicorn.conf.py",
    ]
    assert " beat " in processes["beat"]
    consumed = {cmd.split(" -Q ")[1].split()[0] for cmd in processes.values() if " worker " in cmd}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert consumed == routed | {"celery"}


def test_test_runs_write_no_example_database_or_cache_into_the_checkout():
    from hypothesis.configuration import storage_directory

    assert not storage_directory("examples", intent_to_write=False).path.is_relative_to(ROOT)
