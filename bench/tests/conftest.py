"""The suite's tiers and fixtures for the benchmark's tests, which live beside its code.

The tier rule (``postgres``, ``redis`` and ``browser`` marks) and the cache cleared around
each test are the suite's own, taken from ``tests/conftest.py`` so that these tests run the
same alone as with the suite.
"""

from tests.conftest import (  # noqa: F401 - fixtures and the collection hook, re-exported
    _clear_cache,
    pytest_collection_modifyitems,
)
