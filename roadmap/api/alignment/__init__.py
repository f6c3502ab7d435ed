"""The alignment figures' API: serializers (shapes) and views (one per figure)."""
