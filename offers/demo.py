"""Demo data of offers: Fabrikam's relationships with Contoso and Northwind, and an open offer.

Relationships come from accepting offers through the services, so they carry the audit
trail an acceptance leaves; running it again changes nothing.
"""

from delegation.models import Relationship
from tenants.models import Tenant, User

from .models import Offer, OfferPreset
from .services import offer_accept, offer_create

PARTNER_ADMIN = "alex@fabrikam.example"
ACCEPTED = [
    ("contoso.example", OfferPreset.FULL, "megan@contoso.example"),
    ("northwind.example", OfferPreset.HELPDESK, "nestor@northwind.example"),
]


def seed_offers(tenants: dict[str, Tenant]) -> int:
    """Create what is missing; returns how many offers were added."""
    fabrikam = tenants["fabrikam.example"]
    alex = User.objects.get(email=PARTNER_ADMIN)
    added = 0
    for domain, preset, accepter in ACCEPTED:
        customer = tenants[domain]
        if Relationship.objects.filter(partner=fabrikam, customer=customer).exists():
            continue
        offer = offer_create(acting_user=alex, preset=preset, max_uses=1)
        offer_accept(offer=offer, acting_user=User.objects.get(email=accepter), notify=False)
        added += 1
    if not Offer.objects.filter(partner=fabrikam, created_by=alex, max_uses__isnull=True).exists():
        offer_create(acting_user=alex, preset=OfferPreset.FULL)
        added += 1
    return added
