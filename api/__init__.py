"""Code every app's REST API shares: base viewsets, pagination, errors, batch ingest, filters."""
