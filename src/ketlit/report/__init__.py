"""Reports: gather a query's evidence from the store, render Markdown and figures, export citations."""
