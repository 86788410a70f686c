"""Documentation keeps up with the code: every command, option bundle and setting is documented."""

from __future__ import annotations

import re

from policykg.cli.main import cli
from policykg.settings import SETTINGS
from support.common import REPO


def test_every_cli_command_is_documented():
    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^## `policykg ([a-z-]+)", doc, re.M))
    assert set(cli.commands) <= documented, f"undocumented commands: {set(cli.commands) - documented}"


def test_every_cli_option_is_documented():
    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## `policykg ([a-z-]+)[^\n]*\n(.*?)(?=^## |\Z)", doc, re.M | re.S))
    store_bundle = {"--store", "--base-iri"}
    assert all(f"`{opt}" in doc.split("## `policykg")[0] for opt in store_bundle)
    for name, command in cli.commands.items():
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if not opt.startswith("--") or opt == "--help":
                    continue
                section = sections.get(name, "")
                # The store option bundle is documented once at the top; a section says it takes it.
                documented = opt in section or (opt in store_bundle and "store options" in section)
                assert documented, f"policykg {name} {opt} is not in docs/cli.md"


def test_every_setting_is_documented():
    doc = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.name}`" in doc and setting.env in doc, setting.name


def test_readme_starts_with_the_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", readme, re.S)
    assert "policykg ingest samples/" in blocks[0] or "quickstart" in blocks[0]
    assert "scripts/test.sh" in blocks[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci


def test_the_readme_queries_are_in_the_query_gallery():
    from policykg.api.pages import EXAMPLES

    gallery = [text for _, _, text in EXAMPLES]
    for rq in sorted((REPO / "docs" / "queries").glob("*.rq")):
        body = "\n".join(ln for ln in rq.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")).strip()
        assert body in gallery, rq.name
        assert body in (REPO / "README.md").read_text(encoding="utf-8"), rq.name


def test_the_readme_shows_the_real_output_of_its_queries(sample_store_path):
    from support.common import run_cli

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for rq in sorted((REPO / "docs" / "queries").glob("*.rq")):
        out = run_cli("query", "--store", str(sample_store_path), "--file", str(rq), check=True).stdout.decode()
        body = "\n".join(ln for ln in rq.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")).strip()
        after = readme[readme.index(body) :]
        shown = after[after.index("```text\n") + len("```text\n") :]
        shown = shown[: shown.index("\n```")]
        assert shown == out.rstrip(), f"README output of {rq.name} is stale"


def test_every_test_docs_security_cites_exists():
    """docs/security.md backs each promise with a test name; a renamed or deleted test breaks the promise."""
    doc = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "tests").rglob("*.py"))
    defined = set(re.findall(r"def (test_\w+)", sources)) | set(re.findall(r"def (assert_\w+)", sources))
    cited = re.findall(r"`(?:[\w/.]+::)?((?:test|assert)_\w+?)(?:…)?`", doc)
    assert cited, "docs/security.md names no tests"
    missing = [name for name in cited if name not in defined and not any(d.startswith(name) for d in defined)]
    assert not missing, f"docs/security.md cites tests that do not exist: {missing}"
    files = re.findall(r"`(tests/[\w/]+\.py)", doc)
    assert all((REPO / f).is_file() for f in files), [f for f in files if not (REPO / f).is_file()]


def test_every_long_module_says_why_it_stays_whole():
    """docs/architecture.md: no module over ~500 lines without a reason written at its top."""
    import ast

    long_without_reason = []
    for folder in ("ontology", "graph", "loaders", "api", "viz", "cli"):
        for path in sorted((REPO / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            if source.count("\n") > 500 and "Why one module:" not in (ast.get_docstring(ast.parse(source)) or ""):
                long_without_reason.append(f"{path.relative_to(REPO)} ({source.count(chr(10))} lines)")
    assert long_without_reason == []
