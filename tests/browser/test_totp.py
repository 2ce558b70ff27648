"""The test tier's own TOTP generator agrees with RFC 6238."""

import base64

import pytest

from tests.factories import totp_code

pytestmark = pytest.mark.browser

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("at", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (20000000000, "65353130"),
    ],
)
def test_totp_code_matches_the_rfc_6238_vectors(at, code):
    # when / then (the SHA-1 vectors of RFC 6238, appendix B)
    assert totp_code(RFC_SECRET, at=at, digits=8) == code
