"""Hostile files and operator faults: each gets a clear error or a safe output, never a
traceback or an abort.

The corpus is built at test time in ``tmp_path`` (nothing big is committed): a workbook
that declares 1 GiB of sheet XML in 1 MB, one whose zip directory lies about its sizes,
SVG logos that declare 100,000 pixels a side or embed a 30,000-pixel PNG, JSON Lines
with U+2028 and 5,000-digit numbers, two commands writing into one folder, a disk that
fills up half-way through a write. The files are read through the command line in a
subprocess, so an abort (exit 134, SIGABRT) fails the test as clearly as a traceback.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import io
import json
import os
import socket
import stat
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from implassess.cli import cli
from implassess.errors import Finding, ImplassessError
from implassess.formats import lint
from implassess.formats.instrument import check_raw
from implassess.outputs import files, lock
from implassess.outputs.files import OutputWriteError, atomic_path, write_atomic
from implassess.outputs.lock import LOCK_NAME, FolderLockedError, folder_lock
from implassess.readers.xlsx import write_workbook

HERE = Path(__file__).resolve().parent
MINIMAL = HERE / "fixtures" / "instruments" / "minimal.toml"
MIB = 1 << 20
SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def implassess(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line in a fresh interpreter, as a user runs it: an abort is a negative return code."""
    return subprocess.run(
        [sys.executable, "-c", "from implassess.cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def error_of(done: subprocess.CompletedProcess[str]) -> str:
    """The one error a command printed, after checking it exited 1 with a message and no traceback."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.startswith("Error: "), done.stderr
    return done.stderr


# -- instrument ids name output folders ------------------------------------------------------------------------------


def _minimal_raw(**changes: object) -> dict[str, object]:
    import tomllib

    raw = tomllib.loads(MINIMAL.read_text(encoding="utf-8"))
    raw.update(changes)
    return raw


EXPECTED_ID = (
    "expected 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit "
    "(the id names the instrument's folder in the output, so it cannot be a path)."
)


@pytest.mark.parametrize(
    ("ident", "expected"),
    [
        ("../../x", EXPECTED_ID),
        ("/tmp/x", EXPECTED_ID),
        ("C:\\x", EXPECTED_ID),
        ("a/b", EXPECTED_ID),
        ("..", EXPECTED_ID),
        (".hidden", EXPECTED_ID),
        ("Clarity", EXPECTED_ID),
        ("two words", EXPECTED_ID),
        ("", EXPECTED_ID),
        ("x" * 65, EXPECTED_ID),
        ("gaps.", "expected an id that does not end with '.' (Windows drops a final '.' from folder names)."),
        ("nul", "expected an id other than 'nul', a name Windows reserves for a device."),
        ("com1.v2", "expected an id other than 'com1', a name Windows reserves for a device."),
    ],
)
def test_an_instrument_id_that_cannot_name_a_folder_is_an_error(ident: str, expected: str) -> None:
    record, findings = check_raw(_minimal_raw(id=ident), "inst.toml")
    assert record is None
    assert [f for f in findings if f.code == "unsafe-id"] == [
        Finding("inst.toml", "id", f"Found {ident!r}; {expected}", code="unsafe-id")
    ]


@pytest.mark.parametrize("ident", ["minimal", "clarity-gaps", "v1.2_beta", "0", "x" * 64, "a..b"])
def test_plain_ids_are_accepted(ident: str) -> None:
    assert lint.safe_id_problem(ident) is None
    record, findings = check_raw(_minimal_raw(id=ident), "inst.toml")
    assert record is not None and findings == []


def test_a_battery_id_and_its_members_are_checked_too() -> None:
    raw = {"kind": "battery", "id": "../b", "title": "B", "instruments": [{"id": "ok"}, {"id": "/etc/x"}]}
    findings = lint.lint_battery(raw, "b.toml")
    assert [(f.path, f.message) for f in findings if f.code == "unsafe-id"] == [
        ("id", f"Found '../b'; {EXPECTED_ID}"),
        ("instruments[1].id", f"Found '/etc/x'; {EXPECTED_ID}"),
    ]


def test_validate_and_run_refuse_an_instrument_that_would_write_outside(tmp_path: Path) -> None:
    project = tmp_path / "deep" / "project"
    project.mkdir(parents=True)
    text = MINIMAL.read_text(encoding="utf-8").replace('id = "minimal"', 'id = "../../x"', 1)
    (project / "inst.toml").write_text(text, encoding="utf-8")
    (project / "export.csv").write_bytes((HERE / "fixtures" / "exports" / "generic.csv").read_bytes())
    (project / "assessment.toml").write_text(
        'instruments = ["inst.toml"]\n[client]\nname = "X"\n[[responses]]\npath = "export.csv"\n'
        '[scoring]\nwave = "1"\n[outputs]\ndir = "out"\npdf = false\n',
        encoding="utf-8",
    )
    done = implassess("instruments", "validate", project / "inst.toml")
    assert done.returncode == 1
    assert done.stdout == (
        f"{project / 'inst.toml'}: id: error: Found '../../x'; {EXPECTED_ID}\n"
        "1 file(s) checked: 1 error(s), 0 warning(s).\n"
    )
    assert error_of(implassess("run", project / "assessment.toml")).startswith(
        f"Error: {project / 'inst.toml'}: id: error: Found '../../x'; "
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == [
        "assessment.toml",
        "deep",
        "export.csv",
        "inst.toml",
        "project",
    ]


# -- workbooks that unpack to more than they should ---------------------------------------------------------------


def _deflated(head: bytes, fill: bytes, count: int, tail: bytes, *, crc: bool = True) -> tuple[bytes, int, int]:
    """Raw deflate of ``head + fill * count + tail`` (fill is one byte), made cheaply: a
    compressed MiB is repeated (each ends in a full flush, so it stands alone). Returns
    (compressed bytes, CRC-32 (0 unless ``crc``), uncompressed size)."""
    chunk = fill * MIB
    n, rest = divmod(count, MIB)

    def part(data: bytes, final: bool) -> bytes:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)

    body = part(head, False) + part(chunk, False) * n + part(chunk[:rest] + tail, True)
    check = 0
    if crc:
        check = zlib.crc32(head)
        for _ in range(n):
            check = zlib.crc32(chunk, check)
        check = zlib.crc32(chunk[:rest] + tail, check)
    return body, check, len(head) + count + len(tail)


def _zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip from (name, packed data, CRC-32, declared size, method), headers written by hand
    so that a test can make them declare what it likes."""
    out, directory = bytearray(), bytearray()
    for name, data, crc, size, method in members:
        raw = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size, len(raw), 0)
        out += raw + data
        directory += struct.pack(
            "<4s6H3I5H2I",
            b"PK\x01\x02",
            20,
            20,
            0,
            method,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(raw),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory += raw
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(out), 0)
    return bytes(out + directory + end)


def _genuine_parts() -> list[tuple[str, bytes, int, int, int]]:
    """The parts of a small genuine workbook (minimal's columns), each deflated afresh."""
    book = write_workbook([("Responses", [["respondent_id", "p1", "p2", "p3", "l1", "l2"], ["r1", 4, 4, 2, 3, 4]])])
    parts = []
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        for info in z.infolist():
            data = z.read(info)
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            parts.append((info.filename, c.compress(data) + c.flush(), zlib.crc32(data), len(data), 8))
    return parts


def _workbook_with_sheet(sheet: tuple[bytes, int, int], declared: int | None = None) -> bytes:
    body, crc, size = sheet
    parts = [p for p in _genuine_parts() if p[0] != SHEET]
    return _zip([*parts, (SHEET, body, crc, size if declared is None else declared, 8)])


@pytest.fixture(scope="module")
def gib_sheet() -> tuple[bytes, int, int]:
    """1 GiB of (blank) sheet XML in about 1 MB."""
    return _deflated(SHEET_HEAD, b" ", 1 << 30, SHEET_TAIL)


def _sheet_mb(sheet: tuple[bytes, int, int]) -> float:
    return sheet[2] / MIB


def test_a_workbook_that_unpacks_to_a_gibibyte_is_refused_before_it_is_unpacked(
    tmp_path: Path, gib_sheet: tuple[bytes, int, int]
) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_workbook_with_sheet(gib_sheet))
    assert path.stat().st_size < 2 * MIB
    total = (sum(p[3] for p in _genuine_parts() if p[0] != SHEET) + gib_sheet[2]) / MIB
    started = time.monotonic()
    message = error_of(implassess("responses", "check", path, "-i", MINIMAL))
    assert time.monotonic() - started < 30  # unguarded, it read for 44 s
    assert message == (
        f"Error: {path}: Part '{SHEET}' of the workbook unpacks to 1,024 MB (the whole workbook to 1,024 MB), "
        "more than the limit of 256 MB. If the workbook is genuine, raise the limit by setting the environment "
        f"variable IMPLASSESS_MAX_XLSX_MB={int(total) + 1} or more.\n"
    )


