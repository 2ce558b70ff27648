"""The console's shared pieces, in Chromium: copy buttons, navigation at phone width."""

import re

import pytest
from playwright.sync_api import expect

from tenants.roles import Role
from tests.browser.support import sign_in_with_totp
from tests.factories import make_partner, make_partner_user, make_tenant, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def customer_admin():
    tenant = make_tenant(name="Contoso", domain="contoso.example")
    return make_user(tenant, roles=[Role.GLOBAL_ADMIN], email="megan@contoso.example")


def test_the_copy_button_puts_the_tenant_id_on_the_clipboard_and_says_so(
    page, customer_admin, review
):
    # given a customer admin in its admin center, with clipboard access granted
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in_with_totp(page, customer_admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso")
    tenant_id = str(customer_admin.tenant_id)

    # when it presses the copy button with the keyboard
    button = page.get_by_role("button", name="Copy tenant ID")
    button.focus()
    page.keyboard.press("Enter")

    # then the clipboard holds the tenant ID, the button and a status region say so
    expect(button).to_have_text("Copied")
    expect(page.get_by_role("status").filter(has_text="Copied to the clipboard.")).to_be_attached()
    assert page.evaluate("navigator.clipboard.readText()") == tenant_id
    review(page, "copied")

    # and the button's label comes back after a moment
    expect(button).to_have_text("Copy", timeout=5000)


def test_at_phone_width_the_menus_open_from_their_buttons(phone_page, customer_admin, review):
    # given a customer admin on a phone
    page = phone_page
    sign_in_with_totp(page, customer_admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso")
    admin_nav = page.get_by_role("navigation", name="Admin center")
    expect(admin_nav).to_be_hidden()

    # when it opens the admin center menu
    page.get_by_role("button", name="Admin center menu").click()

    # then the admin center's navigation shows, the current page marked
    expect(admin_nav).to_be_visible()
    expect(admin_nav.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    review(page, "admin center menu open")

    # and the main menu opens from its button, with the account's links
    page.get_by_role("button", name="Toggle navigation").click()
    menu = page.get_by_role("button", name=re.compile("Account menu"))
    expect(menu).to_be_visible()
    menu.click()
    expect(page.get_by_role("link", name="My profile")).to_be_visible()
    review(page, "main menu open")
    page.get_by_role("link", name="My profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    review(page, "profile")


def test_the_partner_overview_says_what_to_do_when_there_are_no_customers(page, review):
    # given a partner admin without customers
    partner = make_partner(name="Fabrikam Partners", domain="fabrikam.example")
    admin = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])

    # when it signs in
    sign_in_with_totp(page, admin.email)

    # then the overview tells it how customers come
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner overview")
    expect(page.get_by_text("No customer has given you delegated access yet")).to_be_visible()
    review(page, "empty partner overview")


def test_another_organisations_admin_center_is_not_found_and_says_where_to_go(
    page, customer_admin, review
):
    # given a customer admin and another organisation
    other = make_tenant(name="Northwind Traders", domain="northwind.example")
    sign_in_with_totp(page, customer_admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso")

    # when it opens the other organisation's admin center
    response = page.goto(f"/t/{other.pk}/")

    # then it is not found, on a page of the portal with a way back
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("main")).not_to_contain_text("Northwind")
    review(page, "not found")
    page.get_by_role("link", name="Go to your start page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso")
