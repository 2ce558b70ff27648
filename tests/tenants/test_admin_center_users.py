"""The users pages: search, keyset pages, pinned query counts, create, edit, disable,
reset password, roles."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from tenants.models import RoleAssignment, User
from tenants.roles import Role
from tenants.selectors import USERS_PAGE_SIZE
from tests.factories import PASSWORD, age_sign_in, make_user, sign_in
from tests.tenants.conftest import Actors

pytestmark = pytest.mark.django_db


def _bulk_users(actors: Actors, count: int, prefix: str = "bulk") -> None:
    User.objects.bulk_create(
        [
            User(tenant=actors.customer, email=f"{prefix}{i:04d}@contoso.test", first_name="Bulk")
            for i in range(count)
        ]
    )
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=u, role=Role.BILLING_ADMIN)
            for u in actors.customer.users.filter(email__startswith=prefix)[: count // 2]
        ]
    )


def _users_url(actors: Actors, **params: str) -> str:
    url = reverse("tenants:users", args=[actors.customer.pk])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


# Queries of one users page, pinned: they must not grow with the rows. The session, the
# user (with its home tenant, roles, second factor and access level), for
# an agent the relationship (with the tenant and the banner's partner), and the page of
# users with their roles.
USERS_PAGE_QUERIES = {"customer_admin": 3, "full_agent": 4, "limited_agent": 4}


@pytest.mark.parametrize("actor", sorted(USERS_PAGE_QUERIES))
def test_users_list_query_count_is_pinned_and_does_not_grow(
    client, actors, actor, django_assert_num_queries
):
    # given
    sign_in(client, actors.get(actor))
    client.get(_users_url(actors))  # the agent's first entry is audited once per session
    _bulk_users(actors, 20)
    # when / then
    with django_assert_num_queries(USERS_PAGE_QUERIES[actor]):
        small = client.get(_users_url(actors))
    _bulk_users(actors, 200, prefix="more")
    with django_assert_num_queries(USERS_PAGE_QUERIES[actor]):
        large = client.get(_users_url(actors))
    with django_assert_num_queries(USERS_PAGE_QUERIES[actor]):
        searched = client.get(_users_url(actors, q="bulk"))
    assert small.status_code == large.status_code == searched.status_code == 200
    assert len(large.context["page"].users) == USERS_PAGE_SIZE


def test_search_matches_every_word_in_names_and_addresses(client, actors):
    # given
    make_user(actors.customer, email="grady.archie@contoso.test", first_name="Grady")
    make_user(actors.customer, email="g.other@contoso.test", first_name="Grady", last_name="X")
    sign_in(client, actors.customer_admin)
    # when
    response = client.get(_users_url(actors, q="grady+archie"))
    # then
    emails = [u.email for u in response.context["page"].users]
    assert emails == ["grady.archie@contoso.test"]


def test_pages_walk_forward_and_back_by_cursor(client, actors):
    # given: 120 bulk users plus the actors' own
    _bulk_users(actors, 120)
    sign_in(client, actors.customer_admin)
    everyone = list(actors.customer.users.order_by("email").values_list("email", flat=True))
    # when
    first = client.get(_users_url(actors)).context["page"]
    second = client.get(_users_url(actors, after=str(first.next_after))).context["page"]
    third = client.get(_users_url(actors, after=str(second.next_after))).context["page"]
    back = client.get(_users_url(actors, before=str(third.previous_before))).context["page"]
    # then
    seen = [u.email for p in (first, second, third) for u in p.users]
    assert seen == everyone
    assert first.previous_before is None
    assert third.next_after is None
    assert [u.email for u in back.users] == [u.email for u in second.users]


@pytest.mark.parametrize("q", ["", "bulk"])
def test_a_page_with_both_cursors_is_the_one_before_and_rows_carry_their_roles(client, actors, q):
    # given: 120 bulk users, 60 of them billing admins
    _bulk_users(actors, 120)
    sign_in(client, actors.customer_admin)
    first = client.get(_users_url(actors, q=q)).context["page"]
    second = client.get(_users_url(actors, q=q, after=str(first.next_after))).context["page"]
    # when: a cursor each way, as no link gives
    page = client.get(
        _users_url(actors, q=q, after=str(second.next_after), before=str(second.users[0].pk))
    ).context["page"]
    # then: "before" wins
    assert [u.email for u in page.users] == [u.email for u in first.users]
    held: dict[str, list[str]] = {}
    for email, role in RoleAssignment.objects.filter(user__tenant=actors.customer).values_list(
        "user__email", "role"
    ):
        held.setdefault(email, []).append(role)
    assert [(u.email, u.role_codes) for u in page.users] == [
        (u.email, sorted(held.get(u.email, []))) for u in page.users
    ]
    assert any(u.role_codes for u in page.users)


def test_a_cursor_from_another_tenant_finds_nothing(client, actors):
    # given
    sign_in(client, actors.customer_admin)
    # when
    response = client.get(_users_url(actors, after=str(actors.other_tenant_admin.pk)))
    # then
    assert response.status_code == 200
    assert response.context["page"].users == []


def test_a_full_agent_adds_a_user_who_must_change_the_shown_password(client, actors):
    # given
    sign_in(client, actors.full_agent)
    url = reverse("tenants:user-create", args=[actors.customer.pk])
    # when
    response = client.post(
        url, {"email": "Nina@Contoso.test", "first_name": "Nina", "last_name": "Rossi"}
    )
    # then: redirected to the page that shows the password once
    assert response.status_code == 302
    shown = client.get(response["Location"])
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    password = shown.context["password"]
    assert password in shown.content.decode()
    # reloading it shows it no more, and resets nothing
    again = client.get(response["Location"], follow=True)
    assert password not in again.content.decode()
    assert "was shown once and is not kept" in again.content.decode()
    user = User.objects.get(email="nina@contoso.test")
    assert user.tenant == actors.customer
    assert user.check_password(password)
    assert user.must_change_password
    assert EmailAddress.objects.get(user=user).verified
    event = AuditEvent.objects.get(tenant_id=actors.customer.pk, action=Action.USER_CREATED)
    assert event.actor_id == actors.full_agent.pk
    assert event.relationship_id == actors.relationship.pk
    assert event.actor_partner_level == "full"
    assert password not in str(event.changes)
    # a double submit adds no second user
    again = client.post(url, {"email": "nina@contoso.test"})
    assert again.status_code == 200
    assert "already exists" in again.content.decode()
    assert User.objects.filter(email="nina@contoso.test").count() == 1


@pytest.mark.parametrize("email", ["x@northwind.test", "x@unverified.contoso.test"])
def test_a_new_users_address_must_be_in_a_verified_domain(client, actors, email):
    # given
    actors.customer.domains.create(name="unverified.contoso.test")
    sign_in(client, actors.customer_admin)
    # when
    response = client.post(
        reverse("tenants:user-create", args=[actors.customer.pk]), {"email": email}
    )
    # then
    assert response.status_code == 200
    assert "verified domains" in response.content.decode()
    assert not User.objects.filter(email=email).exists()


def test_without_a_verified_domain_the_add_user_page_says_where_to_verify_one(client, actors):
    # given an organisation whose only domain is not verified yet (as after a sign-up)
    actors.customer.domains.update(verified=False)
    sign_in(client, actors.customer_admin)
    url = reverse("tenants:user-create", args=[actors.customer.pk])
    domains = reverse("tenants:domains", args=[actors.customer.pk])
    # when it opens the form, and when it submits it anyway
    page = client.get(url).content.decode()
    response = client.post(url, {"email": "x@contoso.test"})
    # then the form points to Domains, the error says what to do, and nobody is added
    assert "is verified yet" in page
    assert f'href="{domains}"' in page
    assert response.status_code == 200
    assert "No domain of the organisation is verified yet" in response.content.decode()
    assert not User.objects.filter(email="x@contoso.test").exists()


def test_editing_a_user_records_only_what_changed(client, actors):
    # given
    sign_in(client, actors.customer_admin)
    target = actors.customer_user
    url = reverse("tenants:user-edit", args=[actors.customer.pk, target.pk])
    # when
    response = client.post(url, {"first_name": "Alexandra", "last_name": "", "job_title": ""})
    client.post(url, {"first_name": "Alexandra", "last_name": "", "job_title": ""})
    # then
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.first_name == "Alexandra"
    events = AuditEvent.objects.filter(tenant_id=actors.customer.pk, action=Action.USER_UPDATED)
    assert [e.changes for e in events] == [{"first_name": ["Alex", "Alexandra"]}]


def test_a_user_admin_cannot_edit_or_disable_a_global_admin(client, actors):
    # given
    helpdesk = make_user(actors.customer, roles=[Role.USER_ADMIN])
    sign_in(client, helpdesk)
    admin = actors.customer_admin
    # when
    page = client.get(reverse("tenants:user-detail", args=[actors.customer.pk, admin.pk]))
    edit = client.get(reverse("tenants:user-edit", args=[actors.customer.pk, admin.pk]))
    disable = client.post(reverse("tenants:user-disable", args=[actors.customer.pk, admin.pk]))
    # then
    assert page.status_code == 200
    assert page.context["can_manage"] is False
    assert "user-disable" not in page.content.decode()
    assert edit.status_code == disable.status_code == 404
    admin.refresh_from_db()
    assert admin.is_active


def test_disabling_ends_sessions_and_enabling_restores_sign_in(
    client, actors, django_capture_on_commit_callbacks
):
    # given: the target is signed in elsewhere
    target = actors.customer_user
    elsewhere = _signed_in_through_allauth(target)
    sign_in(client, actors.customer_admin)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("tenants:user-disable", args=[actors.customer.pk, target.pk]))
        client.post(reverse("tenants:user-disable", args=[actors.customer.pk, target.pk]))
    # then
    target.refresh_from_db()
    assert not target.is_active
    assert SESSION_KEY not in elsewhere.session
    assert not UserSession.objects.filter(user=target).exists()
    assert elsewhere.get(reverse("tenants:profile")).status_code == 302
    assert AuditEvent.objects.filter(action=Action.USER_DISABLED).count() == 1
    # and enabling lets it sign in again, but brings no old session back
    client.post(reverse("tenants:user-enable", args=[actors.customer.pk, target.pk]))
    target.refresh_from_db()
    assert target.is_active
    assert AuditEvent.objects.filter(action=Action.USER_ENABLED).count() == 1
    assert elsewhere.get(reverse("tenants:profile")).status_code == 302


def test_nobody_disables_itself(client, actors):
    # given
    sign_in(client, actors.customer_admin)
    url = reverse("tenants:user-disable", args=[actors.customer.pk, actors.customer_admin.pk])
    # when
    response = client.post(url)
    # then
    assert response.status_code == 404
    actors.customer_admin.refresh_from_db()
    assert actors.customer_admin.is_active


def test_a_full_agent_cannot_disable_the_customers_global_admin(client, actors):
    # given: a global admin holds permissions no agent holds
    sign_in(client, actors.full_agent)
    url = reverse("tenants:user-disable", args=[actors.customer.pk, actors.customer_admin.pk])
    # when
    response = client.post(url, follow=True)
    # then
    assert response.status_code == 404
    actors.customer_admin.refresh_from_db()
    assert actors.customer_admin.is_active
    assert not AuditEvent.objects.filter(action=Action.USER_DISABLED).exists()


def _signed_in_through_allauth(user: User) -> Client:
    """A second browser, signed in through the sign-in page (so its session is tracked)."""
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert browser.get(reverse("tenants:profile")).status_code == 200
    return browser


def _reset(client: Client, actors: Actors, target: User, *, follow: bool = True):
    """POST the reset; followed, to the page that shows the new password once."""
    url = reverse("tenants:user-reset-password", args=[actors.customer.pk, target.pk])
    return client.post(url, follow=follow)


def test_a_limited_agent_resets_an_ordinary_users_password(
    client, actors, django_capture_on_commit_callbacks
):
    # given: the target is signed in elsewhere
    target = actors.customer_user
    elsewhere = _signed_in_through_allauth(target)
    sign_in(client, actors.limited_agent)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _reset(client, actors, target)
    # then: the password is on this page only
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = response.context["password"]
    assert len(password) >= 16
    assert password in response.content.decode()
    assert not list(response.context["messages"])
    target.refresh_from_db()
    assert target.check_password(password)
    assert not target.check_password(PASSWORD)
    assert target.must_change_password
    # its sessions ended
    assert elsewhere.get(reverse("tenants:profile")).status_code == 302
    # audited with the relationship, never with the password
    event = AuditEvent.objects.get(action=Action.USER_PASSWORD_RESET)
    assert event.relationship_id == actors.relationship.pk
    assert event.actor_partner_level == "limited"
    assert event.target_id == str(target.pk)
    assert password not in str(event.changes)
    # and the next page does not show it again
    follow = client.get(reverse("tenants:user-detail", args=[actors.customer.pk, target.pk]))
    assert password not in follow.content.decode()


def test_a_limited_agent_resets_a_password_admins_password(client, actors):
    # given
    sign_in(client, actors.limited_agent)
    # when
    response = _reset(client, actors, actors.password_admin)
    # then
    assert response.status_code == 200
    actors.password_admin.refresh_from_db()
    assert actors.password_admin.must_change_password


def test_a_limited_agent_is_refused_a_global_admins_password(client, actors):
    # given
    sign_in(client, actors.limited_agent)
    admin = actors.customer_admin
    detail = reverse("tenants:user-detail", args=[actors.customer.pk, admin.pk])
    # when
    page = client.get(detail)
    response = _reset(client, actors, admin)
    # then: no button, and the crafted POST finds nothing
    assert page.status_code == 200
    assert "reset-password" not in page.content.decode()
    assert response.status_code == 404
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)
    assert not admin.must_change_password
    assert not AuditEvent.objects.filter(action=Action.USER_PASSWORD_RESET).exists()


@pytest.mark.parametrize(
    ("actor_roles", "target_roles", "allowed"),
    [
        ([Role.PASSWORD_ADMIN], [], True),
        ([Role.PASSWORD_ADMIN], [Role.PASSWORD_ADMIN], True),
        ([Role.PASSWORD_ADMIN], [Role.USER_ADMIN], False),
        ([Role.PASSWORD_ADMIN], [Role.BILLING_ADMIN], False),
        ([Role.PASSWORD_ADMIN], [Role.GLOBAL_ADMIN], False),
        ([Role.USER_ADMIN], [Role.PASSWORD_ADMIN], True),
        ([Role.USER_ADMIN], [Role.USER_ADMIN], False),
        ([Role.USER_ADMIN], [Role.GLOBAL_ADMIN], False),
        ([Role.GLOBAL_ADMIN], [Role.GLOBAL_ADMIN], True),
        ([Role.GLOBAL_ADMIN], [Role.BILLING_ADMIN], True),
        ([Role.BILLING_ADMIN], [], False),
    ],
)
def test_the_password_rule_at_home(client, actors, actor_roles, target_roles, allowed):
    # given
    actor = make_user(actors.customer, roles=actor_roles)
    target = make_user(actors.customer, roles=target_roles)
    sign_in(client, actor)
    # when
    response = _reset(client, actors, target)
    # then
    assert response.status_code == (200 if allowed else 404)
    target.refresh_from_db()
    assert target.must_change_password is allowed


def test_nobody_resets_its_own_password_in_the_admin_center(client, actors):
    # given
    sign_in(client, actors.customer_admin)
    # when
    response = _reset(client, actors, actors.customer_admin)
    # then
    assert response.status_code == 404


def test_a_reset_user_must_change_its_password_before_anything_else(client, actors):
    # given: a reset password
    target = actors.customer_user
    admin_client = Client()
    sign_in(admin_client, actors.customer_admin)
    password = _reset(admin_client, actors, target).context["password"]
    # when: the user signs in with it
    assert client.login(email=target.email, password=password)
    # then: every page leads to the change-password page, except signing out
    change = reverse("account_change_password")
    response = client.get(reverse("tenants:profile"))
    assert response.status_code == 302
    assert response["Location"] == change
    assert client.get(change).status_code == 200
    # when it chooses its own password
    new = "a-new-password-of-my-own-2026"
    response = client.post(change, {"oldpassword": password, "password1": new, "password2": new})
    # then
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.must_change_password
    assert target.check_password(new)
    assert client.get(reverse("tenants:profile")).status_code == 200


def _roles(client: Client, actors: Actors, target: User, role: Role, operation: str):
    url = reverse("tenants:user-roles", args=[actors.customer.pk, target.pk])
    return client.post(url, {"role": role, "operation": operation}, follow=True)


def test_a_global_admin_assigns_and_removes_roles_audited(client, actors):
    # given
    sign_in(client, actors.customer_admin)
    target = actors.customer_user
    # when
    _roles(client, actors, target, Role.BILLING_ADMIN, "assign")
    _roles(client, actors, target, Role.BILLING_ADMIN, "assign")  # double submit
    # then
    assert list(target.role_assignments.values_list("role", flat=True)) == [Role.BILLING_ADMIN]
    assert AuditEvent.objects.filter(action=Action.ROLE_ASSIGNED).count() == 1
    # when
    response = _roles(client, actors, target, Role.BILLING_ADMIN, "remove")
    # then
    assert "no longer holds" in response.content.decode()
    assert not target.role_assignments.exists()
    event = AuditEvent.objects.get(action=Action.ROLE_REMOVED)
    assert event.changes == {"role": ["billing_admin", None]}


def test_a_full_agent_assigns_roles_on_the_customers_behalf(client, actors):
    # given
    sign_in(client, actors.full_agent)
    # when
    _roles(client, actors, actors.customer_user, Role.USER_ADMIN, "assign")
    # then
    assert actors.customer_user.role_assignments.filter(role=Role.USER_ADMIN).exists()
    event = AuditEvent.objects.get(action=Action.ROLE_ASSIGNED)
    assert event.relationship_id == actors.relationship.pk


def test_the_last_global_admin_keeps_its_role(client, actors):
    # given
    sign_in(client, actors.customer_admin)
    # when
    response = _roles(client, actors, actors.customer_admin, Role.GLOBAL_ADMIN, "remove")
    # then
    assert "last global administrator" in response.content.decode()
    assert actors.customer_admin.role_assignments.filter(role=Role.GLOBAL_ADMIN).exists()
    assert not AuditEvent.objects.filter(action=Action.ROLE_REMOVED).exists()


def test_a_disabled_global_admin_does_not_count_as_another(client, actors):
    # given: a second global admin, disabled
    second = make_user(actors.customer, roles=[Role.GLOBAL_ADMIN])
    User.objects.filter(pk=second.pk).update(is_active=False)
    sign_in(client, actors.customer_admin)
    # when
    _roles(client, actors, actors.customer_admin, Role.GLOBAL_ADMIN, "remove")
    # then
    assert actors.customer_admin.role_assignments.filter(role=Role.GLOBAL_ADMIN).exists()
    assert second.role_assignments.exists()


def test_roles_are_never_given_to_a_user_outside_the_tenant(client, actors):
    # given: the customer's own global admin names a partner agent
    sign_in(client, actors.customer_admin)
    # when
    response = _roles(client, actors, actors.full_agent, Role.GLOBAL_ADMIN, "assign")
    # then
    assert response.status_code == 404
    assert not actors.full_agent.role_assignments.exists()


def test_after_re_authenticating_the_reset_goes_through_and_shows_the_password(client, actors):
    # given: signed in a while ago, so the reset asks for the password again
    sign_in(client, actors.customer_admin)
    age_sign_in(client)
    target = actors.customer_user
    asked = _reset(client, actors, target, follow=False)
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    target.refresh_from_db()
    assert not target.must_change_password
    # when
    response = client.post(asked["Location"], {"password": PASSWORD}, follow=True)
    # then: the suspended reset ran, and its page shows the password once
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.must_change_password
    assert target.check_password(response.context["password"])


def test_the_users_table_links_each_user_shows_its_roles_and_escapes_names(client, actors):
    # given
    odd = make_user(
        actors.customer,
        email="odd@contoso.test",
        first_name="<b>Odd</b>",
        last_name="O'Neil",
        roles=[Role.USER_ADMIN, Role.BILLING_ADMIN],
    )
    odd.is_active = False
    odd.save()
    sign_in(client, actors.customer_admin)
    # when
    body = client.get(_users_url(actors, q="odd@")).content.decode()
    # then: the row, exactly
    detail = reverse("tenants:user-detail", args=[actors.customer.pk, odd.pk])
    assert (
        f'<tr><td><a href="{detail}">&lt;b&gt;Odd&lt;/b&gt; O&#39;Neil</a></td>'
        "<td>odd@contoso.test</td>"
        '<td><span class="badge text-bg-secondary me-1">Billing administrator</span>'
        '<span class="badge text-bg-secondary me-1">User administrator</span></td>'
        '<td><span class="badge text-bg-warning">Disabled</span></td></tr>'
    ) in body


def test_reloading_the_page_that_shows_a_reset_password_resets_nothing(client, actors):
    # given: a reset, followed to the page that shows the password
    sign_in(client, actors.customer_admin)
    target = actors.customer_user
    shown = _reset(client, actors, target)
    password = shown.context["password"]
    events = AuditEvent.objects.filter(action=Action.USER_PASSWORD_RESET).count()
    # when: the page is reloaded
    again = client.get(shown.redirect_chain[-1][0], follow=True)
    # then: the same password stands, nothing is written, and the page says why it is gone
    target.refresh_from_db()
    assert target.check_password(password)
    assert AuditEvent.objects.filter(action=Action.USER_PASSWORD_RESET).count() == events
    assert password not in again.content.decode()
    assert "If it was lost, reset the password again" in again.content.decode()


def test_another_users_page_never_shows_the_password_made_for_someone_else(client, actors):
    sign_in(client, actors.customer_admin)
    shown = _reset(client, actors, actors.customer_user, follow=False)
    other = reverse("tenants:user-password", args=[actors.customer.pk, actors.password_admin.pk])
    response = client.get(other, follow=True)
    # then: the other page says nothing is kept, and the password made is not on it
    assert "was shown once and is not kept" in response.content.decode()
    own = client.get(shown["Location"])  # still there for its own page, once
    assert own.status_code == 200
    assert own.context["password"] not in response.content.decode()
