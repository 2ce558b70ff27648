"""Small text helpers for what the portal writes about organisations."""


def possessive(name: str) -> str:
    """``Contoso's``, but ``Fabrikam Partners'``: a name ending in s takes the apostrophe."""
    name = str(name)
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"