def test_a_raised_size_limit_still_refuses_a_part_packed_a_thousandfold(
    tmp_path: Path, gib_sheet: tuple[bytes, int, int]
) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_workbook_with_sheet(gib_sheet))
    ratio = gib_sheet[2] / len(gib_sheet[0])
    message = error_of(implassess("responses", "check", path, "-i", MINIMAL, env={"IMPLASSESS_MAX_XLSX_MB": "2048"}))
    assert message == (
        f"Error: {path}: Part '{SHEET}' of the workbook unpacks to 1,024 MB from {len(gib_sheet[0]):,} bytes, "
        f"{ratio:,.0f} times its stored size; genuine sheets pack at most about 100-fold, so this looks like a "
        "zip bomb. If the workbook is genuine, raise the limit by setting the environment variable "
        f"IMPLASSESS_MAX_XLSX_RATIO={int(ratio) + 1} or more.\n"
    )


def test_a_kpi_sheet_workbook_goes_through_the_same_check(tmp_path: Path, gib_sheet: tuple[bytes, int, int]) -> None:
    path = tmp_path / "kpis.xlsx"
    path.write_bytes(_workbook_with_sheet(gib_sheet))
    message = error_of(implassess("responses", "kpis", path))
    assert message.startswith(f"Error: {path}: Part '{SHEET}' of the workbook unpacks to 1,024 MB")
    assert "IMPLASSESS_MAX_XLSX_MB=" in message


