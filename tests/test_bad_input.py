"""Bad input through the real ``policykg ingest`` into a real store that already holds the sample.

Every bad file is refused with a message that names it and says why in plain words, no
traceback, exit status 1, and the store keeps exactly the quads it had. Among good files a bad
one fails alone: the good ones are stored, every bad one is named, and the exit status is 1.
Hostile shapes (a 200 MB text, a .docx zip bomb, 100 000 nested <div>s, lines that made the
extractor's scans quadratic) are refused or read without the time or memory running away.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from policykg.loaders.extract import extract_bytes
from support.common import DATA, SAMPLE, copy_store, quads_on_disk, run_cli
from support.servers import POLICYKG

SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
PAGE = DATA / "docs" / "health-gbk-page.html"


@pytest.fixture()
def user_store(sample_store_path, tmp_path) -> Path:
    """A store on disk that already holds the sample, as a user's store would."""
    return copy_store(sample_store_path, tmp_path / "store")


def failed_line(stderr: str, path: Path) -> str:
    """The line of ``ingest``'s report that names ``path`` as failed."""
    lines = [ln for ln in stderr.splitlines() if ln.startswith(f"failed     {path}: ")]
    assert len(lines) == 1, stderr
    return lines[0]


# -- bad files, built in tmp_path ---------------------------------------------------------------------


