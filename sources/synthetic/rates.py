"""Exchange rates: the State Bank's USD central rate and reference rates of other currencies.

Rates are real-world facts, so they depend on the date only, never on the seed.
The USD central rate follows the published levels (about 23,100 VND in
2019-2020, 23,150 in 2021, 23,600 in 2022, 23,800 in 2023, rising from 24,200
to 25,400 through 2024), linearly between the anchors below, with a small daily
noise. Other currencies are USD cross rates of the year's average.
"""
from __future__ import annotations

import datetime as dt
import random
from functools import lru_cache

# VND per USD on 1 January of each year (SBV central rate, rounded).
_USD_ANCHORS = {2017: 22_150, 2018: 22_450, 2019: 23_050, 2020: 23_150, 2021: 23_150, 2022: 23_300,
                2023: 23_700, 2024: 24_200, 2025: 25_400, 2026: 25_600}
# Units of currency per USD, yearly averages (IMF IFS, rounded).
_PER_USD = {
    "EUR": {2019: 0.893, 2020: 0.877, 2021: 0.846, 2022: 0.951, 2023: 0.925, 2024: 0.924, 2025: 0.90},
    "JPY": {2019: 109.0, 2020: 106.8, 2021: 109.8, 2022: 131.5, 2023: 140.5, 2024: 151.4, 2025: 150.0},
    "KRW": {2019: 1166.0, 2020: 1180.0, 2021: 1144.0, 2022: 1292.0, 2023: 1306.0, 2024: 1364.0, 2025: 1400.0},
    "CNY": {2019: 6.91, 2020: 6.90, 2021: 6.45, 2022: 6.73, 2023: 7.08, 2024: 7.19, 2025: 7.20},
}
REFERENCE_CURRENCIES = ("USD", "EUR", "JPY", "KRW", "CNY")
DAILY_NOISE = 0.0008  # the central rate moves by a few dong a day


def _clamped(table: dict[int, float], year: int) -> float:
    return table[min(max(year, min(table)), max(table))]


def _usd_trend(day: dt.date) -> float:
    year = min(max(day.year, min(_USD_ANCHORS)), max(_USD_ANCHORS) - 1)
    start, end = _USD_ANCHORS[year], _USD_ANCHORS[year + 1]
    fraction = (day - dt.date(year, 1, 1)).days / 365.0
    return start + (end - start) * min(max(fraction, 0.0), 1.0)


@lru_cache(maxsize=20_000)
def vnd_per_unit(currency: str, day: dt.date) -> float:
    """VND per unit of `currency` on `day` (2 decimals; VND itself is 1)."""
    if currency == "VND":
        return 1.0
    noise = 1 + random.Random(f"rate:{currency}:{day.isoformat()}").uniform(-DAILY_NOISE, DAILY_NOISE)
    usd = _usd_trend(day)
    if currency == "USD":
        return round(usd * noise, 0)
    return round(usd / _clamped(_PER_USD[currency], day.year) * noise, 2)


def usd_year_average(year: int) -> float:
    return (_usd_trend(dt.date(year, 1, 1)) + _usd_trend(dt.date(year, 12, 31))) / 2
