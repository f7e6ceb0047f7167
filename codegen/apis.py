"""The three Customer.io APIs: where their specs live and what the generated packages are called."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS_DIR = ROOT / "specs"
RAW_DIR = SPECS_DIR / "raw"
NORMALIZED_DIR = SPECS_DIR / "normalized"
LOCK_PATH = SPECS_DIR / "lock.json"
GENERATED_DIR = ROOT / "generated"
CONFIG_DIR = Path(__file__).resolve().parent / "config"
UPSTREAM = "https://docs.customer.io/files/"


@dataclass(frozen=True)
class Api:
    name: str  # short name used everywhere in the project: app, track, pipelines
    file: str  # file name upstream and in the mirror
    package: str  # the generated package's import name

    @property
    def url(self) -> str:
        return UPSTREAM + self.file

    @property
    def config(self) -> Path:
        return CONFIG_DIR / f"{self.name}.yaml"

    def raw(self, base: Path = RAW_DIR) -> Path:
        return base / self.file

    def normalized(self, base: Path = NORMALIZED_DIR) -> Path:
        return base / self.file


APIS: tuple[Api, ...] = (
    Api("app", "journeys-app.json", "aiocustomerio_app"),
    Api("track", "journeys-track.json", "aiocustomerio_track"),
    Api("pipelines", "pipelines.json", "aiocustomerio_pipelines"),
)


def by_name(name: str) -> Api:
    for api in APIS:
        if api.name == name:
            return api
    raise KeyError(f"unknown API {name!r}; expected one of {', '.join(a.name for a in APIS)}")
