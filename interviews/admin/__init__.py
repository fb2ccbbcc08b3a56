"""The interviews admin, one module per subdomain. Each module registers its own models; they
are imported here explicitly so the registrations happen when Django autodiscovers `admin`."""

from interviews.admin import decisions, evaluations, interviews, positions

__all__ = ["decisions", "evaluations", "interviews", "positions"]
