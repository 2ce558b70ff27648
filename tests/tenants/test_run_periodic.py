"""``manage.py run_periodic``: beat's schedule in the web server's company (``make run``)."""

import io
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from celery import shared_task
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from delegation.models import RelationshipStatus
from tenants.mail import outbox_write
from tenants.management.commands import run_periodic
from tenants.models import OutboundEmail
from tests.factories import make_partner, make_relationship, make_tenant

pytestmark = pytest.mark.django_db


@shared_task
def out_of_order() -> None:
    raise RuntimeError("the task broke")


def test_once_runs_every_task_of_the_schedule(mailoutbox):
    # given: a relationship past its end that no task has marked, and mail waiting
    relationship = make_relationship(make_partner(), make_tenant())
    relationship.starts = timezone.now() - timedelta(days=40)
    relationship.expires = timezone.now() - timedelta(minutes=1)
    relationship.save()
    outbox_write(to=["someone@example.com"], subject="Waiting", body_text="Hello")
    OutboundEmail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    mailoutbox.clear()
    # when
    out = io.StringIO()
    call_command("run_periodic", "--once", stdout=out)
    # then
    relationship.refresh_from_db()
    assert relationship.status == RelationshipStatus.EXPIRED
    assert "Waiting" in [m.subject for m in mailoutbox]
    assert "relationships-expire: 1" in out.getvalue()


def test_a_failing_task_is_logged_and_the_others_still_run(settings, monkeypatch):
    logged = []
    monkeypatch.setattr(run_periodic.logger, "exception", lambda *args: logged.append(args))
    settings.CELERY_BEAT_SCHEDULE = {
        "broken": {"task": f"{__name__}.out_of_order", "schedule": 60.0},
        **settings.CELERY_BEAT_SCHEDULE,
    }
    relationship = make_relationship(make_partner(), make_tenant())
    relationship.starts = timezone.now() - timedelta(days=40)
    relationship.expires = timezone.now() - timedelta(minutes=1)
    relationship.save()
    call_command("run_periodic", "--once", stdout=io.StringIO())
    relationship.refresh_from_db()
    assert relationship.status == RelationshipStatus.EXPIRED
    assert [args[1] for args in logged] == ["broken"]


def test_a_schedule_it_cannot_run_is_refused(settings):
    settings.CELERY_BEAT_SCHEDULE = {"nightly": {"task": "x.y", "schedule": "0 3 * * *"}}
    with pytest.raises(CommandError, match="only intervals"):
        call_command("run_periodic", "--once", stdout=io.StringIO())
    settings.CELERY_BEAT_SCHEDULE = {"gone": {"task": "no.such.task", "schedule": 60.0}}
    with pytest.raises(CommandError, match=r"no task named no\.such\.task"):
        call_command("run_periodic", "--once", stdout=io.StringIO())


def test_the_loop_stops_when_what_started_it_stops(tmp_path):
    # given: started in the background by a shell that then exits, as make run does
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partnerportal.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    pid_file = tmp_path / "pid"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            "/bin/sh",
            "-c",
            f'"{sys.executable}" "{manage}" run_periodic >/dev/null 2>&1 & '
            f'echo $! > "{pid_file}"; sleep 3',
        ],
        env=env,
        check=True,
        timeout=30,
    )
    pid = int(pid_file.read_text())
    # then: it notices within a few seconds and exits
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")
