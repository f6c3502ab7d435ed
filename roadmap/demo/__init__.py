"""The demo company that `manage.py seed_demo` loads: its content and the steps that load it."""