def png() -> bytes:
    """A real 16x16 greyscale PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + bytes((x * 16 + y) % 256 for x in range(16)) for y in range(16))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf(objects: list[bytes]) -> bytes:
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def image_only_pdf() -> bytes:
    """A scan: one page that draws one image and has no text at all."""
    pixels = zlib.compress(bytes((x * 7) % 256 for x in range(64 * 64)))
    content = b"q 400 0 0 400 100 300 cm /Im1 Do Q"
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 5 0 R >> >>"
            b" /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            b"<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray /BitsPerComponent 8"
            b" /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(pixels), pixels),
        ]
    )


def truncated_gb18030() -> bytes:
    """The sample in GB18030, cut after the first byte of a two-byte character."""
    half = SAMPLE_TEXT[: len(SAMPLE_TEXT) // 2]
    while ord(half[-1]) < 0x80:
        half = half[:-1]
    return half.encode("gb18030")[:-1]


def utf8_then_gbk() -> bytes:
    """The first half of the sample saved as UTF-8, the second half as GBK."""
    half = len(SAMPLE_TEXT) // 2
    return SAMPLE_TEXT[:half].encode("utf-8") + SAMPLE_TEXT[half:].encode("gbk", errors="ignore")


def docx_parts() -> dict[str, bytes]:
    """The entries of a real one-paragraph Word file, as python-docx saves it."""
    import docx

    d = docx.Document()
    d.add_paragraph("1.实施名校建设工程。新增优质学校11所。")
    buf = io.BytesIO()
    d.save(buf)
    with zipfile.ZipFile(buf) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@dataclass
class Member:
    name: str
    data: bytes  # as stored: deflated (method 8) or as is (method 0)
    crc: int
    size: int  # the uncompressed size the zip declares
    method: int = 8


def deflated(name: str, data: bytes) -> Member:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member(name, c.compress(data) + c.flush(), zlib.crc32(data), len(data))


def zip_bytes(members: list[Member], stated_entries: int | None = None) -> bytes:
    """A zip written by hand, so that a test can declare sizes (and an entry count) that zipfile would not."""
    out, central = [], []
    offset = 0
    for m in members:
        name = m.name.encode()
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0x800,
                m.method,
                0,
                0x21,
                m.crc,
                len(m.data),
                m.size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
        local = (
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0x800, m.method, 0, 0x21, m.crc, len(m.data), m.size, len(name), 0
            )
            + name
        )
        out += [local, m.data]
        offset += len(local) + len(m.data)
    directory = b"".join(central)
    count = len(members) if stated_entries is None else stated_entries
    return (
        b"".join(out) + directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), offset, 0)
    )


def deflated_pieces(pieces: list[tuple[bytes, int]]) -> tuple[bytes, int, int]:
    """``block * times`` for each piece in turn, deflated (raw) without ever being held whole:
    ``(stream, crc32, size)``.

    Each piece is deflated by a fresh compressor ending in a full flush, which makes its bytes
    stand alone: compress the block once, repeat the bytes, and join the pieces.
    """
    stream, crc, size = [], 0, 0
    for block, times in pieces:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        stream.append((c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)) * times)
        for _ in range(times):
            crc = zlib.crc32(block, crc)
        size += len(block) * times
    stream.append(zlib.compressobj(9, zlib.DEFLATED, -15).flush())  # the final (empty) block
    return b"".join(stream), crc, size


def repeated(name: str, block: bytes, times: int, declared: int | None = None) -> Member:
    """A zip member holding ``block * times``; ``declared``: the size the zip states, None for the truth."""
    data, crc, size = deflated_pieces([(block, times)])
    return Member(name, data, crc, size if declared is None else declared)


def gzipped(pieces: list[tuple[bytes, int]]) -> bytes:
    """A .gz of the pieces (see :func:`deflated_pieces`)."""
    data, crc, size = deflated_pieces(pieces)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + data + struct.pack("<II", crc, size & 0xFFFFFFFF)


def tar_header(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(tarfile.USTAR_FORMAT)


def docx_bomb(declared: int | None = None) -> bytes:
    """A Word file whose word/document.xml inflates to 1 GiB from about 1 MB.

    ``declared``: the uncompressed size the zip states; None states the truth (1 GiB).
    """
    block = (b"<w:p/>" * 174_763)[: 1 << 20]  # 1 MiB of paragraphs
    bomb = repeated("word/document.xml", block, 1024, declared)
    return zip_bytes([deflated(n, d) for n, d in docx_parts().items() if n != "word/document.xml"] + [bomb])


def docx_with_many_entries() -> bytes:
    parts = [deflated(n, d) for n, d in docx_parts().items()]
    extra = [Member(f"word/media/image{i}.png", b"x", zlib.crc32(b"x"), 1, method=0) for i in range(10_001)]
    return zip_bytes(parts + extra)


@dataclass
class Bad:
    name: str  # the file name it is saved under
    build: Callable[[], bytes]
    reason: str  # words the message must contain


BAD_FILES = {
    "empty file": Bad("empty.txt", lambda: b"", "the file is empty"),
    "only blank lines": Bad("blank.txt", lambda: b" \r\n\t\n", "the file is empty"),
    "binary file": Bad("data.txt", lambda: bytes(range(256)) * 16, "binary file, not text"),
    "a PNG renamed .txt": Bad("photo.txt", png, "binary file, not text"),
    "GB18030 cut mid-character": Bad("cut.txt", truncated_gb18030, "ends in the middle of a GB18030 character"),
    "first half UTF-8, second half GBK": Bad(
        "mixed.txt", utf8_then_gbk, "mixed encodings: the text is UTF-8 up to byte"
    ),
    "an HTML page that is all script": Bad(
        "scripts.html",
        lambda: (
            b"<html><head><script>var a = '\xe6\x95\x99\xe8\x82\xb2';</script></head><body>"
            b"<script>document.write('x')</script><noscript></noscript></body></html>"
        ),
        "the page has no visible text",
    ),
    "an HTML page of 300 000 elements": Bad(
        "flat.html", lambda: b"<html><body>" + b"<p>x</p>" * 300_000 + b"</body></html>", "elements (more than 200000)"
    ),
    "a .docx that is not a zip": Bad(
        "old-word.docx", lambda: "一、总则".encode("gbk") * 20, "not a valid .docx file (no zip signature)"
    ),
    "a .docx of 10 001 entries": Bad("many.docx", docx_with_many_entries, "entries (a Word file has a few dozen"),
    "a PDF without a text layer": Bad("scan.pdf", image_only_pdf, "the PDF has no text layer"),
    "a PDF cut in half": Bad(
        "half.pdf",
        lambda: (DATA / "docs" / "county-health-notice.pdf").read_bytes()[:36_000],
        "the file looks truncated",
    ),
    "a .pdf that is not a PDF": Bad("notes.pdf", lambda: "会议记录".encode() * 10, "not a PDF file"),
    "a spreadsheet": Bad("figures.xls", lambda: b"\xd0\xcf\x11\xe0" + bytes(500), "unsupported file type '.xls'"),
    "Chinese, spaces and quotes in the name": Bad("空 文件 \"引号\" '单引号'.txt", lambda: b"", "the file is empty"),
}


@pytest.mark.parametrize("case", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_refused_by_name_and_reason_and_the_store_keeps_every_quad(case, user_store, tmp_path):
    path = tmp_path / case.name
    path.write_bytes(case.build())
    before = quads_on_disk(user_store)

    proc = run_cli("ingest", "--store", str(user_store), str(path))
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert case.reason in failed_line(err, path)
    assert "0 added, 0 replaced, 0 unchanged, 1 failed" in err
    assert quads_on_disk(user_store) == before

    # `extract` refuses it the same way, and writes nothing to stdout.
    proc = run_cli("extract", str(path))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and proc.stdout == b""
    assert err.startswith(f"Error: {path.name}: ") and case.reason in err and "Traceback" not in err, err


def good_files(folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    (folder / "good-plan.txt").write_bytes(SAMPLE.read_bytes())
    (folder / "good-page.html").write_bytes(PAGE.read_bytes())
    return [folder / "good-plan.txt", folder / "good-page.html"]


def bad_files(folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for case in BAD_FILES.values():
        if case.name.endswith(".xls"):
            continue  # a folder is searched for documents only: a spreadsheet in it is not one
        (folder / case.name).write_bytes(case.build())
        paths.append(folder / case.name)
    return paths


@pytest.mark.parametrize("given", ["a folder", "file paths"])
def test_good_files_are_stored_and_every_bad_one_is_named_among_them(given, user_store, sample_store_path, tmp_path):
    """Decided behaviour: the good documents are stored, each bad one is reported on stderr with
    its reason, the summary lists them, and the exit status is 1 (see docs/cli.md)."""
    folder = tmp_path / "corpus"
    good, bad = good_files(folder), bad_files(folder)
    args = [str(folder)] if given == "a folder" else [str(p) for p in sorted(good + bad)]

    proc = run_cli("ingest", "--store", str(user_store), "--workers", "2", *args)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert f"2 added, 0 replaced, 0 unchanged, {len(bad)} failed" in err, err
    for path in bad:
        case = next(c for c in BAD_FILES.values() if c.name == path.name)
        assert case.reason in failed_line(err, path)
        assert f"\n  {path}\n" in err  # and in the closing list of failures

    # The store holds the sample and the good documents, and nothing of the bad ones.
    reference = copy_store(sample_store_path, tmp_path / "reference")
    run_cli("ingest", "--store", str(reference), *map(str, good), check=True)
    assert quads_on_disk(user_store) == quads_on_disk(reference)


def test_a_bad_member_of_an_archive_fails_alone(user_store, sample_store_path, tmp_path):
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr("plans/good-plan.txt", SAMPLE.read_bytes())
        zf.writestr("plans/cut.txt", truncated_gb18030())
        zf.writestr("plans/scan.pdf", image_only_pdf())
    proc = run_cli("ingest", "--store", str(user_store), str(bundle))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err
    assert f"failed     {bundle}:plans/cut.txt: the file ends in the middle of a GB18030 character" in err
    assert f"failed     {bundle}:plans/scan.pdf: the PDF has no text layer" in err
    assert "1 added, 0 replaced, 0 unchanged, 2 failed" in err

    reference = copy_store(sample_store_path, tmp_path / "reference")
    (tmp_path / "good-plan.txt").write_bytes(SAMPLE.read_bytes())
    run_cli("ingest", "--store", str(reference), str(tmp_path / "good-plan.txt"), check=True)
    assert quads_on_disk(user_store) == quads_on_disk(reference)


def test_names_with_chinese_spaces_and_quotes_are_stored_shown_and_removable(user_store, tmp_path):
    before = quads_on_disk(user_store)
    name = "昆明 \"2017\" '工作要点' 副本.txt"
    path = tmp_path / name
    path.write_bytes(SAMPLE.read_bytes())

    proc = run_cli("ingest", "--store", str(user_store), str(path), check=True)
    assert f"added      {path}: 5 sections, 28 tasks".encode() in proc.stderr
    listed = json.loads(run_cli("list", "--store", str(user_store), "--json", check=True).stdout)
    assert name in [d["source"] for d in listed]
    iri = next(d["iri"] for d in listed if d["source"] == name)
    assert iri.endswith("/doc/昆明-%222017%22-%27工作要点%27-副本")  # quotes escaped, Chinese kept

    run_cli("remove", "--store", str(user_store), name, check=True)
    assert quads_on_disk(user_store) == before


def test_control_characters_in_a_name_are_printed_as_escapes(user_store, tmp_path):
    """A file named with a terminal escape sequence cannot recolour or rewrite the user's terminal."""
    path = tmp_path / "red\x1b[31malert\x07.txt"
    path.write_bytes(b"")
    proc = run_cli("ingest", "--store", str(user_store), str(path))
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert "\x1b[31m" not in err and "\x07" not in err
    assert "red\\x1b[31malert\\x07.txt" in err


