"""Landing page, role dashboards and the language switch."""
