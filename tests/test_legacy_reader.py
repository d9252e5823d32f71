"""The legacy .doc/.wps reader without LibreOffice (NOTICES_SOFFICE=none).

The fixtures in samples/formats/*.doc are LibreOffice's Word 97 renderings of
samples/notices/*.docx (samples/build_doc.py), so each must read as its DOCX
does: the same paragraphs, the same tables with the same merged cells.
"""
from __future__ import annotations

import io
import struct
from pathlib import Path

import olefile
import pytest
from rapidfuzz import fuzz

from extractors.readers import msdoc
from extractors.readers.legacy import soffice
from extractors.readers.registry import read_bytes, read_document
from schemas.document import Paragraph, Table
from schemas.errors import NoticeError

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ROOT / "samples" / "formats"
NOTICES = ROOT / "samples" / "notices"
DOCS = sorted(FORMATS.glob("*.doc"))
SEED = FORMATS / "002_f368b6cade0a67ca.doc"  # the one with merged cells


@pytest.fixture
def builtin(monkeypatch):
    monkeypatch.setenv("NOTICES_SOFFICE", "none")


def shapes(doc) -> list[tuple[int, int, int, list]]:
    return [(len(t.header), len(t.rows), t.n_cols, t.merged()) for t in doc.tables()]


def test_there_are_fixtures():
    assert len(DOCS) == len(list(NOTICES.glob("*.docx"))) >= 5


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_doc_reads_as_its_docx(path, builtin):
    doc = read_document(path)
    ref = read_document(NOTICES / f"{path.stem}.docx")
    assert doc.format == "doc"
    assert any("built-in" in w for w in doc.warnings)
    assert shapes(doc) == shapes(ref)
    assert [t.header_texts() for t in doc.tables()] == [t.header_texts() for t in ref.tables()]
    for mine, theirs in zip(doc.tables(), ref.tables()):
        assert [mine.row_texts(r) for r in range(len(mine.rows))] == \
            [theirs.row_texts(r) for r in range(len(theirs.rows))]
    paras, ref_paras = [p.text for p in doc.paragraphs()], [p.text for p in ref.paragraphs()]
    assert len(paras) == len(ref_paras)
    assert fuzz.ratio("\n".join(paras), "\n".join(ref_paras)) >= 98


def test_eval_rows_f1_on_doc_fixtures(builtin):
    from pipeline.evaluate import evaluate

    report = evaluate(ROOT / "samples" / "gold", FORMATS, ("doc",))
    assert len(report.files) >= 5 and not [f.error for f in report.files if f.error]
    overall = report.overall()
    assert overall["rows"].f1 >= 0.95
    assert not report.failures(0.95)


def test_wps_with_word_streams_is_read_the_same(builtin):
    doc = read_bytes(SEED.read_bytes(), "通知.wps")
    assert shapes(doc) == shapes(read_document(SEED))


def test_libreoffice_failing_falls_back_to_the_builtin_reader(monkeypatch):
    monkeypatch.setenv("NOTICES_SOFFICE", "/bin/false")  # starts, converts nothing
    doc = read_document(SEED)
    assert shapes(doc) == shapes(read_document(NOTICES / f"{SEED.stem}.docx"))
    assert any("LibreOffice could not convert it" in w and "built-in" in w for w in doc.warnings)


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_path_is_used_where_installed():
    doc = read_document(SEED)
    assert any("with LibreOffice" in w for w in doc.warnings)
    assert [(len(t.rows), t.n_cols) for t in doc.tables()] == [(71, 6)]


# ----------------------------------------------------------------------------- bad input


def _rewrite_stream(data: bytes, name: str, edit) -> bytes:
    """The file with one stream's bytes edited in place (same length)."""
    buf = io.BytesIO(data)
    ole = olefile.OleFileIO(buf, write_mode=True)
    stream = bytearray(ole.openstream(name).read())
    edit(stream)
    ole.write_stream(name, bytes(stream))
    ole.close()
    return buf.getvalue()


def _rename_stream(data: bytes, old: str, new: str) -> bytes:
    """The file with a directory entry renamed (the 64-byte UTF-16 name and its length)."""
    raw = bytearray(data)
    name = old.encode("utf-16-le")
    at = raw.find(name + b"\x00\x00")
    assert at > 0 and at % 128 == 0  # directory entries are 128 bytes
    field = (new.encode("utf-16-le") + b"\x00\x00").ljust(64, b"\x00")
    raw[at:at + 64] = field
    raw[at + 64:at + 66] = struct.pack("<H", 2 * (len(new) + 1))
    return bytes(raw)


def _error(data: bytes, name: str = "x.doc") -> NoticeError:
    with pytest.raises(NoticeError) as info:
        read_bytes(data, name)
    return info.value


@pytest.mark.parametrize("stream, says", [
    ("Workbook", "Excel workbook"),
    ("__substg1.0_0037001F", "Outlook message"),
    ("PowerPoint Document", "PowerPoint"),
    ("Contents", "Microsoft Works"),
    ("Something", "without a WordDocument stream"),
])
def test_ole_files_that_are_not_word_say_what_they_are(stream, says, builtin):
    e = _error(_rename_stream(SEED.read_bytes(), "WordDocument", stream))
    assert e.code == "legacy_doc" and says in e.message and "\n" not in e.message


