"""Dates as people in each region read them: to the minute, in the district's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from core.formatting import datetime_text, format_locale, locale_tag

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 06:28:03 UTC is 14:28:03 in Shanghai.
AT = datetime(2026, 12, 1, 6, 28, 3, tzinfo=UTC)


@pytest.mark.parametrize(("locale", "expected"), [
    ("en_GB", "1 Dec 2026, 14:28"),
    ("en_US", "Dec 1, 2026, 2:28\u202fPM"),
    ("zh_Hans_CN", "2026年12月1日 14:28"),
])
def test_a_moment_reads_to_the_minute_in_the_readers_region(locale, expected):
    text = datetime_text(AT, locale=Locale.parse(locale), tz=SHANGHAI)
    assert text == expected
    assert ":03" not in text


def test_short_is_the_same_unambiguous_date_not_day_month_digits():
    assert datetime_text(AT, locale=Locale.parse("en_US"), tz=SHANGHAI, format="short") == \
        datetime_text(AT, locale=Locale.parse("en_US"), tz=SHANGHAI)


def test_the_district_clock_decides_the_day():
    late = datetime(2026, 12, 1, 17, 5, tzinfo=UTC)  # already 2 December in Shanghai
    assert datetime_text(late, locale=Locale.parse("en_GB"), tz=SHANGHAI) == "2 Dec 2026, 01:05"
    assert datetime_text(late, locale=Locale.parse("en_GB"), tz=SHANGHAI, format="day") == "Wednesday 2 December"
    assert datetime_text(late, locale=Locale.parse("zh_Hans_CN"), tz=SHANGHAI, format="day") == "12月2日周三"


def test_time_alone_follows_the_regions_clock():
    assert datetime_text(AT, locale=Locale.parse("en_GB"), tz=SHANGHAI, format="time") == "14:28"
    assert datetime_text(AT, locale=Locale.parse("en_US"), tz=SHANGHAI, format="time") == "2:28\u202fPM"


@pytest.mark.parametrize(("language", "accepted", "expected"), [
    ("en", ["en-US", "en;q=0.9"], "en-US"),
    ("en", ["en-GB"], "en-GB"),
    ("en", ["en-AU", "en-US"], "en-AU"),
    ("en", ["en"], "en-GB"),            # no region: the district's British English
    ("en", ["zh-CN", "fr-FR"], "en-GB"),  # regions of other languages say nothing about English dates
    ("zh", ["zh-CN"], "zh-Hans-CN"),
    ("zh", ["en-US"], "zh-Hans-CN"),
    ("zh", ["zh-TW"], "zh-Hant-TW"),
    ("en", ["*", "not a tag!", "en-US"], "en-US"),
])
def test_the_browsers_region_for_the_pages_language_chooses_the_conventions(language, accepted, expected):
    assert locale_tag(format_locale(language, accepted)) == expected
