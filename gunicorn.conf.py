"""gunicorn's settings for this project (read from the working directory at start).

The app refuses a query string over 4,000 characters with a 400 that says so
(config.middleware); gunicorn's default request-line limit (4,094 bytes,
method and path included) would answer such a request first with a bare 414
that the API's schema does not describe. 8,190 leaves the app to answer.
"""

limit_request_line = 8190

# Request metrics (ops.metrics) are counted by each worker process and summed
# at every scrape from files in PROMETHEUS_MULTIPROC_DIR. The directory must
# be set before a worker imports prometheus-client, and emptied at each start
# (a file left by a previous run would be summed in): without the variable,
# a fresh directory for this run, removed at exit; with it, its files cleared.
_metrics_dir_made = False


def on_starting(server):
    global _metrics_dir_made
    import os
    import tempfile
    from pathlib import Path

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="priority-metrics-")
        _metrics_dir_made = True
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    for stale in Path(directory).glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    import os
    import shutil

    if _metrics_dir_made:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


# gunicorn's control socket (for `gunicornc`, since 25.1) is one path per user by
# default ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl): a second
# server on the host (scale-out, the bench, the integration tests) fails to bind
# it and logs an error. The servers here are run by a process manager and
# signals, not gunicornc.
control_socket_disable = True
