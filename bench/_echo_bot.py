"""The baseline for `echo_ratio`: a bare python-telegram-bot echo bot.

    TELEGRAM_BOT_TOKEN=… python -m bench._echo_bot http://127.0.0.1:PORT

It polls like Compa and is built with the PTB settings Compa uses (concurrent updates, pool size,
the same timeouts), so the only difference measured is what Compa does per update: a text is
answered with the same text; a press is answered (as Compa answers every press) and its data
sent back as a message. Runs until SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram import (
    CONCURRENT_UPDATES,
    CONNECTION_POOL,
    POLL_TIMEOUT,
)
from bot.channels.telegram import REQUEST_TIMEOUT as TIMEOUT


async def echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await context.bot.send_message(message.chat_id, message.text)


async def echo_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.message is None:
        return
    await asyncio.gather(query.answer(),
                         context.bot.send_message(query.message.chat.id, query.data or "?"))


async def main(base: str) -> None:
    application = (ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
                   .base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
                   .concurrent_updates(CONCURRENT_UPDATES)
                   .connection_pool_size(CONNECTION_POOL)
                   .connect_timeout(TIMEOUT).read_timeout(TIMEOUT).write_timeout(TIMEOUT)
                   .pool_timeout(TIMEOUT).get_updates_read_timeout(TIMEOUT)
                   .build())
    application.add_handler(MessageHandler(filters.TEXT, echo_text))
    application.add_handler(CallbackQueryHandler(echo_press))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=POLL_TIMEOUT, allowed_updates=["message", "callback_query"])
        await application.start()
        await stop.wait()
        await application.updater.stop()
        await application.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