# -- what must not run away: memory, time --------------------------------------------------------------

# The peak is VmHWM, this process image's own. (getrusage's ru_maxrss survives exec: it would
# report the test process's memory at the time it started the CLI.)
_MEASURED = """
import atexit, sys
def peak():
    kb = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    sys.stderr.write(f"\\npeak-rss-kb {kb}\\n")
atexit.register(peak)
from policykg.cli.main import main
sys.argv[0] = "policykg"
main()
"""


def run_measured(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, float, float]:
    """The real CLI in a process of its own: the result, its peak memory (MB) and its run time (s)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args], capture_output=True, timeout=300, env={**os.environ, **(env or {})}
    )
    seconds = time.perf_counter() - started
    peak = re.search(rb"peak-rss-kb (\d+)", proc.stderr)
    assert peak, proc.stderr.decode()
    return proc, int(peak[1]) / 1024, seconds


def test_a_200_mb_text_is_refused_as_too_large_before_it_is_read(user_store, tmp_path):
    big = tmp_path / "huge-plan.txt"
    block = SAMPLE.read_bytes() * 46  # about 1 MB of real text
    with big.open("wb") as f:
        while f.tell() < 200_000_000:
            f.write(block)
    size_mb = big.stat().st_size / 1e6
    before = quads_on_disk(user_store)
    limit = {"POLICYKG_MAX_DOCUMENT_BYTES": ""}  # the default, whatever the environment says

    proc, peak_mb, _ = run_measured("ingest", "--store", str(user_store), str(big), env=limit)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err
    assert f"failed     {big}: too large ({size_mb:.1f} MB > limit 50 MB)" in err, err
    assert "hint: set POLICYKG_MAX_DOCUMENT_BYTES to read bigger documents" in err
    assert peak_mb < 100, f"the file was read into memory: peak {peak_mb:.0f} MB"
    assert quads_on_disk(user_store) == before

    proc, peak_mb, _ = run_measured("extract", str(big), env=limit)
    assert proc.returncode == 1 and b"too large" in proc.stderr and peak_mb < 100


def test_the_size_limit_is_a_setting(tmp_path):
    proc = run_cli("extract", str(SAMPLE), env={"POLICYKG_MAX_DOCUMENT_BYTES": "10000"})
    assert proc.returncode == 1
    assert f"{SAMPLE.name}: too large (22679 bytes > limit 10000 bytes)".encode() in proc.stderr
    proc = run_cli("extract", str(SAMPLE), env={"POLICYKG_MAX_DOCUMENT_BYTES": "30000"})
    assert proc.returncode == 0 and proc.stdout


@pytest.mark.parametrize(
    "declared, reason",
    [
        (None, "unpacks too large, a zip bomb? (1074.6 MB > limit 50 MB)"),  # 1 GiB and the other parts
        # The zip understates the size: read in bounded chunks, the entry runs past it and fails its CRC check
        # (zipfile's own read() would inflate all of it first: 2.1 GB).
        (4096, "not a valid .docx file (a damaged zip: Bad CRC-32 for file 'word/document.xml')"),
    ],
    ids=["zip bomb stating its size", "zip bomb understating its size"],
)
def test_a_docx_zip_bomb_is_refused_without_inflating_it(declared, reason, user_store, tmp_path):
    path = tmp_path / "bomb.docx"
    path.write_bytes(docx_bomb(declared))
    assert path.stat().st_size < 2_000_000
    before = quads_on_disk(user_store)

    proc, peak_mb, seconds = run_measured(
        "ingest", "--store", str(user_store), str(path), env={"POLICYKG_MAX_DOCUMENT_BYTES": ""}
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err
    assert f"failed     {path}: {reason}" in err, err
    assert peak_mb < 100, f"the bomb was inflated: peak {peak_mb:.0f} MB"
    assert seconds < 30
    assert quads_on_disk(user_store) == before


# -- archives of documents: what a member states, and what the archive adds up to ---------------------

GIB = 1 << 30
PLAN_BLOCK = ("实施名校建设工程，新增优质学校11所。\n" * 20_000).encode()[: 1 << 20]  # 1 MiB of a plan's words


def tiny_members(count: int) -> list[Member]:
    return [Member(f"plans/plan-{i:05d}.txt", b"x", zlib.crc32(b"x"), 1, method=0) for i in range(count)]


def sparse_tar(path: Path) -> None:
    """A plain .tar of one 1 GiB member of zeros, taking a few KB of disk (the member is a hole)."""
    with path.open("wb") as f:
        f.write(tar_header("plans/huge.txt", GIB))
        f.seek(512 + GIB)
        f.write(bytes(1024))  # the end of the archive


def tar_gz_of_tiny_members(path: Path, count: int) -> None:
    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        for i in range(count):
            info = tarfile.TarInfo(f"plans/plan-{i:05d}.txt")
            info.size = 1
            tf.addfile(info, io.BytesIO(b"x"))


@dataclass
class BadArchive:
    name: str
    write: Callable[[Path], None]
    failed: str  # the label its failure is reported under: the archive, or archive:member
    reason: str  # a regular expression the reason must match


BAD_ARCHIVES = {
    "a zip member stating 1 GiB": BadArchive(
        "honest.zip",
        lambda p: p.write_bytes(zip_bytes([repeated("plans/huge.txt", PLAN_BLOCK, 1024)])),
        "plans/huge.txt",
        re.escape("too large (1073.7 MB > limit 50 MB)"),
    ),
    # zipfile's read() would inflate all of it before noticing (2.1 GB): read in chunks, the
    # member runs past the size it states and fails its CRC check there.
    "a zip member stating 4 KB and holding 1 GiB": BadArchive(
        "liar.zip",
        lambda p: p.write_bytes(zip_bytes([repeated("plans/huge.txt", PLAN_BLOCK, 1024, 4096)])),
        "plans/huge.txt",
        re.escape("cannot read the archive member, the zip is damaged: Bad CRC-32 for file 'plans/huge.txt'"),
    ),
    "a .tar holding a 1 GiB member": BadArchive(
        "huge.tar", sparse_tar, "plans/huge.txt", re.escape("too large (1073.7 MB > limit 50 MB)")
    ),
    "a .tar.gz of 1 MB holding a 1 GiB member": BadArchive(
        "bomb.tar.gz",
        lambda p: p.write_bytes(
            gzipped([(tar_header("plans/huge.txt", GIB), 1), (bytes(1 << 20), 1024), (bytes(1024), 1)])
        ),
        "",
        r"unpacks to more than [\d.]+ MB, 100 times its own size, at entry plans/huge\.txt \(1073\.7 MB\): "
        r"a zip bomb\?\n  hint: unpack the archive and ingest the folder",
    ),
    "a zip bomb of 300 members of 10 MiB": BadArchive(
        "medium.zip",
        lambda p: p.write_bytes(zip_bytes([repeated(f"plans/plan-{i:03d}.txt", PLAN_BLOCK, 10) for i in range(300)])),
        "",
        r"unpacks to more than [\d.]+ MB, 100 times its own size, at entry plans/plan-\d{3}\.txt "
        r"\(10\.5 MB\): a zip bomb\?",
    ),
    "a zip of 20 000 tiny members": BadArchive(
        "many.zip",
        lambda p: p.write_bytes(zip_bytes(tiny_members(20_000))),
        "",
        re.escape("holds 20000 entries, more than 10000 (files and folders)"),
    ),
    # zipfile parses the whole directory before anyone can count it (~0.6 KB of memory an entry).
    "a zip stating 1 entry and holding 200 000": BadArchive(
        "hidden-many.zip",
        lambda p: p.write_bytes(zip_bytes(tiny_members(200_000), stated_entries=1)),
        "",
        r"its directory of entries takes [\d.]+ MB, more than 10000 entries need",
    ),
    "a .tar.gz of 20 000 tiny members": BadArchive(
        "many.tar.gz",
        lambda p: tar_gz_of_tiny_members(p, 20_000),
        "",
        re.escape("holds more than 10000 entries (files and folders; entry 10001 is plans/plan-10000.txt)"),
    ),
    # tarfile reads a pax header whole into memory: 1 GiB here, from 1 MB.
    "a .tar.gz stating a 1 GiB pax header": BadArchive(
        "pax.tar.gz",
        lambda p: p.write_bytes(
            gzipped([(tar_header("././@PaxHeader", GIB, tarfile.XHDTYPE), 1), (bytes(1 << 20), 1024), (bytes(1024), 1)])
        ),
        "",
        re.escape("refused: a tar header of 1073.7 MB (limit 1 MB)"),
    ),
}


@pytest.mark.parametrize("case", BAD_ARCHIVES.values(), ids=BAD_ARCHIVES.keys())
def test_an_archive_bomb_is_refused_by_name_before_it_is_unpacked(case, user_store, tmp_path):
    """Refused by the archive's name (and the member's, if one member is to blame) with the reason,
    exit 1, the store as before, and memory and time bounded whatever the archive states."""
    path = tmp_path / case.name
    case.write(path)
    assert path.stat().st_blocks * 512 < 40_000_000  # small on disk, however much it unpacks to
    before = quads_on_disk(user_store)

    proc, peak_mb, seconds = run_measured(
        "ingest", "--store", str(user_store), str(path), env={"POLICYKG_MAX_DOCUMENT_BYTES": ""}
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err, err
    label = f"{path}:{case.failed}" if case.failed else str(path)
    line = err[err.index(f"failed     {label}: ") :]
    assert re.match(f"failed     {re.escape(label)}: {case.reason}", line), err
    assert "0 added, 0 replaced, 0 unchanged, 1 failed" in err
    print(f"peak {peak_mb:.0f} MB, {seconds:.1f} s")
    assert peak_mb < 100, f"the archive was unpacked into memory: peak {peak_mb:.0f} MB"
    assert seconds < 30
    assert quads_on_disk(user_store) == before


HOSTILE_NAMES = ["../../etc/policykg-escaped.txt", "/policykg-absolute/plan.txt", "计划 \"2017\" '工作要点'.txt"]


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_member_names_are_only_labels_never_paths_written_to(kind, user_store, tmp_path):
    """Members named to climb out of a folder, from the root, or with Chinese and quotes are read
    as documents, reported under the name the archive gives them, and nothing is written anywhere."""
    folder = tmp_path / "deep" / "inside"
    folder.mkdir(parents=True)
    bundle = folder / f"bundle.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(bundle, "w") as zf:
            for name in HOSTILE_NAMES:
                zf.writestr(name, SAMPLE.read_bytes())
    else:
        with tarfile.open(bundle, "w:gz") as tf:
            for name in HOSTILE_NAMES:
                info = tarfile.TarInfo(name)
                info.size = len(SAMPLE.read_bytes())
                tf.addfile(info, io.BytesIO(SAMPLE.read_bytes()))
    files_before = sorted(p for p in tmp_path.rglob("*") if user_store not in p.parents)

    proc = run_cli("ingest", "--store", str(user_store), str(bundle))
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "3 added, 0 replaced, 0 unchanged, 0 failed" in err
    for name in HOSTILE_NAMES:
        assert f"added      {bundle}:{name}: 5 sections, 28 tasks" in err
    listed = json.loads(run_cli("list", "--store", str(user_store), "--json", check=True).stdout)
    iris = {d["iri"].rsplit("/", 1)[-1] for d in listed}
    assert {"policykg-escaped", "plan", "计划-%222017%22-%27工作要点%27"} <= iris  # from the last part of the name

    assert sorted(p for p in tmp_path.rglob("*") if user_store not in p.parents) == files_before
    assert not (Path.cwd() / "../../etc/policykg-escaped.txt").exists()
    assert not (folder / "../../etc/policykg-escaped.txt").exists()
    assert not Path("/policykg-absolute").exists()


def test_a_tar_made_of_a_folder_dot_is_read(user_store, tmp_path):
    """``tar -czf plans.tgz .`` names every member ``./…``: those are documents, not hidden files."""
    bundle = tmp_path / "plans.tgz"
    with tarfile.open(bundle, "w:gz") as tf:
        info = tarfile.TarInfo("./plans/good-plan.txt")
        info.size = len(SAMPLE.read_bytes())
        tf.addfile(info, io.BytesIO(SAMPLE.read_bytes()))
        hidden = tarfile.TarInfo("./.cache/old-plan.txt")
        hidden.size = 1
        tf.addfile(hidden, io.BytesIO(b"x"))
    proc = run_cli("ingest", "--store", str(user_store), str(bundle), check=True)
    assert f"added      {bundle}:./plans/good-plan.txt: 5 sections".encode() in proc.stderr
    assert b"1 added, 0 replaced, 0 unchanged, 0 failed" in proc.stderr  # the hidden folder is still skipped


def test_a_device_is_read_no_further_than_the_limit(tmp_path):
    """A path that states no size (a device, a pipe) is read up to the limit and refused there."""
    proc, peak_mb, _ = run_measured("extract", "/dev/zero", env={"POLICYKG_MAX_DOCUMENT_BYTES": "1000000"})
    assert proc.returncode == 1
    assert b"Error: zero: too large (more than the limit of 1 MB)" in proc.stderr
    assert peak_mb < 100


def test_100_000_nested_divs_are_read_in_seconds(user_store, tmp_path):
    """Deep nesting neither recurses (RecursionError) nor rescans subtrees (it took over 10 minutes)."""
    lines = "".join(f"<p>{line}</p>" for line in SAMPLE_TEXT.splitlines())
    page = tmp_path / "nested.html"
    page.write_text(f"<html><body>{'<div>' * 100_000}{lines}{'</div>' * 100_000}</body></html>", encoding="utf-8")
    started = time.perf_counter()
    proc = run_cli("ingest", "--store", str(user_store), str(page), check=True)
    assert time.perf_counter() - started < 30
    assert f"added      {page}: 5 sections, 28 tasks".encode() in proc.stderr


# Shapes of text that each made one of the extractor's scans quadratic (or worse): the time
# each took before the fix, at the size given, is in the id.
PATHOLOGICAL = {
    "380 000-char line of goals (186 s)": "实施名校建设工程，新增优质学校11所，" * 20_000,
    "100 000 digits (hours)": "1234567890" * 10_000,
    "50 000 spaces after a number (> 30 s at 20 000)": "5" + " " * 50_000 + "所",
    "200 000-letter word (hours)": "a" * 200_000,
    "100 000 dots and dashes in a domain (hours)": "www." + "a-b." * 25_000,
    "30 000 quoted names in a row (minutes)": "“名校”" * 30_000,
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_text_is_read_in_linear_time(text):
    started = time.perf_counter()
    extract_bytes(text.encode("utf-8"), "odd.txt")
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("base", ["http://exa mple/id/", "not an iri", "https://example.org/<id>/"])
def test_a_base_iri_that_is_no_iri_is_refused_before_anything_is_read(base, user_store):
    """Every IRI the graph gets is the base plus checked segments: a bad base is refused up front,
    in words, instead of failing (or being stored) document by document."""
    before = quads_on_disk(user_store)
    proc = run_cli("ingest", "--store", str(user_store), "--base-iri", base, str(SAMPLE))
    err = proc.stderr.decode()
    assert proc.returncode != 0, err
    assert f"Error: not a valid base IRI: {base!r}" in err and "hint: set base_iri" in err, err
    assert "Traceback" not in err and "failed     " not in err
    assert quads_on_disk(user_store) == before
    # `serve` refuses it at start-up (a timeout here means it served with a base that makes no IRIs).
    served = subprocess.run(
        [POLICYKG, "serve", "--store", str(user_store), "--base-iri", base, "--port", "0"],
        capture_output=True,
        timeout=60,
    )
    assert served.returncode != 0 and b"not a valid base IRI" in served.stderr, served.stderr.decode()
