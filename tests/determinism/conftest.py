# The corpus holds ML snippets (some named test_*.py) to be read by envaudit, never run.
collect_ignore_glob = ["corpus/*"]
