"""One module per CLI command, imported only when the command runs."""
