"""0006 gives every existing domain its own token and keeps its verified flag."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tenants", "0005_encrypt_mfa_secrets")]
AFTER = [("tenants", "0006_domain_verification")]


@pytest.fixture
def back_to_the_latest_schema():
    """Going back to 0005 unapplies what depends on it in other apps too: whatever
    happens, the rest of the run gets every migration back."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest_schema")
def test_existing_domains_get_a_token_each_and_stay_verified():
    # given: the schema before, with a verified and an unverified domain
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    tenant = old.get_model("tenants", "Tenant").objects.create(
        id=uuid.uuid4(), kind="customer", name="Contoso"
    )
    Domain = old.get_model("tenants", "Domain")
    Domain.objects.create(id=uuid.uuid4(), tenant=tenant, name="contoso.example", verified=True)
    Domain.objects.create(id=uuid.uuid4(), tenant=tenant, name="spare.contoso.example")
    # when
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    # then
    new = executor.loader.project_state(AFTER).apps.get_model("tenants", "Domain")
    rows = dict(new.objects.values_list("name", "verification_token"))
    assert all(len(token) == 32 for token in rows.values())
    assert len(set(rows.values())) == 2
    assert dict(new.objects.values_list("name", "verified")) == {
        "contoso.example": True,
        "spare.contoso.example": False,
    }
