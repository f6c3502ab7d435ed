"""Roles and the predicates every view, API view and selector asks.

Roles span goals and roadmap, so they live below both apps: okrs and roadmap
import from here, and okrs still never imports roadmap.
"""