def test_a_part_that_declares_less_than_it_holds_is_cut_at_its_declaration(
    tmp_path: Path, gib_sheet: tuple[bytes, int, int]
) -> None:
    """The directory says 2 KB; the data inflates to 1 GiB. The reader stops at 2 KB: damaged."""
    path = tmp_path / "liar.xlsx"
    path.write_bytes(_workbook_with_sheet(gib_sheet, declared=2048))
    started = time.monotonic()
    message = error_of(implassess("responses", "check", path, "-i", MINIMAL, "--format", "xlsx"))
    assert time.monotonic() - started < 30
    assert message == (
        f"Error: {path}: The workbook's ZIP archive is damaged (Bad CRC-32 for file '{SHEET}'); expected an Excel "
        ".xlsx file as a spreadsheet program saves it. Save it again from the program that made it.\n"
    )


def test_the_size_limit_is_raised_through_the_environment(tmp_path: Path) -> None:
    """A genuine sheet of about 1.5 MB is refused under a 1 MB limit and read when the limit is raised."""
    rows = [["respondent_id", "p1", "p2", "p3", "l1", "l2"]] + [[f"r{i}", 4, 4, 2, 3, 4] for i in range(6_000)]
    path = tmp_path / "big.xlsx"
    path.write_bytes(write_workbook([("Responses", rows)]))
    with zipfile.ZipFile(path) as z:
        total = sum(i.file_size for i in z.infolist()) / MIB
        sheet = z.getinfo(SHEET).file_size / MIB
    assert 1 < sheet < total < 2
    message = error_of(implassess("responses", "check", path, "-i", MINIMAL, env={"IMPLASSESS_MAX_XLSX_MB": "1"}))
    assert message == (
        f"Error: {path}: Part '{SHEET}' of the workbook unpacks to {sheet:.1f} MB (the whole workbook to "
        f"{total:.1f} MB), more than the limit of 1 MB. If the workbook is genuine, raise the limit by setting the "
        "environment variable IMPLASSESS_MAX_XLSX_MB=2 or more.\n"
    )
    done = implassess("responses", "check", path, "-i", MINIMAL, env={"IMPLASSESS_MAX_XLSX_MB": "2"})
    assert done.returncode == 0, done.stderr
    assert "Rows read: 6000; accepted: 6000; rejected: 0." in done.stdout


def test_a_limit_that_is_not_a_number_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ok.xlsx"
    path.write_bytes(write_workbook([("R", [["respondent_id", "p1"], ["r1", 3]])]))
    message = error_of(implassess("responses", "check", path, "-i", MINIMAL, env={"IMPLASSESS_MAX_XLSX_MB": "lots"}))
    assert message == (
        "Error: The environment variable IMPLASSESS_MAX_XLSX_MB is 'lots'; expected a number greater than 0 "
        "(e.g. IMPLASSESS_MAX_XLSX_MB=512), or leave it unset for the default of 256.\n"
    )


