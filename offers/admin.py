from django.contrib import admin

from .models import Offer, OfferResponse


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    """Offers are made and revoked in the portal; operations only look."""

    list_display = ("partner", "preset", "created", "created_by", "uses", "max_uses", "status")
    list_filter = ("status", "preset")
    search_fields = ("partner__name",)
    readonly_fields = [f.name for f in Offer._meta.fields if f.name != "token"]
    exclude = ("token",)

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(OfferResponse)
class OfferResponseAdmin(admin.ModelAdmin):
    list_display = ("offer", "customer", "responded_by", "response", "created")
    list_filter = ("response",)
    readonly_fields = ("offer", "customer", "responded_by", "response", "created")

    def has_add_permission(self, request: object) -> bool:
        return False
