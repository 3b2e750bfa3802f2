"""The volunteer transcript editor: a small FastAPI application served by ``chorus up`` and ``chorus editor``.

``create_app(settings, catalog=None, bucket=None)`` builds it; see docs/editor.md for the pages,
the JSON API and the security model.
"""
from editor.app import create_app
from editor.errors import Conflict, EditorError

__all__ = ["create_app", "EditorError", "Conflict"]
