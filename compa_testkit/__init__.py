"""What the tests and the benchmarks share: the chat-transcript harness, the Telegram driving
kit and the local fakes of the platforms. Never imported by the bot itself; not in the wheel
(the editable dev install puts the repository root on the path)."""
