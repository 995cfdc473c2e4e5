"""One module per user job (fetch/import, tag, check, report, refresh) and the worker pool they share."""
