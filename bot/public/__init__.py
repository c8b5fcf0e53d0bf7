"""The public side of Compa: the page, the Atom and CAP feeds, and the rumour check."""
