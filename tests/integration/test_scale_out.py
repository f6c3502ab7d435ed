"""Scale-out: two Celery workers and two gunicorn servers on one PostgreSQL and one Redis.

Several threads drive the two servers over HTTP at once: evidence batches
(some sent again, as a client retries, with items moved to another
initiative), metric readings, key-result check-ins and initiative edits with
If-Match. When no work is left (no mark, no pending evidence, no full-rescore
request, empty queues), every initiative's stored score, reach and evidence
sums must equal those of a clean full rescore that aggregates all the
evidence again: no item counted twice, no mark lost. No process may have
logged a deadlock, a traceback or an error.

The evidence half-life is set far out (10^9 days) in every process, so the
seconds between two runs decay nothing measurable and scores written at
different moments compare to 1e-9.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from amqp.exceptions import ChannelError
from rest_framework.authtoken.models import Token

from config.celery import app as celery_app
from okrs.models import KeyResult, MetricReading
from okrs.progress import key_result_progress
from roadmap import scoring, services
from roadmap.models import Evidence, FullRescore, Initiative, PendingEvidence, RecomputeRun
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
    UserFactory,
)
from tests.integration.conftest import QUEUES, ROOT, wait_for

HALF_LIFE_DAYS = 1e9
DEADLINE = 120  # seconds, for anything the stack must get done; generous on a loaded host
BAD_LOG_LINE = re.compile(r"deadlock|traceback|\berror\b|\bcritical\b", re.IGNORECASE)
RESCORE_TASK = re.compile(r"(recompute_priorities|sweep_marked_initiatives)\[")
IMPACTS = [0.25, 0.5, 1.0, 2.0, 3.0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The processes of a scaled-out install, each in its own process group."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.artifacts = ROOT / "test-artifacts" / "scale-out"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports: list[int] = []
        self.workers: set[str] = set()

    def log(self, name: str) -> Path:
        return self.artifacts / f"{name}.log"

    def _start(self, name: str, argv: list[str]) -> None:
        self.log(name).unlink(missing_ok=True)
        self.procs[name] = subprocess.Popen(  # noqa: S603 - fixed argv, our own processes
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=self.log(name).open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self, index: int) -> None:
        node = f"scale{index}-{os.getpid()}@{socket.gethostname()}"
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            ",".join(QUEUES),  # every worker consumes every queue: the scaled-out layout
            "--loglevel=INFO",
            "--concurrency=2",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            node,
        ]
        if index == 0:  # one beat for the install: the sweep picks up any lost nudge
            argv += ["--beat", "--schedule", str(self.artifacts / "celerybeat-schedule")]
        self._start(f"worker-{index}", argv)
        self.workers.add(node)

    def start_web(self, index: int) -> None:
        port = _free_port()
        self.ports.append(port)
        self._start(
            f"gunicorn-{index}",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "120",
                "--log-level",
                "info",
            ],
        )

    def dead(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def wait_until_up(self) -> None:
        def up() -> bool:
            if self.dead():
                return True
            try:
                replies = celery_app.control.ping(destination=sorted(self.workers), timeout=0.5)
            except OSError:
                return False
            answered = {name for reply in replies for name in reply}
            return answered >= self.workers and all(
                _request(port, "GET", "/healthz", timeout=2)[0] != -1 for port in self.ports
            )

        wait_for(up, timeout=DEADLINE, message="both workers and both gunicorns to answer")
        assert not self.dead(), f"exited at start: {self.dead()}; see {self.artifacts}"

    def stop(self) -> None:
        """SIGTERM every group (a worker finishes its task), SIGKILL what is left."""
        running = [proc for proc in self.procs.values() if proc.poll() is None]
        for proc in running:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in running:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for proc in self.procs.values():
            # Pool processes or gunicorn workers a SIGTERM left behind.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def bad_lines(self) -> dict[str, list[str]]:
        found = {}
        for name in self.procs:
            text = self.log(name).read_text(errors="replace")
            if lines := [line for line in text.splitlines() if BAD_LOG_LINE.search(line)]:
                found[name] = lines[:10]
        return found


@pytest.fixture
def stack(celery_worker, worker_env, transactional_db, settings):
    # The package's own workers (conftest) would take tasks from the same
    # queues with another half-life: stopped for this test (real_celery
    # starts them again for the next one that needs them).
    celery_worker.stop()
    settings.PRIORITY_EVIDENCE_HALF_LIFE_DAYS = HALF_LIFE_DAYS
    env = {
        **worker_env,
        "PRIORITY_EVIDENCE_HALF_LIFE_DAYS": str(HALF_LIFE_DAYS),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "60",
        # No debounce: a commit's nudge starts a run at once, on whichever worker
        # process is free, while the last one may still be running: runs
        # overlap as often as they can.
        "RESCORE_DEBOUNCE_SECONDS": "0",
        "RESCORE_DEBOUNCE_MAX_SECONDS": "0",
    }
    with celery_app.connection_for_write() as conn:
        for queue in QUEUES:
            conn.default_channel.queue_purge(queue)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # this process's nudges go to the workers too
    stack = Stack(env)
    try:
        for index in (0, 1):
            stack.start_worker(index)
            stack.start_web(index)
        stack.wait_until_up()
        yield stack
    finally:
        stack.stop()
        celery_app.conf.task_always_eager = eager


def _request(port, method, path, body=None, token=None, headers=None, timeout=60):
    """(status, parsed JSON or None); status -1 when nothing answered."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Token {token}"
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=sent)
        response = conn.getresponse()
        payload = response.read()
    except OSError:
        return -1, None
    finally:
        conn.close()
    try:
        return response.status, json.loads(payload) if payload else None
    except ValueError:
        return response.status, payload[:300]


