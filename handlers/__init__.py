"""Conversation logic, channel-neutral. One Router per module, listed here in priority order.

Within each dispatch stage (see bot/router.py) the routers are tried in this order, so a
module listed earlier wins a tie: account before kyr, fallback always last.
"""

from handlers import (
    account,
    alerting,
    casework,
    desk,
    detained,
    fallback,
    kyr,
    menu,
    moderation,
    report,
    report_lost,
    rrn,
    rrn_field,
    rumour,
    start,
    status,
    subscribe,
)

# report before moderation: "/report" starts a report, "/report 12" falls through to a
# moderator viewing report 12.
ROUTERS = [
    start.router,
    menu.router,
    account.router,
    report.router,
    report_lost.router,
    moderation.router,
    alerting.router,
    status.router,
    desk.router,        # the case desk (issue 16)
    casework.router,
    detained.router,
    rrn.router,          # issue 17: field verifiers' roster
    rrn_field.router,    # issue 17: dispatch, check-in, outcome
    subscribe.router,
    # before kyr: a pasted alert is checked, not searched as a question
    rumour.router,
    kyr.router,
    fallback.router,
]

# The way back that always works: shown with a refusal, and after an error.
HOME = menu.main_menu
