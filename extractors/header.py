"""A notice's metadata: issuer, document number, title, recipients, issue date,
attachments, contacts, and the reference year for dates without one.

Everything is found in the document model's front matter (the blocks before the
body text), the signature block, and small form tables such as a telegram's
发电单位 / 密级 header; each finder is a small function of text lines.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

import regex

from extractors import vocab
from extractors.vocab import alternation

from extractors.dates import normalize
from extractors.info_block import is_info_line, is_no_value, labelled_fields
from extractors.units import UNIT_SUFFIX, _split_outside_brackets
from schemas.document import Document, Paragraph, Table
from schemas.records import DocNumber, NoticeMeta

FRONT_BLOCKS = 14  # the header of a notice fits in its first blocks (after any information block)

DOC_NUMBER = regex.compile(
    r"(?P<prefix>[\p{Han}]{1,15}?)?[ \t]*[〔\[［(（【](?P<year>(?:19|20)\d{2})[〕\]］)）】][ \t]*(?P<seq>\d{1,5})[ \t]*号"
)
_W = partial(vocab.words, "notice.toml")
ORG = regex.compile(r"^[\p{Han}（）()]{2,40}?" + alternation(_W("org_endings")) + "$")
TITLE_END = regex.compile(alternation(_W("title_endings")) + "$")
_DATE_LINE = regex.compile(
    r"^\s*(?:(?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})\s*年\s*[\d〇零一二三四五六七八九十]{1,3}\s*月"
    r"\s*[\d〇零一二三四五六七八九十]{1,3}\s*日\s*$"
)
_ATTACHMENT = regex.compile(r"^附\s*件\s*[：:]\s*(?P<rest>.+)$")
_NUMBERED = regex.compile(r"^\s*(\d{1,2})\s*[.．、]\s*(.+)$")
_CONTACT_NAME = regex.compile(r"联\s*系\s*人\s*[：:]\s*(?P<names>[^，,；;。）)\n]+)")
_PHONE_LABELS = _W("phone_labels")
_PHONE_FIELD = regex.compile(alternation(_PHONE_LABELS) + r"\s*[：:]\s*(?P<nums>[\d\-－—、，,（）()\s"
                             + regex.escape("".join(sorted(set("".join(_PHONE_LABELS))))) + "]+)")
_PHONE = regex.compile(r"(?<!\d)(?:0\d{2,3}[-－]?)?\d{7,8}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)")
_EMAIL = regex.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_YEAR = regex.compile(r"(?:19|20)\d{2}(?=\s*年)")
_SPACES = regex.compile(r"\s+")
_SECTION = regex.compile(r"^[一二三四五六七八九十]+、|^（")
_NAME_SEP = regex.compile(r"[、，,/\s]+")
_HAN = regex.compile(r"\p{Han}+")
_HEADS = _W("shared_suffix_heads")
_SHARED_ENDINGS = sorted(_W("shared_suffix_endings"), key=len, reverse=True)
_PLACE_START = regex.compile(r"^(?:中共|中国共产党)?[\p{Han}]{1,8}?(?:省|市|县|区|州|盟|旗|镇|乡|街道|地区|自治区)")
_TITLE_SUBJECT = regex.compile(r"^(?P<orgs>[\p{Han}（）()、 ]{3,120}?)(?=关于|印发|转发|(?:19|20)\d{2}年)")
_LABEL_PREFIX = regex.compile(r"^[【\[][^】\]]{1,8}[】\]]")
_PAGE_DATE_PREFIX = regex.compile(r"^\d{1,4}[.\-/]\d{1,2}(?:[.\-/]\d{1,2})?(?=\p{Han})")  # 05.24福建省…
_TRAILING_NUMBER = regex.compile(r"[（(][^（()）]{0,20}[〔\[［(（]\d{4}[〕\]］)）]\s*\d{1,5}\s*号[）)]$")
_TRAILING_BRACKET = regex.compile(r"[（(][^（()）]*[）)]$")
_RECIPIENTS_THEN_TEXT = regex.compile(r"^(?P<head>[^：:。]{2,150}?)[：:]\s*(?=[《“\p{Han}])(?P<rest>.{8,})$")
_SENTENCE_WORDS = regex.compile(alternation(_W("sentence_words")))
_CLOCK = regex.compile(r"\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?\s*$")
_ADDRESSEE_END = regex.compile("(?:" + UNIT_SUFFIX.pattern.rstrip("$") + "|" + alternation(_W("addressee_endings")) + ")$")


@dataclass
class Line:
    """A line of the front matter: a paragraph, or a cell of a small form table."""

    text: str
    block: int
    in_table: bool = False


_BULLETS = "●■◆◇□▪▶►•·★☆"
_SECTION_HEADING = regex.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.．、](?!\d)|第[一二三四五六七八九十\d]+[章条节部分])"
)
_CITED_BEFORE = regex.compile(r"根据|按照|依据|依照|转发|印发|《|》|[（(]\s*$")


def front_lines(doc: Document, skip: set[int] = frozenset(), limit: int = FRONT_BLOCKS) -> list[Line]:
    """The lines of the first blocks (not those of the information block)."""
    lines: list[Line] = []
    for i, block in enumerate(doc.blocks[:limit + len(skip)]):
        if i in skip:
            continue
        if isinstance(block, Paragraph):
            lines.append(Line(block.text.strip(_BULLETS + " "), i))
        elif isinstance(block, Table) and len(block.rows) + len(block.header) <= 4:
            for row in block.header + block.rows:
                for cell in row:
                    if cell is not None and cell.text:
                        lines.append(Line(cell.text, i, True))
    return lines


def paragraphs(doc: Document) -> list[tuple[int, Paragraph]]:
    return [(i, b) for i, b in enumerate(doc.blocks) if isinstance(b, Paragraph)]


# ----------------------------------------------------------------------------- the information block


INFO_FRONT, INFO_BACK = 30, 15  # where a portal puts it: above the notice, or below


def find_info_block(doc: Document) -> tuple[dict[str, tuple[str, str]], set[int]]:
    """field -> (label, value) from the portal's information block, and its blocks.
    A label without a value takes the next paragraph, if that holds no label."""
    fields: dict[str, tuple[str, str]] = {}
    used: set[int] = set()
    paras = paragraphs(doc)
    n = len(doc.blocks)
    for k, (i, p) in enumerate(paras):
        if INFO_FRONT <= i < n - INFO_BACK:
            continue
        pairs = labelled_fields(p.text)
        if not pairs or (len(pairs) == 1 and len(p.text) > 120):
            continue  # a sentence that happens to hold "名称：" is not the block
        used.add(i)
        for field, label, value in pairs:
            if not value and k + 1 < len(paras) and paras[k + 1][0] == i + 1:
                nxt = paras[k + 1][1].text
                if not labelled_fields(nxt) and len(nxt) <= 120:
                    value = nxt.strip()
                    used.add(i + 1)
            if value and field not in fields and not is_no_value(value):
                fields[field] = (label, value)
    return fields, used


# ----------------------------------------------------------------------------- finders


def _own_number(text: str) -> regex.Match | None:
    """A document number in the line that is the notice's own, not one it cites
    (根据…（云政发〔2023〕7号）文件精神)."""
    for m in DOC_NUMBER.finditer(text):
        before = text[: m.start()]
        if _CITED_BEFORE.search(before) or "文件" in text[m.end(): m.end() + 4] or "精神" in text:
            continue
        if len(text) > 40 and len(m.group(0)) < 0.5 * len(text):
            continue
        return m
    return None


def _doc_number(m: regex.Match) -> DocNumber:
    text = _SPACES.sub("", m.group(0))
    return DocNumber(text, m.group("prefix") or None, int(m.group("year")), int(m.group("seq")))


def find_doc_number(lines: list[Line]) -> tuple[DocNumber | None, int | None]:
    """The number standing alone in the front matter (not one cited in a sentence)."""
    for ln in lines:
        if "。" in ln.text:
            continue
        m = _own_number(ln.text)
        if m:
            return _doc_number(m), ln.block
    return None, None


def _is_org(text: str) -> bool:
    """An organisation's name; a bracketed second name is allowed (X局(Y局))."""
    t = _TRAILING_BRACKET.sub("", _SPACES.sub("", text))
    return bool(ORG.match(t)) and "关于" not in text


