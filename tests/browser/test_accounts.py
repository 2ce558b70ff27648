"""Signing up and signing in, in Chromium, as people do it: by labels, roles and links."""

import re

import pytest
from playwright.sync_api import expect

from tenants.models import Tenant, TenantKind
from tenants.roles import Role
from tests.browser.support import enrol_totp, fresh_totp_code, message_text, sign_in
from tests.factories import PASSWORD, make_partner, make_partner_user

pytestmark = pytest.mark.browser


def test_a_new_customer_signs_up_verifies_its_email_and_lands_in_its_admin_center(
    page, smtp, review, portal
):
    # given a visitor on the sign-in page
    page.goto("/")
    expect(page).to_have_title(re.compile("Sign in"))
    review(page, "sign in")

    # when it signs up its organisation
    page.get_by_role("link", name="Sign up").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your organisation")
    review(page, "sign up")
    page.get_by_label("Organisation name").fill("Wide World Importers")
    page.get_by_label("Your organisation's domain").fill("wideworld.example")
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Alves")
    page.get_by_label("Email", exact=True).fill("ana@wideworld.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    # then it is asked to verify its address, and the message arrives over SMTP
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("verify your email address", re.I)
    )
    review(page, "verification sent")
    (message,) = smtp.wait_for(to="ana@wideworld.example", subject="Confirm")
    assert message_text(message).startswith("Hello Ana,"), message_text(message)
    link = re.search(rf"{re.escape(portal)}/accounts/confirm-email/\S+/", message_text(message))
    assert link, message_text(message)

    # when it follows the link and confirms
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("confirm email address", re.I)
    )
    review(page, "confirm email")
    page.get_by_role("button", name="Confirm").click()

    # then it is signed in, and its organisation requires a second factor of admins
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("two-factor authentication", re.I)
    )
    expect(page.get_by_role("main")).to_contain_text("requires two-factor authentication")
    review(page, "two-factor required")

    # when it activates an authenticator app and continues where it was going
    enrol_totp(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    review(page, "recovery codes")
    page.get_by_role("link", name="Continue where you were going").click()

    # then it is in the admin center of its new organisation
    expect(page.get_by_role("heading", level=1)).to_have_text("Wide World Importers")
    tenant = Tenant.objects.get(name="Wide World Importers")  # the server is idle now
    assert tenant.kind == TenantKind.CUSTOMER
    expect(page).to_have_url(f"{portal}/t/{tenant.pk}/")
    expect(page.get_by_role("navigation", name="Admin center")).to_be_visible()
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text(
        "Wide World Importers"
    )
    expect(page.get_by_role("cell", name="wideworld.example", exact=True)).to_be_visible()
    review(page, "admin center")


def test_a_partner_admin_signs_in_with_its_second_factor_and_lands_on_the_partner_overview(
    page, review, portal
):
    # given a partner admin with an authenticator (TOTP)
    partner = make_partner(name="Fabrikam Partners", domain="fabrikam.example")
    make_partner_user(partner, roles=[Role.GLOBAL_ADMIN], email="alex@fabrikam.example")

    # when it signs in with its password
    sign_in(page, "alex@fabrikam.example")

    # then it is asked for its authenticator code, and with it lands on the overview
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("two-factor authentication", re.I)
    )
    review(page, "second factor")
    page.get_by_label("Code").fill(fresh_totp_code())
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{portal}/partner/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner overview")
    expect(page).to_have_title(re.compile("Partner overview"))
    current = page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Partner overview"
    )
    expect(current).to_have_attribute("aria-current", "page")
    review(page, "partner overview")


def test_a_wrong_authenticator_code_is_refused_with_a_message(page, review):
    # given a partner admin past its password
    partner = make_partner()
    user = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    sign_in(page, user.email)

    # when it enters a wrong code
    wrong = f"{(int(fresh_totp_code()) + 1) % 1_000_000:06d}"
    page.get_by_label("Code").fill(wrong)
    page.get_by_role("button", name="Sign in").click()

    # then it stays on the second-factor page with the error next to the field
    code = page.get_by_label("Code")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Incorrect code")).to_be_visible()
    review(page, "wrong code")


def test_a_wrong_password_says_so_without_leaving_the_page(page, review):
    # given a customer admin
    partner = make_partner()
    user = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])

    # when it signs in with a wrong password
    sign_in(page, user.email, "not-the-password-at-all")

    # then the form says so and keeps the address
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    expect(page.get_by_label("Email")).to_have_value(user.email)
    review(page, "wrong password")


def test_signing_in_works_with_the_keyboard_alone_and_focus_is_visible(page, portal, screenshot):
    # given a partner admin on the sign-in page, where the email field has the focus
    partner = make_partner()
    user = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    page.goto("/accounts/login/")
    email = page.get_by_label("Email")
    expect(email).to_be_focused()
    assert has_visible_focus(email)
    screenshot(page, "focus on email")

    # when it types its address, tabs to the password and presses Enter
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    # then the second-factor page has the focus in the code field, ready to type
    code = page.get_by_label("Code")
    expect(code).to_be_focused()
    page.keyboard.type(fresh_totp_code())
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{portal}/partner/")
    page.wait_for_load_state("load")  # the menu below needs the page's scripts

    # and on the overview the first Tab reaches the skip link, which is then visible
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    assert has_visible_focus(skip)
    screenshot(page, "skip link")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # and the account menu opens and signs out with the keyboard alone
    menu = page.get_by_role("button", name=re.compile("Account menu"))
    for _ in range(15):
        page.keyboard.press("Shift+Tab")
        if menu.evaluate("el => el === document.activeElement"):
            break
    expect(menu).to_be_focused()
    assert has_visible_focus(menu)
    page.keyboard.press("Enter")
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    for _ in range(10):
        page.keyboard.press("ArrowDown")
        if sign_out.evaluate("el => el === document.activeElement"):
            break
    expect(sign_out).to_be_focused()
    screenshot(page, "account menu")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def has_visible_focus(locator) -> bool:
    """The focused element is drawn with an outline or a focus shadow."""
    style = locator.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
    )
    outline_style, outline_width, shadow = style
    return (outline_style != "none" and outline_width != "0px") or shadow != "none"
