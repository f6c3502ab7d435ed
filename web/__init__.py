"""What the HTML pages of okrs and roadmap share: optimistic-locking forms, conflicts."""