def test_a_workbook_of_ten_thousand_parts_is_refused_from_its_last_bytes(tmp_path: Path) -> None:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    empty = c.compress(b"") + c.flush()
    path = tmp_path / "parts.xlsx"
    genuine = _genuine_parts()
    path.write_bytes(_zip([*genuine, *((f"x/{i}", empty, 0, 0, 8) for i in range(10_001))]))
    message = error_of(implassess("responses", "check", path, "-i", MINIMAL, "--format", "xlsx"))
    assert message == (
        f"Error: {path}: The workbook holds {len(genuine) + 10_001:,} parts; expected at most 10,000 (real "
        "workbooks hold a few dozen), so this is not a genuine Excel file.\n"
    )


def test_a_part_packed_with_bzip2_is_refused(tmp_path: Path) -> None:
    import bz2

    data = b" " * (64 * MIB)
    parts = [p for p in _genuine_parts() if p[0] != SHEET]
    path = tmp_path / "bz.xlsx"
    path.write_bytes(_zip([*parts, (SHEET, bz2.compress(data), zlib.crc32(data), len(data), 12)]))
    message = error_of(implassess("responses", "check", path, "-i", MINIMAL, "--format", "xlsx"))
    assert message == (
        f"Error: {path}: Part '{SHEET}' of the workbook is packed with compression method 12; expected an Excel "
        ".xlsx file, whose parts are stored or deflated.\n"
    )


# -- SVG and raster logos -----------------------------------------------------------------------------------------


def _png(width: int, height: int) -> bytes:
    """An RGBA PNG of ``width`` × ``height`` transparent pixels, made without drawing them."""
    row = 1 + 4 * width
    body, _, size = _deflated(b"", b"\0", row * height, b"", crc=False)  # a PNG checks Adler-32 instead
    adler = ((size % 65521) << 16) | 1  # Adler-32 of zeros
    idat = b"\x78\xda" + body + struct.pack(">I", adler)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _theme_with_logo(folder: Path, logo: str) -> Path:
    path = folder / "brand.theme.toml"
    path.write_text(f'name = "brand"\nlogo = "{logo}"\n', encoding="utf-8")
    return path


HUGE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000">'
    '<rect width="100000" height="100000" fill="#1f3a5f"/></svg>'
)


