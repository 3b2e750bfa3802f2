"""The catalog's Alembic migrations (``env.py``, ``versions/``), shipped inside the package.

Alembic is configured in code from the catalog URL (``chorus.catalog_schema``): no ``alembic.ini``.
"""