def test_truncated_doc_is_legacy_doc(builtin):
    e = _error(SEED.read_bytes()[:20_000])
    assert e.code == "legacy_doc" and "truncated" in e.message


def test_encrypted_doc_says_so(builtin):
    def encrypt(wd):
        wd[0x0B] |= 0x01  # fEncrypted: bit 8 of the flags word at 0x0A

    e = _error(_rewrite_stream(SEED.read_bytes(), "WordDocument", encrypt))
    assert e.code == "legacy_doc" and "encrypted" in e.message


def test_word95_doc_says_so(builtin):
    def word95(wd):
        wd[2:4] = struct.pack("<H", 104)

    e = _error(_rewrite_stream(SEED.read_bytes(), "WordDocument", word95))
    assert e.code == "legacy_doc" and "Word 6.0/95" in e.message


def test_missing_table_stream_is_named(builtin):
    e = _error(_rename_stream(SEED.read_bytes(), "1Table", "2Table"))
    assert e.code == "legacy_doc" and "1Table" in e.message


def test_piece_table_claiming_a_billion_pieces_is_refused(builtin):
    data = SEED.read_bytes()
    wd = olefile.OleFileIO(io.BytesIO(data)).openstream("WordDocument").read()
    fc_clx = msdoc.parse_fib(wd).fc_clx

    def billion(table):
        i = fc_clx
        while table[i] == 0x01:  # skip the Prc blocks to the Pcdt
            i += 3 + struct.unpack_from("<H", table, i + 1)[0]
        assert table[i] == 0x02
        table[i + 1:i + 5] = struct.pack("<I", 4 + 12 * 1_000_000_000 & 0xFFFFFFFF)

    e = _error(_rewrite_stream(data, "1Table", billion))
    assert e.code == "legacy_doc" and "piece table" in e.message


def test_ole_junk_named_wps_is_legacy_doc(builtin):
    junk = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + bytes(range(256)) * 16
    e = _error(junk, "公文.wps")
    assert e.code == "legacy_doc" and "OLE compound file" in e.message


# ----------------------------------------------------------------------------- pieces


def test_fields_keep_their_result_and_drop_their_code():
    assert msdoc.visible_text('见\x13 HYPERLINK "http://x" \x14附件1\x15。\x01\r') == "见附件1。\r"
    assert msdoc.visible_text("a\x13 A \x13 B \x14b\x15 \x14r\x15z") == "arz"  # a field inside a field's code


def test_line_breaks_wrap_text():
    assert msdoc.clean_paragraph("各区县\x0b教育局") == "各区县教育局"


def test_table_rows_are_guessed_from_cell_marks_without_properties():
    text = "前言\ra\x07b\x07\x07c\x07d\x07\x07e\x07\x07\x07后记\r"  # e's row has an empty cell
    main = msdoc.MainText(text, [0], [msdoc.Piece(0, len(text), 0, True)])
    blocks, warnings = msdoc.build_blocks(main, msdoc.PapxIndex())
    assert [type(b) for b in blocks] == [Paragraph, Table, Paragraph]
    table = blocks[1]
    assert [[c.text for c in row] for row in table.header + table.rows] == [["a", "b"], ["c", "d"], ["e", ""]]
    assert warnings and "guessed" in warnings[0]


def test_pieces_out_of_order_are_refused():
    n = 2
    body = struct.pack("<3i", 0, 10, 5) + struct.pack("<HIH", 0, 0x40000000, 0) * n
    with pytest.raises(msdoc.MsDocError, match="out of order"):
        msdoc.parse_clx(b"\x02" + struct.pack("<I", len(body)) + body)


def test_hidden_runs_are_dropped():
    """001's DOCX hides Word's 窗体顶端 form markers (w:vanish); the .doc keeps
    them as text marked hidden (sprmCFVanish), which the reader drops."""
    ole = olefile.OleFileIO(io.BytesIO((FORMATS / "001_cbaf9ffe1ea5b1b9.doc").read_bytes()))
    wd = ole.openstream("WordDocument").read()
    fib = msdoc.parse_fib(wd)
    table = ole.openstream(fib.table_stream).read()
    main = msdoc.main_text(wd, msdoc.parse_clx(table[fib.fc_clx:fib.fc_clx + fib.lcb_clx]), fib.ccp_text)
    assert "窗体顶端" in main.text
    shown = msdoc.hide(main, msdoc.hidden_ranges(wd, table, fib))
    assert "窗体顶端" not in shown.text and len(shown.text) == len(main.text)
    assert shown.text.count("\r") == main.text.count("\r")


def test_a_table_over_the_cell_limit_is_too_large(monkeypatch):
    monkeypatch.setattr(msdoc, "MAX_TABLE_CELLS", 10)
    text = "x\x07\x07" * 50
    main = msdoc.MainText(text, [0], [msdoc.Piece(0, len(text), 0, True)])
    with pytest.raises(NoticeError) as info:
        msdoc.build_blocks(main, msdoc.PapxIndex())
    assert info.value.code == "too_large"
