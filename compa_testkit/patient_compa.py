"""`python -m compa_testkit.patient_compa ARGS` is `compa ARGS` (the same `main`), but its
Telegram client waits PATIENCE for the fake Bot API instead of the real platform's 15 s: the
fake runs in the busy test process, and a late answer must not turn into a retry (and a
duplicate the test did not plan). Tests that run `compa` in a subprocess against a fake use it.
"""

from bot.__main__ import main
from bot.channels.telegram import TelegramChannel
from compa_testkit.patience import PATIENCE

if __name__ == "__main__":
    defaults = TelegramChannel.__init__.__kwdefaults__
    assert defaults is not None and "timeout" in defaults
    defaults["timeout"] = PATIENCE
    raise SystemExit(main())
