"""The user guide: the MkDocs site builds with no broken link or missing page, every page is
in its navigation, the troubleshooting page names every error family and quotes only
messages the source still has, and the README stays a front door."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MKDOCS = Path(sys.executable).with_name("mkdocs")


def nav_pages(nav) -> list[str]:
    pages = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_site_builds_strict(tmp_path):
    """`mkdocs build --strict`: a broken link, a missing anchor or page, an API member that is
    not there (mkdocstrings) or a missing included file fails the build."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run([str(MKDOCS), "build", "--strict", "-q", "-d", str(tmp_path / "site")], cwd=ROOT,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    home = (tmp_path / "site" / "index.html").read_text()
    assert "tinygen" in home and "troubleshooting.html" in home
    api = (tmp_path / "site" / "api.html").read_text()
    assert "compile_source" in api and "open_device" in api, "mkdocstrings rendered no API"
    protocol = (tmp_path / "site" / "protocol.html").read_text()
    assert "tg run" in protocol, "the protocol's specification was not included"


class ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml's own tags (`!relative $config_dir`) read as their text."""


ConfigLoader.add_constructor("!relative", lambda loader, node: loader.construct_scalar(node))


def test_every_page_is_in_the_navigation():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), ConfigLoader)
    listed = nav_pages(config["nav"])
    on_disk = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(listed) == on_disk, (set(on_disk) - set(listed), set(listed) - set(on_disk))


def error_classes() -> set[str]:
    """Every class in tinygen/ that derives, directly or through another, from TinygenError."""
    bases: dict[str, list[str]] = {}
    for path in (ROOT / "tinygen").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]

    def is_error(name: str, seen=()) -> bool:
        return name == "TinygenError" or any(b not in seen and is_error(b, seen + (name,)) for b in bases.get(name, []))

    found = {name for name in bases if is_error(name)} - {"TinygenError"}
    assert {"UsageError", "ModelError", "LinkError"} <= found
    return found


def test_troubleshooting_names_every_error_family():
    page = (DOCS / "troubleshooting.md").read_text()
    missing = sorted(name for name in error_classes() if f"`{name}`" not in page)
    assert not missing, f"docs/troubleshooting.md does not name {missing}"


def test_troubleshooting_quotes_messages_the_source_has():
    """Each message in the tables' first column (pieces between `...`) occurs in tinygen/'s source."""
    source = "\n".join(p.read_text() for p in (ROOT / "tinygen").rglob("*.py"))
    rows = [line for line in (DOCS / "troubleshooting.md").read_text().splitlines()
            if line.startswith("| `")]
    assert len(rows) >= 15
    stale = []
    for row in rows:
        for piece in re.findall(r"`([^`]+)`", row.split(" | ")[0]):
            if piece not in source:
                stale.append(piece)
    assert not stale, f"messages no longer in the source: {stale}"


def test_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 300
    assert not re.search(r"\bissue \d+|work in progress", text, re.IGNORECASE)
