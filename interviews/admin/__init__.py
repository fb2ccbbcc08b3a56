"""The interviews admin, one module per subdomain. Each module registers its own models; they
are imported here explicitly so the registrations happen when Django autodiscovers `admin`."""

from django.contrib import admin

from interviews.admin import decisions, evaluations, interviews, positions

# The product has no public home page (candidates arrive by their invite link only), so the
# admin's "View site" link, which pointed at "/", led to a 404: it is not shown.
admin.site.site_url = None

__all__ = ["decisions", "evaluations", "interviews", "positions"]
