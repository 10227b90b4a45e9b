"""ISO checks the validation rules use: ISO 17442 LEI (MOD 97-10 check digits), ISO 4217 currency codes,
ISO 8601 dates and date-times."""

from __future__ import annotations

import datetime as dt
import functools
import re

_LEI_SHAPE = re.compile(r"^[0-9A-Z]{18}[0-9]{2}$")
_DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$")

# ISO 4217 active alphabetic codes (list one, as published by SIX for the maintenance agency, 2024),
# without the fund, precious-metal and testing codes (X..), which no report here may use.
ISO_4217_CODES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD
    CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ
    GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR
    LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG
    """.split()
)


# ISO 7064 MOD 97-10 reads letters as numbers: A=10 … Z=35 (digits stay as they are).
_AS_NUMBER = {ord(ch): str(10 + i) for i, ch in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def lei_check_digits(base18: str) -> str:
    """The two check digits of an 18-character LEI prefix (ISO 17442 / ISO 7064 MOD 97-10)."""
    number = int((base18.upper() + "00").translate(_AS_NUMBER))
    return f"{98 - number % 97:02d}"


@functools.lru_cache(maxsize=4096)  # counterparties repeat across a day's records
def is_valid_lei(value: str) -> bool:
    """20 characters, 18 alphanumerics and two digits, and the whole code mod 97 equals 1."""
    if not isinstance(value, str) or not _LEI_SHAPE.match(value):
        return False
    return int(value.translate(_AS_NUMBER)) % 97 == 1


def is_currency(value: str) -> bool:
    return isinstance(value, str) and value in ISO_4217_CODES


def parse_date(value: str) -> dt.date | None:
    """An ISO 8601 calendar date in extended form (YYYY-MM-DD), or None."""
    if not isinstance(value, str) or not _DATE_SHAPE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def parse_datetime(value: str) -> dt.datetime | None:
    """An ISO 8601 date-time with an offset (Z or ±hh:mm), or None: a report time must say its zone."""
    if not isinstance(value, str) or not _DATETIME_SHAPE.match(value):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
