"""One way to write a date for people, everywhere (pages, mail, Django admin): "7 Mar 2026";
a moment adds the time and its zone: "7 Mar 2026, 14:03 UTC". CSV exports keep ISO 8601.

Django reads these before its own English formats (``FORMAT_MODULE_PATH``).
"""

DATE_FORMAT = SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "j M Y, H:i T"
TIME_FORMAT = "H:i T"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