def split_orgs(text: str) -> list[str]:
    """Organisations written one after the other without a separator
    (中共永德县委办公室永德县人民政府办公室 -> two); [text] when it is one."""
    t = _SPACES.sub("", text)
    for cut in range(4, len(t) - 3):
        left, right = t[:cut], t[cut:]
        if _is_org(left) and _is_org(right) and _PLACE_START.match(right):
            return [left] + split_orgs(right)
    return [t]


def _leading_orgs(title: str) -> list[str]:
    """The organisations a title starts with: X市数据局关于…, X市数据局2025年…方案."""
    m = _TITLE_SUBJECT.match(title)
    if not m:
        return []
    orgs = [o for part in regex.split(r"[、和与 ]", m.group("orgs")) if part for o in split_orgs(part)]
    return orgs if orgs and all(_is_org(o) for o in orgs) else []


def _title_like(t: str) -> bool:
    return not _SECTION_HEADING.match(t) and "。" not in t and not t.rstrip().endswith(("：", ":"))


def _title_text(text: str) -> str:
    """A title line without what portals put around it: a leading document number
    (鲁政办字〔2015〕46号 山东省…), a column label (【活动公告】), the title repeated.
    Spaces go (layout puts them inside words), except one between joint issuers
    (青海省人民政府办公厅 甘肃省人民政府办公厅关于…)."""
    t = _SPACES.sub("", _joint_issuer_spaces(text))
    m = DOC_NUMBER.match(t)
    if m and len(t) > m.end() + 4:
        t = t[m.end():]
    t = _LABEL_PREFIX.sub("", _PAGE_DATE_PREFIX.sub("", t))
    t = _TRAILING_NUMBER.sub("", t)  # …的通知(岳办发〔2017〕2号)
    if t.startswith("《") and t.endswith("》") and t.count("《") == 1:
        t = t[1:-1]
    half = len(t) // 2
    if len(t) % 2 == 0 and t[:half] == t[half:]:
        t = t[:half]
    return t


