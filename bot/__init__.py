"""Compa: Know Your Rights, anonymous reports and verified alerts over Telegram and WhatsApp."""
