"""The service: ``create_app(settings)`` (in ``api.app``) and the ``commons`` command line.

Nothing is imported here: every ``commons`` command imports this package, and most of them
(post, verify, close...) never need FastAPI.
"""
