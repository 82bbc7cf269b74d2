"""The service: ``create_app(settings)`` and the ``commons`` command line."""

from api.app import create_app
from api.settings import Settings

__all__ = ["Settings", "create_app"]
