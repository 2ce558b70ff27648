"""The whole journey of delegated administration, end to end, in Chromium.

A partner admin sends an offer; a brand-new customer signs up and accepts it; mail
arrives over SMTP; partner staff get Limited and Full administration and work in the
customer's admin center; the customer reads its audit log and removes the partner; the
partner's next click is refused. People are followed by the labels, roles and links
they see, and every page gets the accessibility check and a screenshot at both widths.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from playwright.sync_api import expect

from delegation.models import Relationship
from tenants.models import Domain, Tenant
from tenants.roles import ROLE_INFO, Role
from tests import services
from tests.browser.support import enrol_totp, message_text, sign_in_with_totp
from tests.conftest_mail import celery_broker
from tests.factories import PASSWORD, make_partner, make_partner_user, make_user

# The journey's mail goes as in production: outbox row, a real Celery worker on Redis,
# a real SMTP server.
pytestmark = [pytest.mark.browser, pytest.mark.redis]

CUSTOMER = "Wide World Importers"
CUSTOMER_DOMAIN = "wideworld.example"
CUSTOMER_ADMIN = "ana@wideworld.example"
CUSTOMER_ADMIN_NAME = ("Ana", "Alves")


def partner_menu(page, item: str) -> None:
    """Main navigation -> the "Partners" menu -> ``item`` (behind the menu button on a phone)."""
    nav = page.get_by_role("navigation", name="Main navigation")
    toggle = nav.get_by_role("button", name="Toggle navigation")
    if toggle.is_visible():
        toggle.click()
    nav.get_by_role("button", name="Partners", exact=True).click()
    nav.get_by_role("link", name=item, exact=True).click()


def lookup_customer(page, review, name: str) -> None:
    """Partner nav -> "User and domain lookup" -> search by the customer's domain."""
    partner_menu(page, "User and domain lookup")
    expect(page.get_by_role("heading", level=1)).to_contain_text("User and domain lookup")
    page.get_by_role("searchbox").fill(CUSTOMER_DOMAIN)
    page.get_by_role("searchbox").press("Enter")
    expect(page.get_by_role("main")).to_contain_text(CUSTOMER)
    review(page, name)


def preset_choice(presets, name: str):
    """The access preset whose label starts with ``name`` (the roles follow the name)."""
    return presets.get_by_role("radio", name=re.compile(rf"^{re.escape(name)}"))


def admin_nav(page):
    return page.get_by_role("navigation", name="Admin center")


def open_admin_section(page, name: str) -> None:
    """Left nav of the admin center; at phone width it sits behind its menu button."""
    expect(admin_nav(page)).to_be_attached()
    page.wait_for_load_state("load")  # the stylesheet decides whether the button shows
    toggle = page.get_by_role("button", name="Admin center menu")
    if toggle.is_visible():
        toggle.click()
    admin_nav(page).get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def give_staff_access(page, review, email: str, level: str) -> None:
    """Partner nav "Users" -> "Edit" -> Yes -> Full/Limited administration -> Save."""
    partner_menu(page, "Users")
    review(page, f"staff before {level}")
    page.get_by_role("row").filter(has_text=email).get_by_role("link", name="Edit").click()
    access = page.get_by_role(
        "group", name=re.compile("Assign administrative access to companies you support")
    )
    access.get_by_label("Yes").check()
    page.get_by_label(level).check()
    review(page, f"edit staff {level}")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text(level)
    review(page, f"staff after {level}")


@pytest.fixture
def worker(settings: Any) -> Iterator[Any]:
    """A Celery worker on Redis, in a thread of its own, delivers the outbox.

    On PostgreSQL only: the test database on SQLite is one shared in-memory file that
    two writing threads (the live server and a worker) lock each other out of, so there
    the outbox is delivered in the live server's thread (Celery eager), as in ``make run``.
    """
    if connection.vendor != "postgresql":
        yield None
        return
    with celery_broker(services.REDIS_URL, settings) as app:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(app.conf.task_default_queue)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield app