class World:
    """The data every thread works on, and what the clients sent (the expected end state)."""

    def __init__(self):
        segments = [SegmentFactory(weight=1.0), SegmentFactory(weight=2.5)]
        self.customers = [
            CustomerFactory(external_id=f"cust-{n}", segment=segments[n % 3] if n % 3 < 2 else None)
            for n in range(30)
        ]
        objective = ObjectiveFactory()
        self.metrics = [MetricFactory(key="scale_nps"), MetricFactory(key="scale_dau")]
        self.metric_krs = [
            KeyResultFactory(objective=objective, metric=metric, target=100)
            for metric in self.metrics
        ]
        self.manual_krs = KeyResultFactory.create_batch(2, objective=objective, target=100)
        krs = self.metric_krs + self.manual_krs
        self.evidence_ids = [
            InitiativeFactory(reach_source="evidence", reach=0).pk for _ in range(12)
        ]
        self.manual_ids = [InitiativeFactory(reach_source="manual").pk for _ in range(4)]
        for n, initiative_id in enumerate(self.evidence_ids + self.manual_ids):
            if n % 5 == 4:
                continue  # unaligned
            AlignmentFactory(initiative_id=initiative_id, key_result=krs[n % 4])
            if n % 3 == 0:
                AlignmentFactory(initiative_id=initiative_id, key_result=krs[(n + 1) % 4])
        user = UserFactory(username="scale-bot", groups=["product"])
        self.token = Token.objects.create(user=user).key
        self.lock = threading.Lock()
        self.evidence: dict[str, int | None] = {}  # external id -> the initiative last sent
        self.errors: list[str] = []
        self.conflicts = 0

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def _evidence_thread(
    world: World, ports: list[int], t: int, batches: int = 12, retries: bool = True
) -> None:
    """Batches of 30 new items; with `retries`, every fourth is followed by an earlier one again.

    Thread `t`'s external ids are its own (t: 0, 1, ...; the final wave's 10, 11, ...).
    """
    rng = random.Random(100 + t)
    now = datetime.now(UTC)
    sent: list[list[dict]] = []
    for b in range(batches):
        items = []
        for i in range(30):
            item = {
                "source": rng.choice(["support", "sales", "interview", "nps"]),
                "text": f"scale-out feedback {t}-{b}-{i}",
                "external_id": f"ev-{t}-{b}-{i}",
                "received_at": (now - timedelta(days=rng.uniform(0, 20))).isoformat(),
            }
            if rng.random() < 0.9:
                item["initiative"] = rng.choice(world.evidence_ids)
            roll = rng.random()
            if roll < 0.7:
                item["customer_external_id"] = rng.choice(world.customers).external_id
            elif roll < 0.8:  # a new customer that other threads name too
                item["customer_external_id"] = f"new-{rng.randint(0, 4)}"
            items.append(item)
        batches = [items]
        if retries and b % 4 == 3:
            # A retry of an earlier batch, a third of its items moved elsewhere:
            # an update, never a second item.
            again = [dict(item) for item in rng.choice(sent)]
            for item in again[::3]:
                item["initiative"] = rng.choice(world.evidence_ids)
            batches.append(again)
        sent.append(items)
        for n, batch in enumerate(batches):
            port = ports[(b + n + t) % len(ports)]
            status, body = _request(port, "POST", "/api/v1/evidence/", batch, world.token)
            if status not in (200, 201):
                world.fail(f"evidence batch {t}-{b}: {status} {body}")
                return
            with world.lock:
                for item in batch:
                    world.evidence[item["external_id"]] = item.get("initiative")


