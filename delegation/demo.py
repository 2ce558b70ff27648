"""Demo data of technician teams: Fabrikam's "Helpdesk" (Password administrator in every
customer) and "Contoso project" (User administrator in Contoso only), each with a staff
member in Teams mode. Made through the services, so they leave the partner's audit
trail; running it again changes nothing."""

from tenants.models import Tenant, User
from tenants.roles import Role

from .models import AccessLevel, AgentAccess, Relationship, RelationshipStatus, Team
from .services import agent_access_set
from .teams import assignment_set, team_create, team_member_add

PARTNER_ADMIN = "alex@fabrikam.example"
# (team, description, member, roles, customer's domain or None for every customer)
TEAMS = [
    (
        "Helpdesk",
        "First-line support: password resets for every customer.",
        "nina@fabrikam.example",
        [Role.PASSWORD_ADMIN],
        None,
    ),
    (
        "Contoso project",
        "The Contoso migration: its users, and nothing elsewhere.",
        "omar@fabrikam.example",
        [Role.USER_ADMIN],
        "contoso.example",
    ),
]


def seed_teams(tenants: dict[str, Tenant]) -> int:
    """Create what is missing; returns how many teams were added."""
    fabrikam = tenants["fabrikam.example"]
    alex = User.objects.get(email=PARTNER_ADMIN)
    added = 0
    for name, description, email, roles, domain in TEAMS:
        member = User.objects.get(email=email)
        if not AgentAccess.objects.filter(user=member, level=AccessLevel.TEAMS).exists():
            agent_access_set(partner_admin=alex, staff_user=member, level=AccessLevel.TEAMS)
        if Team.objects.filter(partner=fabrikam, name=name).exists():
            continue
        team = team_create(partner_admin=alex, name=name, description=description)
        team_member_add(partner_admin=alex, team=team, user=member)
        relationship = None
        if domain is not None:
            relationship = Relationship.objects.get(
                partner=fabrikam, customer=tenants[domain], status=RelationshipStatus.ACTIVE
            )
        assignment_set(partner_admin=alex, team=team, relationship=relationship, roles=roles)
        added += 1
    return added
