"""The playground's pages: the console (console.py) and the limits, shown live (limits.py)."""
