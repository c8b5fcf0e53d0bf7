"""The alerts domain: regions, reports and verification, alerts, fan-out and schedules.

Filled in by the reports and alerts work; nothing here knows about channels.
"""
