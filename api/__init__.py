"""Code every app's REST API shares: the request parser and the list filters."""