def _patch_with_if_match(world, port, path, change) -> None:
    """GET the version, PATCH with If-Match; on 409 (someone else won) read again and retry."""
    for _ in range(20):
        status, body = _request(port, "GET", path, token=world.token)
        if status != 200:
            world.fail(f"GET {path}: {status} {body}")
            return
        status, body = _request(
            port,
            "PATCH",
            path,
            change,
            world.token,
            headers={"If-Match": f'"{body["version"]}"'},
        )
        if status == 200:
            return
        if status != 409:
            world.fail(f"PATCH {path} {change}: {status} {body}")
            return
        with world.lock:
            world.conflicts += 1
    world.fail(f"PATCH {path}: 20 conflicts in a row")


def _edit_thread(world: World, ports: list[int], t: int) -> None:
    """Edits of RICE inputs on initiatives the other edit thread edits too."""
    rng = random.Random(200 + t)
    everyone = world.evidence_ids + world.manual_ids
    for n in range(15):
        change = {
            "impact": rng.choice(IMPACTS),
            "effort": rng.choice([0.5, 1, 2, 3, 5]),
            "confidence": rng.choice([50, 80, 100]),
        }
        initiative_id = everyone[rng.randrange(len(everyone))]
        port = ports[(n + t) % len(ports)]
        _patch_with_if_match(world, port, f"/api/v1/initiatives/{initiative_id}/", change)


def _readings_thread(world: World, ports: list[int]) -> None:
    """Readings of both metrics; every fifth sends an earlier reading again with a new value."""
    rng = random.Random(300)
    start = datetime.now(UTC) - timedelta(hours=1)
    for n in range(20):
        metric = world.metrics[n % 2]
        reading = {
            "value": rng.randint(0, 100),
            "observed_at": (start + timedelta(minutes=n)).isoformat(),
            "external_id": f"r-{n}",
        }
        if n % 5 == 4:
            reading["external_id"] = f"r-{n - 2}"  # the same metric's: an update
            reading["observed_at"] = (start + timedelta(minutes=n - 2)).isoformat()
        path = f"/api/v1/metrics/{metric.key}/readings/"
        status, body = _request(ports[n % len(ports)], "POST", path, reading, world.token)
        if status not in (200, 201):
            world.fail(f"reading {n}: {status} {body}")
            return


def _check_in_thread(world: World, ports: list[int]) -> None:
    """Key results without a metric moved by hand, with If-Match."""
    rng = random.Random(400)
    for n in range(20):
        kr = world.manual_krs[n % 2]
        change = {"current": rng.randint(0, 100)}
        _patch_with_if_match(world, ports[n % len(ports)], f"/api/v1/key-results/{kr.pk}/", change)


def _queued(queue: str) -> int:
    with celery_app.connection_for_write() as conn:
        try:
            return conn.default_channel.queue_declare(queue, passive=True).message_count
        except ChannelError:  # Redis keeps no empty list: no queue is an empty queue
            return 0


def _pending_work(queues: bool = True) -> dict[str, int]:
    """What is left to do, by kind; `queues`: the messages waiting in Redis too."""
    work = {
        "marked": Initiative.objects.filter(needs_rescore=True).count(),
        "pending evidence": PendingEvidence.objects.count(),
        "full rescores": FullRescore.objects.count(),
    }
    for queue in QUEUES if queues else ():
        work[f"queue {queue}"] = _queued(queue)
    return {name: count for name, count in work.items() if count}


def _overlapping_runs() -> tuple[int, int]:
    """(runs that claimed something, runs that began before the previous one ended).

    A run's span is from its start (before it takes the rescore lock) to its
    record, written just before it commits: a run that overlaps another
    waited for it.
    """
    spans = sorted(
        (run.created_at - timedelta(milliseconds=run.duration_ms), run.created_at)
        for run in RecomputeRun.objects.all()
    )
    return len(spans), sum(1 for a, b in itertools.pairwise(spans) if b[0] < a[1])


SCORES = ("priority_score", "rice_score", "alignment_score", "reach")
COUNTS = ("evidence_count", "reach_customers", "reach_anonymous_items", "reach_items", "rank")


