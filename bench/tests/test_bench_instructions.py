"""The arithmetic of bench.instructions, on callgrind's and bench.profile's own output."""

import pytest

from bench.instructions import parse, per_request

PROFILE_OUTPUT = """\
==4242== Callgrind, a call-graph generating cache profiler
page                             ms/request   sql ms other ms queries
baseline (agent)                       9.47     1.31     8.16       1
baseline (customer_admin)              8.96     1.31     7.65       1
==4242==
==4242== Events    : Ir
==4242== Collected : 3401823070
==4242==
==4242== I   refs:      3,401,823,070
"""


def test_the_count_and_the_pages_measured_are_read_from_the_output():
    assert parse(PROFILE_OUTPUT) == (3_401_823_070, 2)


def test_one_request_is_the_difference_over_the_extra_requests_of_every_page():
    # 3 extra requests for each of 2 pages (sessions): 6 requests
    assert per_request((1_000, 2), (7_000, 2), 3) == 1_000


def test_runs_that_measured_different_pages_are_refused():
    with pytest.raises(RuntimeError, match="measured 2 and 1"):
        per_request((1_000, 2), (7_000, 1), 3)
    with pytest.raises(RuntimeError, match="no instruction count"):
        parse("page  ms/request\n")
