"""Broken and unusual files: a typed error with a stable code, or correct text."""
from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter

import pytest

from bad_inputs import CORPUS, GB18030_ONLY, SEED_TXT
from extractors.readers import read_document
from schemas.errors import NoticeError


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    return {name: gen(folder / name) for name, (gen, _) in CORPUS.items()}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_outcome(corpus, name):
    expected = CORPUS[name][1]
    path = corpus[name]
    if expected == "ok":
        doc = read_document(path)
        assert len(list(doc.paragraphs())) > 5
        return
    with pytest.raises(NoticeError) as info:
        read_document(path)
    err = info.value
    assert err.code == expected
    assert str(path) in str(err)  # the message names the file
    assert "\n" not in err.message  # one line


@pytest.mark.parametrize("name", ["gbk.txt", "gb18030.txt", "utf16_bom.txt", "utf8_bom.txt"])
def test_encodings_give_the_same_text_as_utf8(corpus, name):
    expected = read_document(SEED_TXT).text()
    doc = read_document(corpus[name])
    if name == "gb18030.txt":  # the one file with characters beyond GBK
        expected += "\n" + GB18030_ONLY.strip()
    assert doc.text() == expected
    assert next(doc.tables()).row_texts(0) == ["1", "市发展改革委", "4月7日"]


def test_a_pdf_named_file_that_is_a_docx_is_read_as_docx(corpus):
    doc = read_document(corpus["really_a_docx.pdf"])
    assert doc.format == "docx"
    assert any("docx" in w and ".pdf" in w for w in doc.warnings)


def test_owner_password_pdf_is_read(corpus):
    doc = read_document(corpus["owner_password_only.pdf"])
    assert "2022年3月14日" in doc.text()


def test_absurd_tables_are_refused_with_too_large(tmp_path, monkeypatch):
    import extractors.readers.tables as tables

    monkeypatch.setattr(tables, "MAX_TABLE_CELLS", 50)
    rows = "\n".join("\t".join(f"{r}{c}市教育局" for c in range(10)) for r in range(20))
    (tmp_path / "t.txt").write_text("附件\n" + rows + "\n", encoding="utf-8")
    with pytest.raises(NoticeError) as info:
        read_document(tmp_path / "t.txt")
    assert info.value.code == "too_large" and "cell limit" in info.value.message


def test_huge_cells_are_cut(tmp_path):
    from extractors.readers.tables import MAX_CELL_CHARS

    (tmp_path / "t.txt").write_text("序号\t单位\n1\t" + "局" * (MAX_CELL_CHARS * 2) + "\n2\t市教育局\n", encoding="utf-8")
    table = next(read_document(tmp_path / "t.txt").tables())
    assert len(table.rows[0][1].text) == MAX_CELL_CHARS


def test_every_generated_file_has_bytes_of_its_own(tmp_path):
    """Two generated files with the same bytes would be one notice, and the
    second's expected outcome would silently become "skipped" (as legacy.doc and
    kingsoft.wps were on a machine without LibreOffice)."""
    from bad_inputs import write_folder_corpus

    files = [p for p in write_folder_corpus(tmp_path) if p.is_file() and not p.is_symlink() and os.access(p, os.R_OK)
             and stat.S_ISREG(p.stat().st_mode)]
    digests = Counter(hashlib.sha256(p.read_bytes()).hexdigest() for p in files)
    assert len(files) > 20 and max(digests.values()) == 1


def test_legacy_files_without_libreoffice(corpus, monkeypatch):
    monkeypatch.setenv("NOTICES_SOFFICE", "none")
    doc = read_document(corpus["legacy.doc"])
    assert any("built-in Word 97-2003 reader" in w for w in doc.warnings) and len(list(doc.tables())) == 1
    with pytest.raises(NoticeError) as info:
        read_document(corpus["kingsoft.wps"])
    assert info.value.code == "legacy_doc" and "not a readable OLE compound file" in info.value.message
