import pytest

from tests.alignment.world import Q1, Q4, build_world

__all__ = ["Q1", "Q4"]


@pytest.fixture
def world(db):
    """See tests/alignment/world.py: the figures every alignment test works out by hand."""
    return build_world()