_KEPT_SPACE = "\u2060"  # stands for a space between joint issuers while the other spaces go


def _joint_issuer_spaces(text: str) -> str:
    """The text with each space between the organisations before 关于 marked to stay."""
    head = text.split("关于")[0]
    pieces = _SPACES.split(head.strip())
    if len(pieces) < 2 or not all(_is_org(p) for p in pieces):
        return text
    return text.replace(head, _KEPT_SPACE.join(pieces), 1)


def find_title(lines: list[Line], before_block: int | None = None) -> tuple[str | None, list[int]]:
    """The title, joined across the lines it was broken into, starting with the
    issuer where the document shows the issuer right above or before 关于. It
    stands before the recipients line (`before_block`): what follows the
    signature is an attachment's heading. A section heading (三、活动安排) is never
    a title."""
    paras = [ln for ln in lines if not ln.in_table and (before_block is None or ln.block < before_block)]
    start = None
    for k, ln in enumerate(paras):
        t = ln.text
        if "关于" in t and len(t) <= 80 and _title_like(t) and not t.startswith(_W("not_title_starts")):
            start = k
            break
    if start is None:
        for k, ln in enumerate(paras):
            t = _title_text(ln.text)
            if TITLE_END.search(t) and len(t) <= 60 and _title_like(t) and not t.startswith("附件"):
                return t, [ln.block]
        return None, []
    parts = [paras[start]]
    k = start
    while not TITLE_END.search(_SPACES.sub("", "".join(p.text for p in parts))) and k + 1 < len(paras) and len(parts) < 4:
        nxt = paras[k + 1].text
        if len(nxt) > 40 or not _title_like(nxt) or DOC_NUMBER.search(nxt):
            break
        parts.append(paras[k + 1])
        k += 1
    if start > 0 and _is_org(paras[start - 1].text) and not _is_org(paras[start].text.split("关于")[0] or "x"):
        if paras[start - 1].block == paras[start].block - 1:
            parts.insert(0, paras[start - 1])
    title = _title_text("".join(p.text for p in parts)).replace(_KEPT_SPACE, " ")
    return title, [p.block for p in parts]


