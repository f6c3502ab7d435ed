"""API keys (hashed, scoped, Bearer), rate-limit headers and Idempotency-Key for the REST API."""
