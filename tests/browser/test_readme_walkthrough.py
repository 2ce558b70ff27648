"""The README's walk through the portal, step by step as written, on the demo data.

``seed_demo`` fills the live server's database; the demo accounts sign in with the demo
password and, for the partner's, the demo TOTP secret the README gives. Each numbered
step of "A walk through the portal" is followed by the names of the links and buttons it
gives, in Chromium at desktop width, and its visible outcome is checked.
"""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from delegation.models import Relationship
from tenants.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tenants.models import Tenant, User
from tests.browser.support import enrol_totp, sign_in
from tests.factories import fresh_totp_code

pytestmark = pytest.mark.browser

README = Path(__file__).resolve().parents[2] / "README.md"
# What each step of the test clicks, chooses or reads by name. Every name the README's step
# puts in bold must be one of them: the README names what is really on the pages.
NAMES_USED = {
    1: {"Send delegated administration offers", "Create offer", "Copy to clipboard"},
    2: {"Sign in to review", "Activate", "Continue where you were going", "Accept"},
    3: {"Users", "Edit", "Limited administration", "Full administration", "Save"},
    4: {"User and domain lookup", "Administer on behalf of", "Users", "Reset password"},
    5: {"Customers", "Administer on behalf of", "Users", "Edit", "Save", "Teams"},
    6: {
        "Administrators",
        "Audit log",
        "Partner relationships",
        "Remove",
        "Remove the relationship",
    },
}


def readme_steps() -> dict[int, str]:
    """The numbered steps of the README's "A walk through the portal", by number."""
    walkthrough = README.read_text().split("A walk through the portal:", 1)[1]
    walkthrough = walkthrough.split("\n## ", 1)[0]
    parts = re.split(r"^(\d)\. ", walkthrough, flags=re.MULTILINE)[1:]
    return {int(number): text for number, text in zip(parts[::2], parts[1::2], strict=True)}


def sign_in_as_demo_partner(page, email: str) -> None:
    """The password, then the current code of the README's demo secret."""
    sign_in(page, email, DEMO_PASSWORD)
    page.get_by_label("Code", exact=True).fill(fresh_totp_code(DEMO_TOTP_SECRET))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def sign_in_as_demo_customer_admin(page, email: str) -> None:
    """The password; not enrolled yet, the portal asks for a second factor first, and
    "Continue where you were going" leads on."""
    sign_in(page, email, DEMO_PASSWORD)
    enrol_and_continue(page)


def enrol_and_continue(page) -> None:
    expect(page.get_by_role("main")).to_contain_text("requires two-factor authentication")
    enrol_totp(page, DEMO_PASSWORD)
    page.get_by_role("link", name="Continue where you were going").click()


def partner_menu(page, item: str) -> None:
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("button", name="Partners", exact=True).click()
    nav.get_by_role("link", name=item, exact=True).click()


def admin_nav(page):
    return page.get_by_role("navigation", name="Admin center")


def admin_section(page, name: str) -> None:
    admin_nav(page).get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def give_access(page, email: str, level: str) -> None:
    """Partners -> Users -> Edit the staff member -> Yes -> ``level`` -> Save."""
    partner_menu(page, "Users")
    page.get_by_role("row").filter(has_text=email).get_by_role("link", name="Edit").click()
    access = page.get_by_role(
        "group", name=re.compile("Assign administrative access to companies you support")
    )
    access.get_by_label("Yes").check()
    page.get_by_label(level).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text(level)


