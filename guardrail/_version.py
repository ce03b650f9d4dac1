"""The installed package's version, read from its metadata when first asked for (never at import)."""

from __future__ import annotations

from functools import lru_cache

DISTRIBUTION = "rationale-guard"
UNKNOWN = "0+unknown"  # running from a source tree that was never installed


@lru_cache(maxsize=1)
def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return UNKNOWN