def test_the_delegated_administration_journey(page, open_page, smtp, worker, review, portal, dns):
    # given a partner with an admin and two staff members, all enrolled in TOTP
    partner = make_partner(name="Fabrikam Partners", domain="fabrikam.example")
    make_partner_user(partner, roles=[Role.GLOBAL_ADMIN], email="alex@fabrikam.example")
    make_partner_user(partner, email="adele@fabrikam.example", first_name="Adele")
    make_partner_user(partner, email="lee@fabrikam.example", first_name="Lee")

    # 1. the partner admin signs in with its second factor and makes an offer
    alex = page
    alex.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in_with_totp(alex, "alex@fabrikam.example")
    expect(alex.get_by_role("heading", level=1)).to_have_text("Partner overview")
    review(alex, "partner overview")
    alex.get_by_role("link", name="Send delegated administration offers").click()
    presets = alex.get_by_role("group", name="Access to ask for")
    for preset in ("Full delegated administration", "Helpdesk", "User management", "Custom"):
        expect(preset_choice(presets, preset)).to_be_visible()
    review(alex, "offer form")
    preset_choice(presets, "Full delegated administration").check()
    alex.get_by_role("main").get_by_role("button", name=re.compile("offer", re.I)).click()
    copy = alex.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()
    review(alex, "offer text")
    copy.click()
    # the button says so (its name changes with its text) and so does the status line
    expect(alex.get_by_role("button", name="Copied", exact=True)).to_be_visible()
    expect(alex.get_by_role("status").filter(has_text="Copied to the clipboard.")).to_be_attached()
    offer_text = alex.evaluate("navigator.clipboard.readText()")
    assert "Fabrikam Partners" in offer_text
    found = re.search(rf"{re.escape(portal)}/offer/[\w-]+/", offer_text)
    assert found, offer_text
    offer_link = found.group(0)

    # 2. a brand-new customer opens the link, signs up, verifies its email, accepts
    ana = open_page()
    ana.goto(offer_link)
    review(ana, "offer link, signed out")
    ana.get_by_role("main").get_by_role(
        "link", name=re.compile("sign up|create your organisation", re.I)
    ).first.click()
    ana.get_by_label("Organisation name").fill(CUSTOMER)
    ana.get_by_label("Your organisation's domain").fill(CUSTOMER_DOMAIN)
    ana.get_by_label("First name").fill(CUSTOMER_ADMIN_NAME[0])
    ana.get_by_label("Last name").fill(CUSTOMER_ADMIN_NAME[1])
    ana.get_by_label("Email", exact=True).fill(CUSTOMER_ADMIN)
    ana.get_by_label("Password", exact=True).fill(PASSWORD)
    ana.get_by_label("Password (again)").fill(PASSWORD)
    ana.get_by_role("button", name="Sign up").click()
    expect(ana.get_by_role("heading", level=1)).to_have_text(
        re.compile("verify your email address", re.I)
    )
    (confirm_mail,) = smtp.wait_for(to=CUSTOMER_ADMIN, subject="Confirm")
    confirm = re.search(
        rf"{re.escape(portal)}/accounts/confirm-email/\S+/", message_text(confirm_mail)
    )
    assert confirm, message_text(confirm_mail)
    ana.goto(confirm.group(0))
    with ana.expect_navigation():
        ana.get_by_role("button", name="Confirm").click()

    # confirming signs it in and takes it back to the link; its organisation requires a
    # second factor of admins, so it sets up an authenticator app first and continues
    # where it was going, to the consent page
    expect(ana.get_by_role("heading", level=1)).to_have_text(
        re.compile("two-factor authentication", re.I)
    )
    expect(ana.get_by_role("main")).to_contain_text("requires two-factor authentication")
    review(ana, "two-factor required")
    enrol_totp(ana)
    expect(ana.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    review(ana, "recovery codes")
    ana.get_by_role("link", name="Continue where you were going").click()
    expect(ana).to_have_url(offer_link)
    consent = ana.get_by_role("main")
    expect(consent).to_contain_text(f"Fabrikam Partners asks to administer {CUSTOMER}")
    expect(consent).to_contain_text(ROLE_INFO[Role.GLOBAL_ADMIN].summary)
    expect(ana.get_by_role("button", name="Decline")).to_be_visible()
    review(ana, "consent")
    ana.get_by_role("button", name="Accept").click()
    expect(ana.get_by_role("alert").first).to_contain_text("Fabrikam Partners")
    review(ana, "accepted")
    customer = Tenant.objects.get(name=CUSTOMER)
    relationship = Relationship.objects.get(customer=customer, partner=partner)
    assert relationship.status == "active"
    assert relationship.roles == [Role.GLOBAL_ADMIN]
    joni = make_user(customer, email=f"joni@{CUSTOMER_DOMAIN}", first_name="Joni")

    # 3. the partner's confirmation and the customer's receipt arrive over SMTP
    (confirmation,) = smtp.wait_for(to="alex@fabrikam.example")
    assert CUSTOMER in str(confirmation["Subject"]) + message_text(confirmation)
    receipts = smtp.wait_for(to=CUSTOMER_ADMIN, count=2)
    receipt = receipts[-1]
    assert "Fabrikam Partners" in message_text(receipt)
    assert ROLE_INFO[Role.GLOBAL_ADMIN].role.label in message_text(receipt)

    # 4. the partner admin gives Adele Limited and Lee Full administration
    give_staff_access(alex, review, "adele@fabrikam.example", "Limited administration")
    give_staff_access(alex, review, "lee@fabrikam.example", "Full administration")

    # 5. the Limited agent works on the customer's behalf
    adele = open_page()
    sign_in_with_totp(adele, "adele@fabrikam.example")
    lookup_customer(adele, review, "lookup results")
    adele.get_by_role("link", name="Administer on behalf of").first.click()
    expect(adele.get_by_role("region", name="Delegated administration")).to_contain_text(
        f"Administering {CUSTOMER} on behalf of Fabrikam Partners"
    )
    review(adele, "on behalf of")
    open_admin_section(adele, "Users")
    review(adele, "customer users")
    adele.get_by_role("link", name=re.compile("Joni")).click()
    adele.get_by_role("main").get_by_role("link", name="Reset password").click()
    expect(adele.get_by_role("heading", level=1)).to_have_text("Reset password")
    review(adele, "reset password")
    adele.get_by_role("main").get_by_role("button", name="Reset password").click()
    expect(adele.get_by_role("alert").first).to_contain_text(re.compile("password", re.I))
    review(adele, "password reset")
    joni.refresh_from_db()
    assert not joni.check_password(PASSWORD)
    open_admin_section(adele, "Users")
    adele.get_by_role("link", name=" ".join(CUSTOMER_ADMIN_NAME)).click()
    expect(adele.get_by_role("main")).to_contain_text(CUSTOMER_ADMIN)
    expect(adele.get_by_role("button", name="Reset password")).to_have_count(0)
    expect(adele.get_by_role("link", name="Reset password")).to_have_count(0)
    review(adele, "global admin, no reset")
    lookup_customer(adele, review, "lookup again")
    adele.get_by_role("link", name="Create service requests").first.click()
    adele.get_by_label(re.compile("title|subject", re.I)).fill("Mailbox cannot receive mail")
    adele.get_by_label(re.compile("description|details", re.I)).fill(
        "Since this morning, messages to joni bounce."
    )
    review(adele, "service request form")
    adele.get_by_role("main").get_by_role(
        "button", name=re.compile("create|file|submit|send", re.I)
    ).click()
    expect(adele.get_by_role("main")).to_contain_text("Mailbox cannot receive mail")
    review(adele, "service request filed")
    lookup_customer(adele, review, "lookup for administrators")
    adele.get_by_role("link", name="Show all administrators").first.click()
    expect(adele.get_by_role("main")).to_contain_text(CUSTOMER_ADMIN)
    expect(adele.get_by_role("main")).to_contain_text(Role.GLOBAL_ADMIN.label)
    review(adele, "administrators")
    partner_menu(adele, "User and domain lookup")
    adele.get_by_role("searchbox").fill(CUSTOMER_DOMAIN)
    adele.get_by_role("searchbox").press("Enter")
    adele.get_by_role("link", name="Administer on behalf of").first.click()
    expect(admin_nav(adele)).to_be_attached()

    # 6. the Full agent creates a user in the customer's tenant (verifying its domain first)
    lee = open_page()
    sign_in_with_totp(lee, "lee@fabrikam.example")
    lookup_customer(lee, review, "lookup by the full agent")
    lee.get_by_role("link", name="Administer on behalf of").first.click()
    expect(lee.get_by_role("region", name="Delegated administration")).to_contain_text(
        "Full administration"
    )
    open_admin_section(lee, "Users")
    add_user = lee.get_by_role("main").get_by_role("link", name=re.compile("add|create|new", re.I))
    add_user.first.click()
    # the new organisation's domain is not verified yet, and the form says where to do it
    note = lee.get_by_role("note").filter(has_text="No domain of")
    expect(note).to_contain_text(f"No domain of {CUSTOMER} is verified yet")
    review(lee, "new user form, no verified domain")
    note.get_by_role("link", name="Verify a domain under Domains").click()
    expect(lee.get_by_role("heading", level=1)).to_have_text("Domains")
    # the page shows the TXT record to create; the customer publishes it, then Verify
    record = Domain.objects.get(tenant=customer, name=CUSTOMER_DOMAIN).txt_record
    expect(lee.get_by_role("textbox", name="Value")).to_have_value(record)
    review(lee, "domain to verify, with its TXT record")
    dns.txt(CUSTOMER_DOMAIN, record)
    lee.get_by_role("row").filter(has_text=CUSTOMER_DOMAIN).get_by_role(
        "button", name="Verify"
    ).click()
    expect(lee.get_by_role("alert").first).to_contain_text(f"{CUSTOMER_DOMAIN} is verified")
    review(lee, "domain verified")
    open_admin_section(lee, "Users")
    add_user.first.click()
    lee.get_by_label(re.compile("first name", re.I)).fill("Pradeep")
    lee.get_by_label(re.compile("last name", re.I)).fill("Gupta")
    lee.get_by_label(re.compile("email|user ?name", re.I)).first.fill(f"pradeep@{CUSTOMER_DOMAIN}")
    review(lee, "new user form")
    lee.get_by_role("main").get_by_role("button", name=re.compile("add|create|save", re.I)).click()
    expect(lee.get_by_role("main")).to_contain_text(f"pradeep@{CUSTOMER_DOMAIN}")
    review(lee, "user created")
    assert customer.users.filter(email=f"pradeep@{CUSTOMER_DOMAIN}").exists()

    # 7. the customer's admin reads its audit log, both technicians named, and removes
    #    the partner
    ana.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Admin center"
    ).click()
    expect(ana).to_have_url(f"{portal}/t/{customer.pk}/")
    open_admin_section(ana, "Audit log")
    log = ana.get_by_role("main")
    expect(log).to_contain_text("adele@fabrikam.example")
    expect(log).to_contain_text("lee@fabrikam.example")
    expect(log).to_contain_text("Fabrikam Partners")
    review(ana, "audit log")
    open_admin_section(ana, "Partner relationships")
    row = ana.get_by_role("row").filter(has_text="Fabrikam Partners")
    expect(row).to_contain_text(Role.GLOBAL_ADMIN.label)
    review(ana, "partner relationships")
    row.get_by_role("link", name="Remove").click()
    expect(ana.get_by_role("heading", level=1)).to_have_text("Remove Fabrikam Partners?")
    ana.get_by_label("Reason").fill("We now manage our services ourselves.")
    review(ana, "remove partner")
    ana.once("dialog", lambda dialog: dialog.accept())  # the form asks to confirm
    ana.get_by_role("button", name="Remove the relationship").click()
    expect(ana.get_by_role("alert").first).to_contain_text("Fabrikam Partners")
    review(ana, "partner removed")
    relationship.refresh_from_db()
    assert relationship.status == "terminated"
    smtp.wait_for(to="alex@fabrikam.example", count=2)

    # 8. the Limited agent's next click, inside the customer's admin center, is refused
    with adele.expect_navigation() as navigation:
        admin_nav(adele).get_by_role("link", name="Users").click()
    response = navigation.value
    assert response is not None
    assert response.status == 404
    # and says why: the access has ended (adele knows the customer; a stranger would not)
    expect(adele.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
    expect(adele.get_by_role("main")).to_contain_text("has ended")
    review(adele, "refused")