def find_recipients(lines: list[Line], after_block: int = -1) -> tuple[list[str], int | None]:
    """The 主送 line: addressees ending with a colon (a saved web page may run the
    first sentence on after it), before the body's first section."""
    for ln in lines:
        if ln.in_table or ln.block <= after_block:
            continue
        t = ln.text.strip()
        if _SECTION_HEADING.match(t):
            break  # the body has begun
        if _SECTION.match(t) or is_info_line(t):
            continue
        head = t.rstrip("：: ") if t.endswith(("：", ":")) else _RECIPIENTS_THEN_TEXT.match(t)
        if isinstance(head, regex.Match):
            head = head.group("head")
        if not head or len(head) > 150 or "。" in head or head.strip() in _FIELD_LABELS:
            continue  # 主办单位：中共X市委宣传部 (a portal's banner), 责任单位：… name no addressee
        names = split_recipients(head)
        if names and sum(_addressee_like(n) for n in names) >= 0.6 * len(names):
            return names, ln.block
    return [], None


def _addressee_like(name: str) -> bool:
    """An addressee, not a clause of a sentence (为进一步深化政务公开工作)."""
    core = regex.sub(r"[（(][^（()）]*[）)]$", "", name)  # 各镇政府(街道办事处), 区各委办局(公司)
    return ("各" in core or core.startswith("全") or bool(_ADDRESSEE_END.search(core)) or bool(_ZONE_END.search(core))) \
        and not _SENTENCE_WORDS.search(core)


def split_recipients(text: str) -> list[str]:
    """各县、区人民政府，市政府各委、办、局(中心)，中央、省驻市单位 ->
    [各县、区人民政府, 市政府各委、办、局(中心), 中央驻市单位, 省驻市单位]: a group
    that shares a prefix stays whole, bare levels before a shared suffix expand."""
    out: list[str] = []
    for part in _split_outside_brackets(text, "，,；;"):
        part = _SPACES.sub("", part).strip("、")
        if not part:
            continue
        pieces = [q for q in _split_outside_brackets(part, "、") if q]
        if len(pieces) == 1:
            out.append(part)
        elif _shared_suffix(pieces):
            out.extend(_shared_suffix(pieces))
        elif all((_whole_addressee(q) or _named_body(q, k == 0)) and not _BARE_INSTITUTION.match(q)
                 for k, q in enumerate(pieces)):  # 各县市区委、人民政府: a bare 人民政府 is the 各's too
            out.extend(pieces)
        else:
            out.append(part)
    return out


_BRACKETED = regex.compile(r"[（(][^）)]*[）)]")
_FIELD_LABELS = frozenset(word for key in ("lead_labels", "support_labels", "unit_labels")
                          for word in vocab.words("columns.toml", f"duties.{key}"))
_ZONE_END = regex.compile(alternation(_W("zone_endings")) + "$")
_BARE_INSTITUTION = regex.compile("^" + alternation(vocab.words("units.toml", "institutions")) + "$")


def _whole_addressee(piece: str) -> bool:
    return len(piece) >= 3 and bool(_ADDRESSEE_END.search(piece))