def _stored(now: datetime) -> dict[int, dict]:
    """Each initiative's scores, counts and kept evidence sums brought to `now`."""
    out = {}
    for i in Initiative.objects.with_ranks():
        row = {name: getattr(i, name) for name in (*SCORES, *COUNTS)}
        if i.reach_anchor is not None:
            totals = scoring.reach_at(
                scoring.AnchoredReach(
                    i.reach_anchor,
                    i.reach_half_life,
                    i.reach_weighted,
                    i.reach_anonymous,
                    i.reach_customers,
                    i.reach_anonymous_items,
                    i.reach_items,
                ),
                now,
            )
            row["sum_weighted"], row["sum_anonymous"] = totals.from_customers, totals.anonymous
        out[i.pk] = row
    return out


def _differences(before: dict[int, dict], after: dict[int, dict]) -> list[str]:
    out = []
    for pk, row in after.items():
        for name, value in row.items():
            old = before[pk].get(name)
            if name in COUNTS:
                same = old == value
            else:
                same = old is not None and math.isclose(old, value, rel_tol=1e-9, abs_tol=1e-12)
            if not same:
                out.append(f"initiative {pk} {name}: stored {old}, clean full rescore {value}")
    return out


def test_two_workers_and_two_servers_under_concurrent_writes_agree_with_a_clean_rescore(stack):
    world = World()
    services.initiatives_mark(ids=None, trigger="schedule")  # the workers score them first
    ports = stack.ports
    threads = [threading.Thread(target=_evidence_thread, args=(world, ports, t)) for t in range(3)]
    threads += [threading.Thread(target=_edit_thread, args=(world, ports, t)) for t in range(2)]
    threads += [
        threading.Thread(target=_readings_thread, args=(world, ports)),
        threading.Thread(target=_check_in_thread, args=(world, ports)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE)
    assert not any(thread.is_alive() for thread in threads), "a client thread is still running"
    # A last wave of new evidence only, while the rescores of the above may
    # still run: the sums it leaves are folded, never taken afresh by a later
    # edit or move, so an item folded in twice would stay counted twice.
    wave = [
        threading.Thread(target=_evidence_thread, args=(world, ports, 10 + t, 6, False))
        for t in range(3)
    ]
    for thread in wave:
        thread.start()
    for thread in wave:
        thread.join(timeout=DEADLINE)
    assert not any(thread.is_alive() for thread in wave), "a client thread is still running"
    assert world.errors == []
    print(f"{len(world.evidence)} evidence items, {world.conflicts} edit conflicts (409) retried")

    wait_for(
        lambda: not _pending_work() or stack.dead(),
        timeout=DEADLINE,
        interval=0.2,
        message=f"the workers to finish every mark and pending item ({_pending_work()})",
    )
    assert stack.dead() == [], f"died under load; see {stack.artifacts}"
    stack.stop()  # nothing runs under the comparison; the logs are complete
    # (A periodic sweep beat sent just before the stop may wait in the queue.)
    assert _pending_work(queues=False) == {}
    runs, overlapping = _overlapping_runs()
    print(f"{runs} rescore runs, {overlapping} began while another was running")
    # The load did what it is for: both workers rescored, at the same moments.
    assert overlapping > 0, "no two rescores ever ran at once: nothing was tested"
    for name in ("worker-0", "worker-1"):
        assert RESCORE_TASK.search(stack.log(name).read_text()), f"{name} never rescored"

    # The writes landed as sent: each item once, on the initiative last sent.
    stored = dict(
        Evidence.objects.filter(external_id__startswith="ev-").values_list(
            "external_id", "initiative_id"
        )
    )
    assert stored == world.evidence
    for kr in KeyResult.objects.all():
        assert kr.progress == pytest.approx(key_result_progress(kr.values()).value, rel=1e-9)
    for kr in world.metric_krs:
        latest = MetricReading.objects.filter(metric=kr.metric).latest("observed_at", "id")
        assert KeyResult.objects.get(pk=kr.pk).current == latest.value

    # Every initiative's stored state equals a clean full rescore's, which
    # aggregates all the evidence afresh.
    now = datetime.now(UTC)
    before = _stored(now)
    services.initiatives_mark(ids=None, trigger="schedule", forget_sums=True, nudge=False)
    result = services.initiatives_rescore_marked(now=now)
    assert result.claimed == len(before)
    after = _stored(now)
    assert _differences(before, after) == []
    assert result.changed_ids == []
    for initiative_id in world.evidence_ids:
        linked = Evidence.objects.filter(initiative_id=initiative_id)
        assert after[initiative_id]["evidence_count"] == linked.count()
        assert after[initiative_id]["reach_customers"] == (
            linked.exclude(customer=None).values("customer").distinct().count()
        )

    assert stack.bad_lines() == {}
