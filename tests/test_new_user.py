"""What a new user ran into (issue 12, "Tried as a new user would"): each a command as typed."""

from __future__ import annotations

import shutil
import subprocess

from support.common import SAMPLE, run_cli
from support.servers import POLICYKG


def _two_documents(folder) -> None:
    shutil.copy(SAMPLE, folder / "a.txt")
    (folder / "b.txt").write_text(SAMPLE.read_text(encoding="utf-8").replace("2017", "2018"), encoding="utf-8")


def test_ingest_workers_do_not_import_policykg_from_the_current_folder(tmp_path):
    """Run from the parent of a clone (a folder holding a folder named policykg), a 2-worker
    ingest printed "ImportError: cannot import name '__version__' from 'policykg'" tracebacks:
    the forkserver's ``python -c`` put the current folder first on its import path."""
    (tmp_path / "policykg").mkdir()  # what the parent folder of a clone holds
    _two_documents(tmp_path)
    proc = subprocess.run(
        [POLICYKG, "ingest", "--store", str(tmp_path / "store"), "-j", "2", "a.txt", "b.txt"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err and "ImportError" not in err
    assert "2 added" in err


def test_a_folder_walk_reads_documents_only_and_says_what_it_skipped(tmp_path):
    """LICENSE (9 "tasks"), Makefile and README.md were stored as policy documents, although
    --help says a folder is searched for .txt, .html, .docx and .pdf."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SAMPLE, corpus / "plan.txt")
    (corpus / "LICENSE").write_text("Apache License\n1. Definitions.\n2. Grant of Copyright License.\n")
    (corpus / "Makefile").write_text("all:\n\techo hi\n")
    (corpus / "README.md").write_text("# notes\n1. first\n")
    proc = run_cli("ingest", "--store", str(tmp_path / "store"), str(corpus), check=True)
    err = proc.stderr.decode()
    assert "skipped    3 file(s) that are not documents by their suffix (LICENSE, Makefile, README.md)" in err
    assert "1 added" in err
    listed = run_cli("list", "--store", str(tmp_path / "store"), check=True).stdout.decode()
    assert "plan" in listed and "LICENSE" not in listed and "README" not in listed
    # named on the command line, a file is read whatever its suffix
    proc = run_cli("ingest", "--store", str(tmp_path / "store"), str(corpus / "README.md"), check=True)
    assert "1 added" in proc.stderr.decode()


def test_a_file_name_that_makes_no_document_id_is_refused_by_name_and_the_others_go_on(tmp_path):
    """``..txt`` became the document ``.`` (…/doc/. is …/doc/), ``...txt`` the document ``..``,
    and ``.txt`` fell back to ``document``, the id of a real document.txt."""
    for name in ("..txt", "...txt", ".txt"):
        shutil.copy(SAMPLE, tmp_path / name)
    shutil.copy(SAMPLE, tmp_path / "document.txt")
    proc = run_cli(
        "ingest",
        "--store",
        str(tmp_path / "store"),
        str(tmp_path / "..txt"),
        str(tmp_path / "...txt"),
        str(tmp_path / ".txt"),
        str(tmp_path / "document.txt"),
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1
    for name, stem in (("..txt", "'.'"), ("...txt", "'..'"), (".txt", "''")):
        assert (
            f"{tmp_path / name}: no document id can be made from this file name (it is {stem} without its "
            "suffix)" in err
        ), err
    assert "1 added" in err and "3 failed" in err


def test_right_to_left_overrides_in_file_names_are_printed_as_escapes(tmp_path):
    """A U+202E in a file name made the terminal print the rest of the line backwards."""
    name = "report\u202etxt.exe.txt"
    shutil.copy(SAMPLE, tmp_path / name)
    err = run_cli("ingest", "--store", str(tmp_path / "store"), "-v", str(tmp_path / name), check=True).stderr.decode()
    assert "\u202e" not in err and "report\\u202etxt.exe.txt" in err
