"""An event's changes in words: a long list reads in a line, the CSV keeps it whole."""

from audit.display import LIST_SHOWN, change_rows, value_text


def test_a_short_list_is_shown_whole():
    assert value_text("customers", ["Contoso", "Northwind"]) == "Contoso, Northwind"
    assert value_text("customers", []) == "none"


def test_a_long_list_shows_its_first_items_and_how_many_more():
    names = [f"Customer {n:05}" for n in range(10_000)]
    text = value_text("customers", names)
    assert text is not None
    assert text.startswith("Customer 00000, Customer 00001, ")
    assert f"Customer {LIST_SHOWN - 1:05}" in text
    assert f"Customer {LIST_SHOWN:05}" not in text
    assert text.endswith(f" and {10_000 - LIST_SHOWN:,} more (all of them in the CSV export)")


def test_roles_in_a_long_list_are_still_named_in_words():
    ((field, old, new),) = change_rows({"roles": [None, ["password_admin"] * (LIST_SHOWN + 1)]})
    assert field == "Roles"
    assert old is None
    assert new is not None
    assert new.startswith("Password administrator, ")
    assert new.endswith(" and 1 more (all of them in the CSV export)")
