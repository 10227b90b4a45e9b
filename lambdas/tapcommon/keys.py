"""S3 key layout (docs/contract.md, "Buckets and keys"). Only this module spells the prefixes."""

from __future__ import annotations


def manifest_key(business_date: str, run_id: str) -> str:
    return f"manifests/{business_date}/{run_id}.json"


def staging_key(jurisdiction: str, business_date: str, file_name: str) -> str:
    return f"staging/{jurisdiction}/{business_date}/{file_name}"


def quarantine_key(jurisdiction: str, business_date: str, file_name: str) -> str:
    return f"quarantine/{jurisdiction}/{business_date}/{file_name}"


def report_key(jurisdiction: str, business_date: str, file_name: str) -> str:
    return f"reports/{jurisdiction}/{business_date}/{file_name}"


def confirmation_key(jurisdiction: str, business_date: str, report_id: str) -> str:
    return f"confirmations/{jurisdiction}/{business_date}/{report_id}.json"


def export_keys(month: str) -> tuple[str, str]:
    """`month` is YYYY-MM; returns the CSV and JSON keys of that month's summary."""
    return f"exports/{month}/summary.csv", f"exports/{month}/summary.json"