def test_an_svg_logo_of_100000_pixels_a_side_is_drawn_at_a_bounded_size(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text(HUGE_SVG, encoding="utf-8")
    theme = _theme_with_logo(tmp_path, "logo.svg")
    done = implassess("themes", "show", theme)
    assert done.returncode == 0, (done.returncode, done.stderr)  # it aborted with 134 before
    assert f"logo          {(tmp_path / 'logo.svg').resolve()}" in done.stdout
    # ... and a report with it renders (in its own process: an abort must not take pytest down).
    script = (
        "import sys\nfrom pathlib import Path\nfrom implassess.formats.theme import load_theme, rasterise_svg\n"
        "from implassess.report.render import render_report\nfrom implassess.report.sample_model import sample_model\n"
        "theme = load_theme(Path(sys.argv[1]))\npng = rasterise_svg(theme.logo)\n"
        "print(int.from_bytes(png[16:20], 'big'), int.from_bytes(png[20:24], 'big'))\n"
        "print(render_report(sample_model(), theme, Path(sys.argv[2])).pages > 0)\n"
    )
    rendered = subprocess.run(
        [sys.executable, "-c", script, str(theme), str(tmp_path / "r.pdf")], capture_output=True, text=True, timeout=300
    )
    assert rendered.returncode == 0, (rendered.returncode, rendered.stderr[-2000:])
    assert rendered.stdout.split() == ["1200", "1200", "True"]


@pytest.mark.parametrize("how", ["embedded", "linked"])
def test_an_svg_holding_a_30000_pixel_png_is_refused(tmp_path: Path, how: str) -> None:
    png = _png(30_000, 30_000)  # 3.6 GB once decoded, 3.5 MB packed
    if how == "embedded":
        href = "data:image/png;base64," + base64.b64encode(png).decode()
        subject = "embeds"
    else:
        (tmp_path / "inner.png").write_bytes(png)
        href, subject = "inner.png", "links to 'inner.png',"
    (tmp_path / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="60">'
        f'<g><image width="200" height="60" xlink:href="{href}"/></g></svg>',
        encoding="utf-8",
    )
    theme = _theme_with_logo(tmp_path, "logo.svg")
    assert error_of(implassess("themes", "show", theme)) == (
        f"Error: {theme}: logo: error: 'logo.svg' {subject} a PNG image of 30,000 × 30,000 pixels; expected at most "
        "50 megapixels (a logo or cover image needs far fewer: scale it down).\n"
    )


def test_a_png_logo_declaring_a_billion_pixels_is_refused_from_its_header(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(_png(40_000, 40_000))
    theme = _theme_with_logo(tmp_path, "logo.png")
    assert error_of(implassess("themes", "show", theme)) == (
        f"Error: {theme}: logo: error: 'logo.png' is a PNG image of 40,000 × 40,000 pixels; expected at most "
        "50 megapixels (a logo or cover image needs far fewer: scale it down).\n"
    )


def test_a_jpeg_logo_is_measured_past_its_metadata(tmp_path: Path) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    jpeg = buf.getvalue()
    sof = jpeg.index(b"\xff\xc0")
    frame = bytearray(jpeg)
    frame[sof + 5 : sof + 9] = struct.pack(">HH", 20_000, 30_000)  # height, width
    app = b"\xff\xe1" + struct.pack(">H", 60_002) + bytes(60_000)  # a large metadata segment first
    (tmp_path / "logo.jpg").write_bytes(bytes(frame[:2]) + app + bytes(frame[2:]))
    theme = _theme_with_logo(tmp_path, "logo.jpg")
    assert error_of(implassess("themes", "show", theme)) == (
        f"Error: {theme}: logo: error: 'logo.jpg' is a JPEG image of 30,000 × 20,000 pixels; expected at most "
        "50 megapixels (a logo or cover image needs far fewer: scale it down).\n"
    )


def test_a_multi_gigabyte_logo_is_refused_by_its_size_without_reading_it(tmp_path: Path) -> None:
    with (tmp_path / "logo.png").open("wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.truncate(3 << 30)  # sparse: 3 GiB on paper, nothing on disk
    theme = _theme_with_logo(tmp_path, "logo.png")
    assert error_of(implassess("themes", "show", theme)) == (
        f"Error: {theme}: logo: error: 'logo.png' is 3,072.0 MB; expected an image of at most 20 MB. Make the file "
        "smaller, or raise the limit by setting the environment variable IMPLASSESS_MAX_IMAGE_MB=3073.\n"
    )


def test_a_compressed_svg_is_refused(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "logo.svg").write_bytes(gzip.compress(HUGE_SVG.encode()))
    theme = _theme_with_logo(tmp_path, "logo.svg")
    assert error_of(implassess("themes", "show", theme)) == (
        f"Error: {theme}: logo: error: 'logo.svg' is a compressed SVG (svgz); expected a plain SVG file (save it "
        "uncompressed).\n"
    )


def test_an_svg_entity_bomb_is_refused(tmp_path: Path) -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    (tmp_path / "logo.svg").write_text(
        f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&a9;</text></svg>',
        encoding="utf-8",
    )
    theme = _theme_with_logo(tmp_path, "logo.svg")
    message = error_of(implassess("themes", "show", theme))
    assert message.startswith(f"Error: {theme}: logo: error: 'logo.svg' is not a readable SVG image (")
    assert message.endswith("); expected an SVG file.\n")


# -- JSON Lines ---------------------------------------------------------------------------------------------------


def test_json_lines_split_at_newlines_only_and_refuse_numbers_python_cannot_read(tmp_path: Path) -> None:
    lines = [
        {"respondent_id": "r1", "site": "North\u2028South", "p1": 4, "p2": 4, "p3": 2, "l1": 3, "l2": 4},
        {"respondent_id": "r2", "site": "x\u2029y\x85z", "p1": 5, "p2": 3, "p3": 4, "l1": 4, "l2": 5},
    ]
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    text += '{"respondent_id": "r3", "site": "x", "p1": ' + "9" * 5000 + ', "p2": 1, "p3": 1, "l1": 1, "l2": 1}\n'
    text += '{"respondent_id": "r4", "site": "x", "p1": ' + "9" * 400 + ', "p2": 1, "p3": 1, "l1": 1, "l2": 1}\n'
    text += '{"respondent_id": "r5", "site": "x", "p1": 1e999, "p2": NaN, "p3": 1, "l1": 1, "l2": 1}\n'
    path = tmp_path / "answers.jsonl"
    path.write_text(text, encoding="utf-8")
    done = implassess("responses", "check", path, "-i", MINIMAL, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["reader"], report["rows_read"], report["accepted"]) == ("jsonl", 5, 2)
    assert report["rejected"] == [
        {
            "row": 3,
            "respondent": "r3",
            "reasons": [
                "Column 'p1': found a number of 5,000 digits (99999999999999999999…); expected a number of at most "
                "4,300 digits, or text in quotes."
            ],
        },
        {
            "row": 4,
            "respondent": "r4",
            "reasons": [
                f"Column 'p1': found {'9' * 36!r}… (400 characters), which is too large to be read as a number; "
                "expected a number of ordinary size."
            ],
        },
        {
            "row": 5,
            "respondent": "r5",
            "reasons": [
                "Column 'p1': found the number 1e999, which is too large to read; expected a number of ordinary "
                "size, or text in quotes.",
                "Column 'p2': found NaN, which is not a number JSON allows; expected a number of ordinary size, or "
                "text in quotes.",
            ],
        },
    ]
    assert "North" not in done.stderr  # no cell is echoed in an error


def test_a_json_array_with_a_5000_digit_number_rejects_that_entry(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text('[{"respondent_id": "r1", "p1": 3}, ' + "1" * 5000 + "]", encoding="utf-8")
    done = implassess("responses", "check", path, "-i", MINIMAL, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["rejected"] == [
        {
            "row": 2,
            "respondent": None,
            "reasons": ["The entry is a number (5,000 characters); expected an object of column: value."],
        }
    ]


# -- one writer per output folder ---------------------------------------------------------------------------------


def _answers(path: Path, ids: list[str], value: int) -> Path:
    rows = "".join(f"{r},North,{value},{value},{6 - value},{value},{value}\n" for r in ids)
    path.write_text("respondent_id,site,p1,p2,p3,l1,l2\n" + rows, encoding="utf-8")
    return path


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[Callable[[Path], subprocess.Popen[str]]]:
    """Start another process that holds the lock on a folder until the test ends."""
    children: list[subprocess.Popen[str]] = []
    code = (
        "import sys\nfrom pathlib import Path\nfrom implassess.outputs.lock import folder_lock\n"
        "with folder_lock(Path(sys.argv[1]), 'run'):\n    print('locked', flush=True)\n    sys.stdin.readline()\n"
    )

    def start(folder: Path) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [sys.executable, "-c", code, str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        children.append(child)
        assert child.stdout is not None and child.stdout.readline() == "locked\n"
        return child

    yield start
    for child in children:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


def test_a_second_command_into_a_locked_folder_is_refused_and_the_first_finishes(
    tmp_path: Path, holder: Callable[[Path], subprocess.Popen[str]]
) -> None:
    out = tmp_path / "out"
    export = _answers(tmp_path / "a.csv", [f"r{i}" for i in range(6)], 4)
    child = holder(out)
    started = json.loads((out / LOCK_NAME).read_text(encoding="utf-8"))["started"]
    message = error_of(implassess("score", export, "-i", MINIMAL, "-o", out))
    assert message == (
        f"Error: Another implassess command (run, pid {child.pid}, started at {started}) is writing to {out}; "
        "wait for it to finish or choose another output folder (-o).\n"
    )
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]  # nothing written beside it
    assert child.stdin is not None
    child.stdin.close()
    child.wait(timeout=30)
    assert not out.exists()  # the holder made the folder, wrote nothing, and tidied up
    done = implassess("score", export, "-i", MINIMAL, "-o", out)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert LOCK_NAME not in names and names == sorted(
        ["groups.csv", "manifest.json", "profile.json", "respondents_long.csv", "respondents_wide.csv"]
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert LOCK_NAME not in json.dumps(manifest["outputs"])


def test_run_into_a_locked_folder_is_refused_before_it_reads_anything(
    tmp_path: Path, holder: Callable[[Path], subprocess.Popen[str]]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    _answers(project / "export.csv", [f"a{i}" for i in range(6)], 4)
    (project / "assessment.toml").write_text(
        f'instruments = ["{MINIMAL.as_posix()}"]\n[client]\nname = "X"\n[[responses]]\npath = "export.csv"\n'
        '[outputs]\ndir = "out"\npdf = false\n',
        encoding="utf-8",
    )
    out = project / "out"
    child = holder(out)
    message = error_of(implassess("run", project / "assessment.toml"))
    assert message.startswith(f"Error: Another implassess command (run, pid {child.pid}, started at ")
    assert message.endswith(f") is writing to {out}; wait for it to finish or choose another output folder (-o).\n")
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]


def test_the_lock_is_reentrant_within_a_process_and_removed_at_the_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with folder_lock(out, "run") as path:
        holder = json.loads(path.read_text(encoding="utf-8"))
        assert (holder["command"], holder["pid"], holder["host"]) == ("run", os.getpid(), socket.gethostname())
        with folder_lock(out, "report"):
            (out / "report.pdf").write_bytes(b"%PDF-")
        assert path.exists()  # the inner block leaves the outer lock alone
    assert sorted(p.name for p in out.iterdir()) == ["report.pdf"]


@pytest.mark.skipif(lock._fcntl is None, reason="flock is not available here")
def test_a_lock_file_left_by_a_killed_command_does_not_block_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"command": "run", "pid": os.getppid(), "host": socket.gethostname()}))
    with folder_lock(out, "score") as path:  # the operating system, not the file, says who holds it
        assert json.loads(path.read_text(encoding="utf-8"))["command"] == "score"
    assert list(out.iterdir()) == []


@pytest.fixture
def without_flock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback of platforms without ``fcntl`` (Windows): an exclusively created file."""
    monkeypatch.setattr(lock, "_fcntl", None)


def _lock_file(folder: Path, **holder: object) -> None:
    folder.mkdir(exist_ok=True)
    (folder / LOCK_NAME).write_text(json.dumps(holder), encoding="utf-8")


def test_without_flock_a_live_holder_on_this_host_is_respected(tmp_path: Path, without_flock: None) -> None:
    out = tmp_path / "out"
    _lock_file(out, command="participants", pid=os.getppid(), host=socket.gethostname(), started="2026-01-02T03:04:05")
    with pytest.raises(FolderLockedError) as err, folder_lock(out, "run"):
        pass
    assert str(err.value) == (
        f"Another implassess command (participants, pid {os.getppid()}, started at 2026-01-02T03:04:05) is writing "
        f"to {out}; wait for it to finish or choose another output folder (-o). If no implassess command is "
        f"running, remove {out / LOCK_NAME}."
    )
    assert (out / LOCK_NAME).exists()


def test_without_flock_a_dead_holder_on_this_host_is_taken_over(tmp_path: Path, without_flock: None) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    out = tmp_path / "out"
    _lock_file(out, command="run", pid=int(gone.stdout), host=socket.gethostname(), started="x")
    with folder_lock(out, "score") as path:
        assert json.loads(path.read_text(encoding="utf-8"))["pid"] == os.getpid()
    assert list(out.iterdir()) == []


def test_without_flock_a_holder_on_another_host_is_respected(tmp_path: Path, without_flock: None) -> None:
    out = tmp_path / "out"
    _lock_file(out, command="run", pid=1, host="elsewhere.example", started="2026-01-02T03:04:05")
    with (
        pytest.raises(FolderLockedError, match=r"\(run, pid 1 on elsewhere\.example, started at 2026"),
        folder_lock(out, "score"),
    ):
        pass


# -- a disk that fills up while writing ---------------------------------------------------------------------------


@pytest.fixture
def disk_full_on(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], list[str]]:
    """Make the disk "fill up" when a temporary file for the named output is written (ENOSPC)."""
    names: dict[int, str] = {}
    real_mkstemp, real_write = files.tempfile.mkstemp, os.write
    failed: list[str] = []

    def arm(name: str) -> list[str]:
        def mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
            fd, tmp = real_mkstemp(*args, **kwargs)  # type: ignore[call-overload]
            names[fd] = tmp
            return fd, tmp

        def write(fd: int, data: bytes) -> int:
            if Path(names.get(fd, "")).name.startswith(f".{name}."):
                failed.append(names[fd])
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_write(fd, data)

        monkeypatch.setattr(files.tempfile, "mkstemp", mkstemp)
        monkeypatch.setattr(os, "write", write)
        return failed

    return arm


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _manifest_matches(folder: Path) -> None:
    """The score manifest, if there is one, describes exactly the files beside it."""
    path = folder / "manifest.json"
    if not path.exists():
        return
    listed = {e["file"]: e["sha256"] for e in json.loads(path.read_text(encoding="utf-8"))["outputs"]}
    assert listed == {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in listed}


def _score(export: Path, out: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str):
    monkeypatch.setenv("IMPLASSESS_LEDGER", str(tmp_path / f"ledger-{name}"))
    return CliRunner().invoke(cli, ["score", str(export), "-i", str(MINIMAL), "-o", str(out)], catch_exceptions=False)


def test_a_full_disk_during_score_leaves_the_old_outputs_and_their_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, disk_full_on: Callable[[str], list[str]]
) -> None:
    out = tmp_path / "out"
    first = _score(_answers(tmp_path / "a.csv", [f"a{i}" for i in range(6)], 4), out, monkeypatch, tmp_path, "a")
    assert first.exit_code == 0, first.output
    before = _snapshot(out)
    failed = disk_full_on("respondents_long.csv")
    second = _score(_answers(tmp_path / "b.csv", [f"b{i}" for i in range(7)], 2), out, monkeypatch, tmp_path, "b")
    assert failed, "the fault was never injected"
    assert second.exit_code == 1
    assert second.output == (
        f"Error: Cannot write {out / 'respondents_long.csv'}: the disk is full (No space left on device). Nothing "
        "was left half-written under that name; free some space (or write to another folder) and run the command "
        "again.\n"
    )
    assert _snapshot(out) == before  # not one new file beside the old manifest, no temporary left
    _manifest_matches(out)


def test_a_crash_while_renaming_leaves_no_manifest_beside_new_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert (
        _score(_answers(tmp_path / "a.csv", [f"a{i}" for i in range(6)], 4), out, monkeypatch, tmp_path, "a").exit_code
        == 0
    )
    real_replace = os.replace
    calls: list[str] = []

    def replace(src: str, dst: str | Path) -> None:
        if Path(dst).parent == out:  # not the release ledger's files
            calls.append(Path(dst).name)
        if Path(dst).parent == out and Path(dst).name == "respondents_long.csv":
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    second = _score(_answers(tmp_path / "b.csv", [f"b{i}" for i in range(7)], 2), out, monkeypatch, tmp_path, "b")
    assert second.exit_code == 1
    assert second.output.startswith(f"Error: Cannot write {out / 'respondents_long.csv'}: Input/output error.")
    assert calls == ["profile.json", "groups.csv", "respondents_long.csv"]
    names = sorted(p.name for p in out.iterdir())
    assert "manifest.json" not in names  # the old one went before the first new file arrived
    assert not [n for n in names if files.is_partial(n)]


def test_a_full_disk_during_run_leaves_no_run_manifest_beside_new_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, disk_full_on: Callable[[str], list[str]]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    _answers(project / "export.csv", [f"a{i}" for i in range(6)], 4)
    (project / "assessment.toml").write_text(
        f'instruments = ["{MINIMAL.as_posix()}"]\n[client]\nname = "X"\n[[responses]]\npath = "export.csv"\n'
        '[outputs]\ndir = "out"\npdf = false\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("IMPLASSESS_LEDGER", str(tmp_path / "ledger-a"))
    first = CliRunner().invoke(cli, ["run", str(project / "assessment.toml")], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    out = project / "out"
    assert (out / "manifest.json").exists()
    _answers(project / "export.csv", [f"b{i}" for i in range(7)], 2)
    monkeypatch.setenv("IMPLASSESS_LEDGER", str(tmp_path / "ledger-b"))
    failed = disk_full_on("rejected-rows.csv")
    second = CliRunner().invoke(cli, ["run", str(project / "assessment.toml")], catch_exceptions=False)
    assert failed and second.exit_code == 1
    assert second.output.startswith(f"Error: Cannot write {out / 'rejected-rows.csv'}: the disk is full")
    assert not (out / "manifest.json").exists()  # the new minimal/ files must not sit beside the old manifest
    _manifest_matches(out / "minimal")
    assert not [p for p in out.rglob("*") if files.is_partial(p.name) or p.name == LOCK_NAME]


def test_a_full_disk_inside_a_writer_that_wants_a_file_name_names_the_file(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    with pytest.raises(OutputWriteError) as err, atomic_path(target):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert isinstance(err.value, OSError) and isinstance(err.value, ImplassessError)
    assert err.value.user_message().startswith(f"Cannot write {target}: the disk is full")
    assert list(tmp_path.iterdir()) == []


# -- durable renames ----------------------------------------------------------------------------------------------


@pytest.fixture
def syscalls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """fsync and replace calls in order: "fsync file", "fsync dir", "replace NAME"."""
    seen: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        seen.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src: str, dst: str | Path) -> None:
        seen.append(f"replace {Path(dst).name}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return seen


def test_a_file_named_for_a_writer_is_synced_before_it_is_renamed(tmp_path: Path, syscalls: list[str]) -> None:
    with atomic_path(tmp_path / "report.pdf") as tmp:
        Path(tmp).write_bytes(b"%PDF-1.4")
    expected = ["fsync file", "replace report.pdf"] + (["fsync dir"] if os.name != "nt" else [])
    assert syscalls == expected
    assert (tmp_path / "report.pdf").read_bytes() == b"%PDF-1.4"


def test_write_atomic_syncs_the_file_then_renames_then_syncs_the_folder(tmp_path: Path, syscalls: list[str]) -> None:
    assert write_atomic(tmp_path / "a.json", "{}") == hashlib.sha256(b"{}").hexdigest()
    assert syscalls == ["fsync file", "replace a.json"] + (["fsync dir"] if os.name != "nt" else [])
