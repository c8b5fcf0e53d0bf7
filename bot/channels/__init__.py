"""Channel adapters: the only package that imports platform libraries (telegram, pywa)."""
