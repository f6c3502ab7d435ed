"""The release of Priority: the one place it is written.

pyproject.toml reads it (a dynamic version), the footer shows it and the API
schema states it. Bump it with a CHANGELOG.md entry.
"""

__version__ = "0.2.0"
