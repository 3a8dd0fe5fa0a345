"""The app's own date and number formats per language (settings.FORMAT_MODULE_PATH).

They replace Django's where the two differ: nb dates as 01.12.2026 rather than "1. desember 2026",
en dates as 1 Dec 2026 rather than "Dec. 1, 2026", so a date reads the same in a list, a form and an
email. core.formats formats numbers with the separators given here.
"""
