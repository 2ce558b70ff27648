"""The outbox's publisher: the delivery of committed rows, queued from a thread."""

import threading
import time

import pytest

from tenants import mail as outbox
from tenants.publisher import BatchingPublisher
from tests import services
from tests.conftest_mail import celery_broker


class Recorder:
    """A publish function that records its calls, and can be held or made to fail."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()
        self.release.set()
        self.fail = False

    def __call__(self, ids: list[str]) -> None:
        self.release.wait(10)
        if self.fail:
            self.fail = False
            raise ConnectionError("broker down")
        self.calls.append(list(ids))


def published(publish: Recorder) -> list[str]:
    return [one for call in publish.calls for one in call]


def ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{n}" for n in range(count)]


def test_the_commits_of_one_linger_go_out_in_one_message():
    # given
    publish = Recorder()
    publisher = BatchingPublisher(publish, linger=0.3, batch=20)
    # when: three commits in quick succession
    for commit in "abc":
        publisher.submit(ids(commit, 2))
    assert publisher.flush()
    # then
    assert publish.calls == [["a0", "a1", "b0", "b1", "c0", "c1"]]


def test_a_message_carries_at_most_a_batch():
    publish = Recorder()
    publisher = BatchingPublisher(publish, linger=0.3, batch=20)
    publisher.submit(ids("m", 45))
    assert publisher.flush()
    assert [len(call) for call in publish.calls] == [20, 20, 5]
    assert published(publish) == ids("m", 45)


def test_a_lone_commit_is_published_after_the_linger_without_a_flush():
    publish = Recorder()
    publisher = BatchingPublisher(publish, linger=0.05, batch=20)
    publisher.submit(["only"])
    deadline = time.monotonic() + 5
    while not publish.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert publish.calls == [["only"]]


def test_submit_does_not_wait_for_the_broker():
    # given: a broker that hangs
    publish = Recorder()
    publish.release.clear()
    publisher = BatchingPublisher(publish, linger=0, batch=20)
    # when
    started = time.monotonic()
    publisher.submit(["x"])
    publisher.submit(["y"])
    elapsed = time.monotonic() - started
    # then: the request goes on; a flush gives up at its timeout, and says so
    assert elapsed < 0.5
    assert publisher.flush(timeout=0.2) is False
    publish.release.set()
    assert publisher.flush()
    assert published(publish) == ["x", "y"]


def test_a_failed_publish_is_logged_and_the_thread_publishes_the_next(caplog):
    publish = Recorder()
    publish.fail = True
    publisher = BatchingPublisher(publish, linger=0, batch=20)
    publisher.submit(["lost"])
    assert publisher.flush()
    publisher.submit(["next"])
    assert publisher.flush()
    assert publish.calls == [["next"]]
    assert "Could not queue the delivery of 1 outbox messages" in caplog.text


def test_a_forked_process_starts_its_own_thread_and_not_its_parents_queue(monkeypatch):
    # given: a parent whose thread holds ids it has not published
    publish = Recorder()
    publish.release.clear()
    publisher = BatchingPublisher(publish, linger=0, batch=1)
    publisher.submit(["parent-1", "parent-2"])
    parent_thread = publisher._thread
    # when: in a child process (another pid) a commit queues its rows
    monkeypatch.setattr("tenants.publisher.os.getpid", lambda: -1)
    publisher.submit(["child"])
    # then
    assert publisher._thread is not parent_thread
    publish.release.set()
    assert publisher.flush()
    assert "parent-2" not in published(publish)
    assert ["child"] in publish.calls


def test_flush_with_nothing_queued_returns_at_once():
    publisher = BatchingPublisher(Recorder(), linger=5, batch=20)
    started = time.monotonic()
    assert publisher.flush()
    assert time.monotonic() - started < 0.1


@pytest.mark.django_db
def test_without_a_broker_the_task_runs_in_the_committing_thread(settings, monkeypatch):
    # given: the embedded setup (tasks run eagerly)
    sent: list[list[str]] = []
    monkeypatch.setattr(outbox, "queue_delivery", sent.append)
    monkeypatch.setattr(
        outbox._PUBLISHER, "submit", lambda ids: pytest.fail("handed to the thread")
    )
    # when
    outbox.deliver_committed(["r1"])
    # then
    assert sent == [["r1"]]


@pytest.mark.redis
def test_on_redis_several_commits_make_one_task_message(settings):
    # given: a real broker and no worker
    settings.OUTBOX_PUBLISH_LINGER_MS = 300
    with celery_broker(services.REDIS_URL, settings) as app, app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
        # when: three commits' rows
        for commit in "abc":
            outbox.deliver_committed(ids(commit, 3))
        assert outbox.flush_deliveries()
        # then: one message, for the send task, with every id
        message = conn.default_channel.basic_get(app.conf.task_default_queue)
        assert message is not None
        message.ack()
        assert conn.default_channel.basic_get(app.conf.task_default_queue) is None
    assert message.headers["task"] == "tenants.tasks.send_outbound_emails"
    args, _, _ = message.decode()
    assert args == [ids("a", 3) + ids("b", 3) + ids("c", 3)]