def test_the_readme_walk_through_works_as_written(page, open_page, screenshot, portal):
    # given: the demo data, as `make run` loads it
    call_command("seed_demo", verbosity=0)
    assert DEMO_PASSWORD in README.read_text()
    assert DEMO_TOTP_SECRET in README.read_text()
    steps = readme_steps()
    assert sorted(steps) == sorted(NAMES_USED)
    for number, text in steps.items():
        bold = set(re.findall(r"\*\*(.+?)\*\*", text))
        assert bold <= NAMES_USED[number], f"step {number} names {bold - NAMES_USED[number]}"

    # 1. alex -> Send delegated administration offers -> pick a preset -> Create offer
    #    -> Copy to clipboard
    alex = page
    alex.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in_as_demo_partner(alex, "alex@fabrikam.example")
    expect(alex.get_by_role("heading", level=1)).to_have_text("Partner overview")
    alex.get_by_role("link", name="Send delegated administration offers").click()
    alex.get_by_role("group", name="Access to ask for").get_by_role(
        "radio", name=re.compile("^Full delegated administration")
    ).check()
    alex.get_by_role("button", name="Create offer").click()
    alex.get_by_role("button", name="Copy to clipboard").click()
    expect(alex.get_by_role("status").filter(has_text="Copied to the clipboard.")).to_be_attached()
    offer_text = alex.evaluate("navigator.clipboard.readText()")
    assert "Fabrikam Partners" in offer_text
    found = re.search(rf"{re.escape(portal)}/offer/[\w-]+/", offer_text)
    assert found, offer_text
    offer_link = found.group(0)
    screenshot(alex, "1 offer text copied")

    # 2. in another browser: open the link, sign in as tina, set up the second factor
    #    first, continue to the consent page, Accept
    tina = open_page()
    tina.goto(offer_link)
    tina.get_by_role("link", name="Sign in to review").click()
    tina.get_by_label("Email").fill("tina@tailspin.example")
    tina.get_by_label("Password").fill(DEMO_PASSWORD)
    with tina.expect_navigation():
        tina.get_by_role("button", name="Sign in").click()
    enrol_and_continue(tina)
    expect(tina).to_have_url(offer_link)
    expect(tina.get_by_role("main")).to_contain_text("Fabrikam Partners asks to administer")
    screenshot(tina, "2 consent")
    tina.get_by_role("button", name="Accept").click()
    tailspin = Tenant.objects.get(name="Tailspin Toys")
    expect(tina).to_have_url(f"{portal}/t/{tailspin.pk}/")
    expect(tina.get_by_role("heading", level=1)).to_have_text("Tailspin Toys")
    expect(tina.get_by_role("alert").first).to_contain_text("Fabrikam Partners")
    screenshot(tina, "2 accepted, admin center")
    assert Relationship.objects.filter(customer=tailspin, status="active").exists()

    # 3. alex -> Partners -> Users -> Edit adele: Limited administration; lee: Full
    give_access(alex, "adele@fabrikam.example", "Limited administration")
    give_access(alex, "lee@fabrikam.example", "Full administration")
    screenshot(alex, "3 staff access saved")

    # 4. adele -> User and domain lookup -> contoso.example -> Administer on behalf of
    #    -> Users -> reset an ordinary user's password
    adele = open_page()
    sign_in_as_demo_partner(adele, "adele@fabrikam.example")
    partner_menu(adele, "User and domain lookup")
    adele.get_by_role("searchbox").fill("contoso.example")
    adele.get_by_role("searchbox").press("Enter")
    adele.get_by_role("link", name="Administer on behalf of").first.click()
    expect(adele.get_by_role("region", name="Delegated administration")).to_contain_text(
        "Administering Contoso on behalf of Fabrikam Partners"
    )
    admin_section(adele, "Users")
    adele.get_by_role("link", name=re.compile("Allan Deyoung")).click()
    adele.get_by_role("main").get_by_role("link", name="Reset password").click()
    adele.get_by_role("main").get_by_role("button", name="Reset password").click()
    expect(adele.get_by_role("heading", level=1)).to_have_text("Password reset")
    expect(adele.get_by_label("Temporary password")).not_to_have_value("")
    screenshot(adele, "4 temporary password")
    allan = User.objects.get(email="allan.deyoung@contoso.example")
    assert not allan.check_password(DEMO_PASSWORD)

    # 5. omar (Teams mode, team "Contoso project") -> Customers: Contoso alone, through
    #    the team -> Administer on behalf of -> Users -> an ordinary user -> Edit -> Save;
    #    alex finds the team under Partners -> Teams
    omar = open_page()
    sign_in_as_demo_partner(omar, "omar@fabrikam.example")
    partner_menu(omar, "Customers")
    rows = omar.get_by_role("main").get_by_role("row")
    expect(rows.filter(has_text="Contoso")).to_contain_text(
        "User administrator, through Contoso project"
    )
    expect(rows.filter(has_text="Northwind Traders")).to_have_count(0)
    omar.get_by_role("main").get_by_role("link", name="Contoso", exact=True).click()
    omar.get_by_role("link", name="Administer on behalf of").first.click()
    admin_section(omar, "Users")
    omar.get_by_role("link", name=re.compile("Allan Deyoung")).click()
    omar.get_by_role("main").get_by_role("link", name="Edit").click()
    omar.get_by_label("Job title").fill("Warehouse lead")
    omar.get_by_role("button", name="Save").click()
    expect(omar.get_by_role("main")).to_contain_text("Warehouse lead")
    screenshot(omar, "5 user changed through a team")
    partner_menu(alex, "Teams")
    expect(alex.get_by_role("row").filter(has_text="Contoso project")).to_contain_text("Omar")

    # 6. megan -> Contoso's admin center -> Administrators (the team and omar by name)
    #    -> Audit log (adele named, with Fabrikam; omar through the team)
    #    -> Partner relationships -> Remove Fabrikam; adele's next click is refused
    megan = open_page()
    sign_in_as_demo_customer_admin(megan, "megan@contoso.example")
    expect(megan.get_by_role("heading", level=1)).to_have_text("Contoso")
    admin_nav(megan).get_by_role("link", name="Administrators").click()
    expect(megan.get_by_role("heading", level=1)).to_have_text("All administrators")
    team = megan.get_by_role("region", name="Teams of Fabrikam Partners")
    expect(team.get_by_role("row").filter(has_text="Contoso project")).to_contain_text(
        "omar@fabrikam.example"
    )
    screenshot(megan, "6 administrators with the team")
    admin_section(megan, "Audit log")
    entry = megan.get_by_role("row").filter(has_text="adele@fabrikam.example").first
    expect(entry).to_contain_text("Fabrikam Partners")
    by_team = megan.get_by_role("row").filter(has_text="omar@fabrikam.example").first
    expect(by_team).to_contain_text("through Contoso project")
    screenshot(megan, "6 audit log")
    admin_section(megan, "Partner relationships")
    row = megan.get_by_role("row").filter(has_text="Fabrikam Partners")
    row.get_by_role("link", name="Remove").click()
    megan.get_by_label("Reason").fill("We now manage our services ourselves.")
    megan.once("dialog", lambda dialog: dialog.accept())
    megan.get_by_role("button", name="Remove the relationship").click()
    expect(megan.get_by_role("alert").first).to_contain_text("Fabrikam Partners")
    screenshot(megan, "6 partner removed")
    with adele.expect_navigation() as navigation:
        admin_nav(adele).get_by_role("link", name="Users").click()
    assert navigation.value is not None
    assert navigation.value.status == 404
    expect(adele.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
    expect(adele.get_by_role("main")).to_contain_text("delegated access to Contoso has ended")
    screenshot(adele, "6 refused")
    for person in (alex, tina, adele, omar, megan):
        assert person.problems.errors == [], person.problems.errors
