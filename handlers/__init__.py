"""Conversation logic, channel-neutral. One Router per module, listed here in priority order.

Within each dispatch stage (see bot/router.py) the routers are tried in this order, so a
module listed earlier wins a tie: account before kyr, fallback always last.
"""

from handlers import account, fallback, kyr, menu, start

ROUTERS = [
    start.router,
    menu.router,
    account.router,
    kyr.router,
    fallback.router,
]
