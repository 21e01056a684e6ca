"""Tax codes (mã số thuế): validation with python-stdnum and the safe repairs.

README "Identifiers": 10 digits, or `NNNNNNNNNN-NNN` for a dependent unit; the
10th digit is a check digit. README "Known defects" 1: Excel drops the leading
zero, and some codes carry spaces or dots. Those two are repaired, and only
when the repaired code passes the check digit; anything else is a failed check.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.vn import mst

_SEPARATORS = re.compile(r"[\s.]")
# ASCII digits to the very end: Python's \d also takes Unicode digits (０, ٠) and its `$`
# a trailing newline, which the GX suite's PostgreSQL regex rightly refuses (tests/pipelines/test_stream_guarantees.py).
_SHAPE = re.compile(r"^[0-9]{10}(-[0-9]{3})?\Z")


@dataclass(frozen=True)
class TaxCodeVerdict:
    canonical: str | None  # NNNNNNNNNN or NNNNNNNNNN-NNN when usable
    problem: str | None  # the failed check: format | check_digit | branch
    repair_rule: str | None  # tax_code_separators | tax_code_leading_zero | tax_code_branch_dash


def _validate(code: str) -> str | None:
    """None when valid, else the name of the failed check."""
    if not _SHAPE.match(code):
        return "format"
    try:
        mst.validate(code)
    except InvalidChecksum:
        return "check_digit"
    except InvalidComponent:
        return "branch"  # suffix 000, or digits 3-9 all zero
    except ValidationError:
        return "format"
    return None


def _dashed(digits: str) -> str:
    return digits if len(digits) == 10 else f"{digits[:10]}-{digits[10:]}"


@lru_cache(maxsize=200_000)
def classify_tax_code(value: str) -> TaxCodeVerdict:
    problem = _validate(value)
    if problem is None:
        return TaxCodeVerdict(value, None, None)
    compact = _SEPARATORS.sub("", value)
    rule = "tax_code_separators" if compact != value else None
    candidates = [compact]
    digits = compact.replace("-", "")
    if digits.isdigit() and len(digits) == 13 and "-" not in compact:
        candidates.append(_dashed(digits))
        rule = rule or "tax_code_branch_dash"
    if digits.isdigit() and len(digits) in (9, 12):
        # Excel stored the code as a number and dropped its leading zero.
        fixed = "0" + digits
        candidates.append(_dashed(fixed))
        rule = "tax_code_leading_zero"
    for candidate in candidates:
        if candidate != value and _validate(candidate) is None:
            return TaxCodeVerdict(candidate, None, rule)
    return TaxCodeVerdict(None, problem if _SHAPE.match(compact) else _validate(compact) or problem, None)


def parent_code(code: str) -> str:
    """The 10-digit enterprise code of a code or a branch code."""
    return code[:10]


def check_digit(first9: str) -> str | None:
    """The check digit of nine digits, or None where no valid code exists (sum mod 11 == 0)."""
    digit = mst.calc_check_digit(first9)
    return digit if len(digit) == 1 else None
