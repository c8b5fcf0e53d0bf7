"""The Rapid Response Network (issue 17): field verifiers' roster, dispatch and field check.

roster.py    the weekly on-call pattern, who is on call, coverage and its gaps
service.py   FieldDesk: the roster and the dispatch (ping, claim, escalate, check-in, outcome)
render.py    the messages a field verifier or a moderator gets, in their language
timers.py    the scheduled tick (escalation and check-ins), sent through the App
"""
