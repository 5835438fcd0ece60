"""Browser tests: the app driven by a real headless Chromium (see harness.py)."""
