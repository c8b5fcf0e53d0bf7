"""Local fakes of the platforms (Bot API, Graph API) on 127.0.0.1, and a recording channel."""