def _named_body(piece: str, first: bool) -> bool:
    """嘉鱼经济开发区, 高新园（邹区镇）: a body of its own name (not 局（中心）, not a bare
    人民政府, and not a first 各… whose 各 the next names share: 各开发区、景区管委会)."""
    return len(_BRACKETED.sub("", piece)) >= 3 and not _BARE_INSTITUTION.match(piece) \
        and not (first and piece.startswith("各"))


def _shared_suffix(pieces: list[str]) -> list[str] | None:
    """A suffix written once for several addressees expands: 中央、省驻市单位 -> 中央驻市单位,
    省驻市单位; 城北、城南街道办事处 -> 城北街道办事处, 城南街道办事处. Not where 各 is shared
    from the front (各县、区人民政府 stays one)."""
    *bare, last = pieces
    if pieces[0].startswith("各") and not last.startswith("各"):
        return None
    if all(q in _HEADS for q in bare):
        head = next((h for h in sorted(_HEADS, key=len, reverse=True) if last.startswith(h) and len(last) > len(h)), None)
        if head is not None:
            return [q + last[len(head):] for q in bare] + [last]
    suffix = next((x for x in _SHARED_ENDINGS if last.endswith(x) and len(last) > len(x)), None)
    if suffix and all(not _whole_addressee(q) and len(q) <= 24 for q in bare):
        return [q if q.endswith(suffix) else q + suffix for q in bare] + [last]
    return None


def find_signature(doc: Document) -> tuple[str | None, dt.date | None, int | None]:
    """(issuer, issue date, block of the date) from the first signature block: a
    date standing alone, with the issuing organisation(s) on the lines right above
    it (joint issuers one per line), or right below it."""
    paras = paragraphs(doc)
    for k, (i, p) in enumerate(paras):
        if not _DATE_LINE.match(p.text):
            continue
        span = normalize(p.text)
        if span.kind != "day":
            continue
        above: list[str] = []
        j = k - 1
        while j >= 0 and len(above) < 12 and paras[j][0] == i - (k - j) and _is_org(paras[j][1].text):
            above = split_orgs(paras[j][1].text) + above
            j -= 1
        if not above and k + 1 < len(paras) and paras[k + 1][0] == i + 1 and _is_org(paras[k + 1][1].text):
            above = split_orgs(paras[k + 1][1].text)  # the date above the issuer
        return ("、".join(above) or None), span.start, i
    return None, None, None


def find_issuer(doc: Document, lines: list[Line], title: str | None, signature_issuer: str | None,
                info_issuer: str | None = None) -> str | None:
    # a telegram names its sender in a form: 发电单位 | 丹东市人民政府办公室
    for k, ln in enumerate(lines):
        if ln.in_table and _SPACES.sub("", ln.text) in _W("sender_labels") and k + 1 < len(lines):
            candidate = _SPACES.sub("", lines[k + 1].text)
            if _is_org(candidate):
                return candidate
    if signature_issuer:
        return signature_issuer
    if info_issuer and _is_org(info_issuer):
        return _SPACES.sub("", info_issuer)
    if title and _leading_orgs(title):
        return "、".join(_leading_orgs(title))
    # the organisation signing at the end, without a date
    for _, p in reversed(paragraphs(doc)[:40]):
        if _is_org(p.text) and len(p.text) <= 30:
            return _SPACES.sub("", p.text)
    return None


def find_attachments(doc: Document) -> list[str]:
    out: list[str] = []
    paras = paragraphs(doc)
    for k, (_, p) in enumerate(paras):
        m = _ATTACHMENT.match(p.text)
        if not m:
            continue
        rest = m.group("rest").strip()
        n = _NUMBERED.match(rest)
        if n:  # 附件：1．xxx  2．xxx (one per line)
            out.append(n.group(2).strip())
            for _, q in paras[k + 1 : k + 10]:
                n2 = _NUMBERED.match(q.text)
                if not n2 or len(q.text) > 60:
                    break
                out.append(n2.group(2).strip())
        else:
            out.append(rest)
    seen: set[str] = set()
    return [a for a in out if not (a in seen or seen.add(a))]


