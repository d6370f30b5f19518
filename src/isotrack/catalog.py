"""Reference catalogs (unit kinds, ISO 9001 editions) read from data files.

The shipped files live in the package's ``data`` folder. A user extends or overrides them with files
of the same name in isotrack's configuration folder: an entry there replaces the shipped entry with
the same key, and new keys add to the catalog. Nothing here is a constant in code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from isotrack.errors import CatalogError, UnknownEditionError, UnknownKindError
from isotrack.text import quoted

KINDS_FILE = "kinds.toml"
EDITIONS_FILE = "editions.toml"
TARGETS_FILE = "targets.toml"


def data_dir() -> Path:
    """The folder of shipped data: inside the installed package, or the repository's data/."""
    packaged = Path(__file__).resolve().parent / "data"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class Kind:
    code: str
    vi: str
    en: str
    order: int

    def label(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


@dataclass(frozen=True)
class Edition:
    code: str
    standard: str
    published: date | None
    transition_end: date | None
    withdrawn: date | None
    confirmed: bool

    @property
    def rank(self) -> int:
        return int(self.code) if self.code.isdigit() else 0


@dataclass(frozen=True)
class Catalog:
    kinds: dict[str, Kind]
    editions: dict[str, Edition]
    config_dir: Path | None = None

    def kind(self, code: str) -> Kind:
        """The kind with this code, or an error listing the known ones and how to add one."""
        found = self.kinds.get(code.strip().lower())
        if found is None:
            raise UnknownKindError(
                f"unknown kind {quoted(code)}. Known kinds: {', '.join(sorted(self.kinds))}. "
                f"To add one, put it in {self._user_file(KINDS_FILE)} (see README, 'Catalogs')"
            )
        return found

    def kind_label(self, code: str, lang: str) -> str:
        known = self.kinds.get(code)
        return known.label(lang) if known else code

    def edition(self, code: str) -> Edition:
        """The edition with this code (``2015``, ``9001:2015`` and ``ISO 9001:2015`` all work)."""
        key = code.strip().upper().removeprefix("TCVN").strip().removeprefix("ISO").strip()
        key = key.removeprefix("9001:")
        found = self.editions.get(key)
        if found is None:
            raise UnknownEditionError(
                f"unknown edition {quoted(code)}. "
                f"Known editions: {', '.join(sorted(self.editions))}. "
                f"To add one, put it in {self._user_file(EDITIONS_FILE)} (see README, 'Catalogs')"
            )
        return found

    def edition_rank(self, code: str | None) -> int:
        if code is None:
            return 0
        known = self.editions.get(code)
        return known.rank if known else (int(code) if code.isdigit() else 0)

    def _user_file(self, name: str) -> str:
        return str(self.config_dir / name) if self.config_dir else name


def load_catalog(config_dir: Path | None = None) -> Catalog:
    """Read the shipped catalogs, then the user's files in ``config_dir`` over them."""
    kinds_raw = _read_layers(KINDS_FILE, config_dir)
    editions_raw = _read_layers(EDITIONS_FILE, config_dir)
    kinds = {code: _kind(code, entry) for code, entry in kinds_raw.items()}
    editions = {code: _edition(code, entry) for code, entry in editions_raw.items()}
    return Catalog(kinds=kinds, editions=editions, config_dir=config_dir)


def load_targets(config_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """Reference targets (``isotrack target install``), the user's file over the shipped one."""
    return _read_layers(TARGETS_FILE, config_dir)


def _read_layers(name: str, config_dir: Path | None) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for path in (data_dir() / name, config_dir / name if config_dir else None):
        if path is None or not path.is_file():
            continue
        try:
            with path.open("rb") as fh:
                layer = tomllib.load(fh)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CatalogError(f"cannot read catalog {path}: {exc}") from None
        for key, entry in layer.items():
            if not isinstance(entry, dict):
                raise CatalogError(f"catalog {path}: entry '{key}' must be a table ([{key}])")
            merged[str(key)] = {**merged.get(str(key), {}), **entry}
    return merged


def _kind(code: str, entry: dict[str, Any]) -> Kind:
    vi = str(entry.get("vi") or entry.get("en") or code)
    en = str(entry.get("en") or vi)
    return Kind(code=code, vi=vi, en=en, order=int(entry.get("order", 100)))


def _edition(code: str, entry: dict[str, Any]) -> Edition:
    def when(field: str) -> date | None:
        value = entry.get(field)
        if value is None:
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise CatalogError(
                f"edition {code}: {field} '{value}' is not an ISO date (YYYY-MM-DD)"
            ) from None

    return Edition(
        code=code,
        standard=str(entry.get("standard", f"ISO 9001:{code}")),
        published=when("published"),
        transition_end=when("transition_end"),
        withdrawn=when("withdrawn"),
        confirmed=bool(entry.get("confirmed", True)),
    )
