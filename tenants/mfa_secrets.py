"""MFA secrets encrypted at rest: the TOTP secret and the recovery codes' seed.

allauth.mfa passes every secret it stores through its adapter's ``encrypt`` and every one
it reads through ``decrypt`` (``tenants.adapters.MFAAdapter``); these functions do the
work with ``cryptography``'s MultiFernet under the keys of ``MFA_ENCRYPTION_KEYS``: the
first encrypts, all of them decrypt, so a new key goes first and the old ones stay
behind it until ``manage.py rotate_mfa_key`` has re-encrypted every row.

An encrypted value starts with ``fernet:``; a value without it is a secret written
before encryption, read as it is until the migration or the rotation encrypts it.
"""

from __future__ import annotations

import functools
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "fernet:"

# The fields of Authenticator.data that allauth passes through encrypt/decrypt, by type.
SECRET_FIELDS = {"totp": ("secret",), "recovery_codes": ("seed",)}
# A recovery-code authenticator migrated from another library keeps a list of codes.
SECRET_LISTS = {"recovery_codes": ("migrated_codes",)}


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("MFA_ENCRYPTION_KEYS holds no key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "MFA_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64-encoded bytes), "
            "separated by commas."
        ) from exc


def _keys() -> MultiFernet:
    return _fernet(tuple(settings.MFA_ENCRYPTION_KEYS))


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def encrypt(text: str) -> str:
    """``text`` encrypted with the newest key, marked with ``fernet:``."""
    return PREFIX + _keys().encrypt(text.encode()).decode("ascii")


def decrypt(value: str) -> str:
    """The secret in ``value``; a value written before encryption is returned as it is."""
    if not is_encrypted(value):
        return value
    try:
        return _keys().decrypt(value[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An MFA secret cannot be decrypted with any key of MFA_ENCRYPTION_KEY "
            "(was a key removed before rotate_mfa_key re-encrypted it?)."
        ) from exc


def rotate(value: str) -> str:
    """``value`` encrypted with the newest key, whichever key (or none) it had."""
    if not is_encrypted(value):
        return encrypt(value)
    token = value[len(PREFIX) :].encode("ascii")
    try:
        return PREFIX + _keys().rotate(token).decode("ascii")
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An MFA secret cannot be decrypted with any key of MFA_ENCRYPTION_KEY."
        ) from exc


def data_encrypted(kind: str, data: dict[str, Any], *, rotate_keys: bool = False) -> dict[str, Any]:
    """A copy of an authenticator's ``data`` with its secrets encrypted: values in clear
    are encrypted, encrypted ones are kept (or, with ``rotate_keys``, re-encrypted with the
    newest key). Other types and fields are returned unchanged."""
    change = rotate if rotate_keys else (lambda v: v if is_encrypted(v) else encrypt(v))
    data = dict(data)
    for field in SECRET_FIELDS.get(kind, ()):
        if isinstance(data.get(field), str):
            data[field] = change(data[field])
    for field in SECRET_LISTS.get(kind, ()):
        if isinstance(data.get(field), list):
            data[field] = [change(v) if isinstance(v, str) else v for v in data[field]]
    return data