def find_contacts(doc: Document) -> tuple[list[str], list[str], list[str]]:
    names: list[str] = []
    phones: list[str] = []
    emails: list[str] = []
    for _, p in paragraphs(doc):
        t = p.text
        for m in _CONTACT_NAME.finditer(t):
            for name in _NAME_SEP.split(m.group("names")):
                name = name.strip("；;。 ")
                if 2 <= len(name) <= 4 and _HAN.fullmatch(name) and name not in names:
                    names.append(name)
        for m in _PHONE_FIELD.finditer(t):
            for num in _PHONE.findall(m.group("nums")):
                if num not in phones:
                    phones.append(num)
        for e in _EMAIL.findall(t):
            if e not in emails:
                emails.append(e)
    return names, phones, emails


# ----------------------------------------------------------------------------- assembly


def extract_meta(doc: Document) -> tuple[NoticeMeta, set[int]]:
    """The notice's metadata, and the blocks it came from (not body text). The
    body's own title, number, signature and dates come first; a portal's
    information block fills what the body lacks."""
    info, used = find_info_block(doc)
    lines = front_lines(doc, used)
    meta = NoticeMeta()
    meta.doc_number, number_block = find_doc_number(lines)
    if number_block is not None:
        used.add(number_block)
    elif "doc_number" in info:
        m = DOC_NUMBER.search(info["doc_number"][1])
        meta.doc_number = _doc_number(m) if m else DocNumber(_SPACES.sub("", info["doc_number"][1]), None, None, None)
    meta.recipients, recipients_block = find_recipients(lines)
    meta.title, title_blocks = find_title(lines, recipients_block)
    used.update(title_blocks)
    if meta.title is None and "title" in info:
        meta.title = _title_text(info["title"][1])
    sig_issuer, meta.issue_date, date_block = find_signature(doc)
    if date_block is not None:
        used.add(date_block)
    meta.issuer = find_issuer(doc, lines, meta.title, sig_issuer, info.get("issuer", (None, None))[1])
    if meta.issue_date is None:
        meta.issue_date = _info_date(info, meta.warnings)
    if recipients_block is not None:
        used.add(recipients_block)
    meta.attachments = find_attachments(doc)
    meta.contact_names, meta.contact_phones, meta.contact_emails = find_contacts(doc)
    _reference_year(meta, doc)
    return meta, used


def _info_date(info: dict[str, tuple[str, str]], warnings: list[str]) -> dt.date | None:
    """The issue date from the information block: its 成文日期, else its 发布日期."""
    for field, why in (("written", "the issue date is the information block's {label}"),
                       ("published", "no 成文日期: the issue date is the publication date ({label})")):
        if field in info:
            label, value = info[field]
            span = normalize(_CLOCK.sub("", value))  # 2022-04-18 09:30:00: the day is what counts
            if span.kind == "day" and span.start:
                warnings.append(why.format(label=label))
                return span.start
    return None


def _reference_year(meta: NoticeMeta, doc: Document) -> None:
    if meta.issue_date:
        meta.year, meta.year_source = meta.issue_date.year, "issue_date"
        return
    if meta.doc_number and meta.doc_number.year:
        meta.year, meta.year_source = meta.doc_number.year, "doc_number"
    elif meta.title and _YEAR.search(meta.title):
        meta.year, meta.year_source = int(_YEAR.search(meta.title).group(0)), "title"
    else:
        for _, p in paragraphs(doc):
            m = _YEAR.search(p.text)
            if m:
                meta.year, meta.year_source = int(m.group(0)), "body"
                break
    if meta.year:
        meta.warnings.append(
            f"no issue date: dates without a year are read in {meta.year}, the year of the "
            f"{meta.year_source.replace('_', ' ')}; dates counted from the notice's date (本月底前, 下周五) stay unresolved"
        )
    else:
        meta.warnings.append("no issue date, document number or year in the title: dates without a year stay unresolved")
