"""Test helpers of the partner's pages."""

from django.test import Client

from tenants.models import User
from tests.factories import sign_in


def sign_in_recently(client: Client, user: User) -> None:
    """``sign_in``, then a password re-entry just now, as allauth's re-authentication
    check wants it (a sign-in alone does not count as one)."""
    sign_in(client, user)
    session = client.session
    records = session["account_authentication_methods"]
    records.append({**records[0], "reauthenticated": True})
    session["account_authentication_methods"] = records
    session.save()
