"""Document bodies: sanitising, structured content → HTML, diff and change measurement.

Change against the AI draft (README, « Mesure des modifications ») is counted in words, markup
and white space ignored: ``changed = Σ max(deleted, inserted)`` over the differing runs of a
word-level diff, ``ratio = changed / words of the AI draft``.
- none: the words are identical (0 credit);
- minor: ratio ≤ MINOR_MAX_RATIO (20 %) (5 credits);
- major: ratio > 20 % (15 credits).
"""
from __future__ import annotations

import html as html_lib
import re
from difflib import SequenceMatcher
from functools import partial
from html.parser import HTMLParser

import nh3
from django.utils.html import escape

MINOR_MAX_RATIO = 0.20

BODY_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "blockquote", "hr",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "span", "div", "sup", "sub", "a",
}
BODY_ATTRIBUTES = {"a": {"href"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}, "*": {"class"}}
STYLE_PROPERTIES = {
    "color", "background-color", "font-size", "font-weight", "font-style", "text-align", "text-decoration",
    "margin", "margin-top", "margin-bottom", "margin-left", "margin-right", "padding", "border", "border-bottom",
    "border-top", "width", "line-height", "font-family",
}
# An organisation template's {{ variables }} that insert HTML (kept out of tables, see below).
_HTML_VARIABLE = re.compile(r"\{\{\s*(contenu|graphiques|signatures)\s*\}\}")

# --- what the PDF renderer can lay out -------------------------------------------------------
# xhtml2pdf crashes on a negative span or width, lays out for minutes with a colspan of 100 000,
# exhausts its recursion on deep nesting, and fails when a box is taller than a page or a table
# cell narrower than its padding. So the sanitiser keeps only values within these bounds (an
# attribute or declaration out of bounds is dropped, the text always stays):
MAX_SPAN = {"colspan": 20, "rowspan": 100}  # positive integers only
MAX_DEPTH = 24  # deeper elements are unwrapped (table parts and list items follow their container)
MAX_COLUMNS = 20  # a wider table, or a table inside a table, becomes one line per row
HORIZONTAL_BUDGET_PT = 120  # templates: margins, paddings and borders summed along the ancestors
# Classes of the PDF layout (templates/documents/pdf/layout.html) a body or a template may use;
# « confidential » and « mention-ia » draw a box (border, padding), which xhtml2pdf cannot nest
# around blocks (it truncates, then crashes): a template keeps one box level, a body none.
BODY_CLASSES = {"lead", "meta", "actions"}
TEMPLATE_CLASSES = BODY_CLASSES | {"confidential", "mention-ia", "chart-text"}
_BOX_CLASSES = {"confidential", "mention-ia"}
_BOX_PROPERTIES = {"padding", "border", "border-top", "border-bottom", "background-color"}
TABLE_SCOPES = {"row", "col", "rowgroup", "colgroup"}
VOID_TAGS = {"br", "hr"}
_HEADINGS = {"h1", "h2", "h3", "h4"}
_BLOCK_TAGS = {
    "p", "div", "section", "header", "footer", "blockquote", "ul", "ol", "li", "hr",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
} | _HEADINGS
_CONTAINED_TAGS = {"thead", "tbody", "tr", "th", "td", "caption", "li"}
_TABLE_SECTIONS = {"thead", "tbody"}
_CELLS = {"td", "th"}


def _span(attribute: str, value: str) -> str | None:
    match = re.fullmatch(r"\s*\+?([0-9]{1,6})\s*", value or "")
    if match is None:
        return None
    number = int(match.group(1))
    return str(number) if 1 <= number <= MAX_SPAN[attribute] else None


_POINTS = {"pt": 1.0, "px": 0.75, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pc": 12.0}
_LENGTH = re.compile(r"(-?(?:[0-9]{1,4}(?:\.[0-9]{1,3})?|\.[0-9]{1,3}))(pt|px|mm|cm|in|pc|%)?")
_COLOUR = re.compile(r"#[0-9a-f]{3}|#[0-9a-f]{6}|[a-z]{3,20}|rgb\(\s*[0-9]{1,3}\s*,\s*[0-9]{1,3}\s*,\s*[0-9]{1,3}\s*\)")
_FONT_NAME = re.compile(r"""(['"]?)[a-z0-9][a-z0-9 \-]{0,40}\1""")
_KEYWORDS = {
    "font-size": {"xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large"},
    "font-weight": {"normal", "bold", "bolder", "lighter", "100", "200", "300", "400", "500", "600", "700", "800", "900"},
    "font-style": {"normal", "italic", "oblique"},
    "text-align": {"left", "right", "center", "justify"},
}
_DECORATIONS = {"none", "underline", "line-through", "overline"}
_BORDER_STYLES = {"none", "hidden", "solid", "dashed", "dotted", "double"}
_BORDER_WIDTHS = {"thin": 1.0, "medium": 3.0}
_SPACING = {"margin", "margin-top", "margin-bottom", "margin-left", "margin-right", "padding"}


def _points(token: str, *, maximum: float, minimum: float = 0.0, percent: tuple[float, float] | None = None) -> float | None:
    """The size in points of an absolute length (or 0) within [minimum, maximum], or of a
    percentage within ``percent`` (returned as 0); None when out of bounds."""
    match = _LENGTH.fullmatch(token)
    if match is None:
        return None
    number, unit = float(match.group(1)), match.group(2)
    if unit is None:
        return 0.0 if number == 0 and minimum <= 0 else None
    if unit == "%":
        return 0.0 if percent is not None and percent[0] <= number <= percent[1] else None
    size = number * _POINTS[unit]
    return size if minimum <= size <= maximum else None


def _colour(value: str) -> bool:
    return _COLOUR.fullmatch(value) is not None


def _border_ok(token: str) -> bool:
    return token in _BORDER_WIDTHS or token in _BORDER_STYLES or _colour(token) or _points(token, maximum=3) is not None


def _style_value_ok(tag: str, prop: str, value: str) -> bool:
    tokens = value.split()
    if not tokens or len(value) > 100:
        return False
    if prop in ("color", "background-color"):
        return len(tokens) == 1 and _colour(value)
    if prop in _KEYWORDS and value in _KEYWORDS[prop]:
        return True
    if prop == "font-size":  # absolute units only: relative sizes compound through nesting
        return len(tokens) == 1 and _points(value, minimum=4, maximum=72) is not None
    if prop == "line-height":
        if value == "normal":
            return True
        if re.fullmatch(r"[0-9](?:\.[0-9]{1,2})?", value):
            return 0.8 <= float(value) <= 3
        if re.fullmatch(r"[0-9]{2,3}%", value):
            return 80 <= int(value[:-1]) <= 300
        return len(tokens) == 1 and _points(value, minimum=4, maximum=72) is not None
    if prop in _SPACING:
        if tag in _CELLS and prop != "padding":  # a cell has no margin
            return False
        limit = 6 if tag in _CELLS else 100  # twenty columns must still fit across the page
        count = 4 if prop in ("margin", "padding") else 1
        return len(tokens) <= count and all(
            (token == "auto" and prop.startswith("margin")) or _points(token, maximum=limit) is not None for token in tokens
        )
    if prop == "width":  # a cell's width can starve its neighbours: tables only, and wide enough
        return tag == "table" and len(tokens) == 1 and _points(value, minimum=250, maximum=500, percent=(50, 100)) is not None
    if prop in ("border", "border-top", "border-bottom"):
        return len(tokens) <= 3 and all(_border_ok(token) for token in tokens)
    if prop == "text-decoration":
        return len(tokens) <= 2 and all(token in _DECORATIONS for token in tokens)
    if prop == "font-family":
        return all(_FONT_NAME.fullmatch(name.strip()) for name in value.split(","))
    return False


def _style(tag: str, value: str) -> str | None:
    """Keep the allowed typographic declarations whose value the PDF renderer can lay out."""
    kept = []
    for declaration in (value or "").split(";"):
        prop, colon, val = declaration.partition(":")
        prop, val = prop.strip().lower(), " ".join(val.lower().split())
        if colon and prop in STYLE_PROPERTIES and _style_value_ok(tag, prop, val):
            kept.append(f"{prop}:{val}")
    return ";".join(kept) or None


def _attribute_filter(tag: str, attribute: str, value: str, *, classes: set[str] = BODY_CLASSES) -> str | None:
    if attribute == "class":
        kept = [name for name in (value or "").split() if name in classes]
        return " ".join(dict.fromkeys(kept)) or None
    if attribute in MAX_SPAN:
        return _span(attribute, value)
    if attribute == "scope":
        scope = (value or "").strip().lower()
        return scope if scope in TABLE_SCOPES else None
    if attribute == "style":
        return _style(tag, value)
    return value


def _horizontal_points(prop: str, value: str) -> float:
    """Width taken on the left and right by one validated spacing or border declaration."""
    if prop in ("margin-left", "margin-right"):
        return 0.0 if value == "auto" else _points(value, maximum=100) or 0.0
    if prop in ("margin", "padding"):
        tokens = value.split()
        sides = {1: (0, 0), 2: (1, 1), 3: (1, 1), 4: (1, 3)}[len(tokens)]
        return sum(0.0 if tokens[i] == "auto" else _points(tokens[i], maximum=100) or 0.0 for i in sides)
    if prop == "border":
        widths = [_BORDER_WIDTHS.get(token, _points(token, maximum=3)) for token in value.split()]
        widths = [w for w in widths if w is not None]
        return 2 * (widths[0] if widths else _BORDER_WIDTHS["medium"])
    return 0.0


# --- the tree pass: depth, tables, horizontal budget ------------------------------------------
class _Node:
    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag: str, attrs: list[tuple[str, str | None]]):
        self.tag, self.attrs, self.children = tag, attrs, []


class _TreeBuilder(HTMLParser):
    """Builds the tree of sanitised (well-formed) HTML, unwrapping the elements nested deeper
    than MAX_DEPTH as it reads them, so the tree it returns is shallow whatever the input."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.root = _Node("", [])
        self.open: list[tuple[str, _Node | None]] = []  # (tag, node or None when unwrapped)

    def _parent(self) -> _Node:
        return next((node for _, node in reversed(self.open) if node is not None), self.root)

    def handle_starttag(self, tag, attrs):
        if tag in VOID_TAGS:
            self._parent().children.append(_Node(tag, attrs))
            return
        parent_kept = self.open[-1][1] is not None if self.open else True
        keep = parent_kept and (tag in _CONTAINED_TAGS or len(self.open) < MAX_DEPTH)
        node = _Node(tag, attrs) if keep else None
        if node is not None:
            self._parent().children.append(node)
        self.open.append((tag, node))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID_TAGS or not any(name == tag for name, _ in self.open):
            return
        while self.open:
            name, node = self.open.pop()
            if node is None:
                self._space()
            if name == tag:
                break

    def _space(self) -> None:
        """An unwrapped block must not glue the words on either side."""
        children = self._parent().children
        if children and not (isinstance(children[-1], str) and children[-1][-1:].isspace()):
            children.append(" ")

    def handle_data(self, data):
        self._parent().children.append(data)

    def handle_entityref(self, name):
        self._parent().children.append(f"&{name};")

    def handle_charref(self, name):
        self._parent().children.append(f"&#{name};")


def _rows(table: _Node) -> list[_Node]:
    rows = []
    for child in table.children:
        if isinstance(child, _Node) and child.tag == "tr":
            rows.append(child)
        elif isinstance(child, _Node) and child.tag in _TABLE_SECTIONS:
            rows += [row for row in child.children if isinstance(row, _Node) and row.tag == "tr"]
    return rows


def _attr(node: _Node, name: str) -> str | None:
    return next((value for key, value in node.attrs if key == name), None)


def _columns_exceed(table: _Node, limit: int) -> bool:
    """Whether the table's grid (spans included) is wider than ``limit`` columns."""
    carry: list[int] = []  # rows still covered by a rowspan, per column
    for row in _rows(table):
        column = 0
        for cell in row.children:
            if not isinstance(cell, _Node) or cell.tag not in _CELLS:
                continue
            while column < len(carry) and carry[column] > 0:
                column += 1
            colspan, rowspan = int(_attr(cell, "colspan") or 1), int(_attr(cell, "rowspan") or 1)
            if column + colspan > limit:
                return True
            carry += [0] * (column + colspan - len(carry))
            for index in range(column, column + colspan):
                carry[index] = max(carry[index], rowspan)
            column += colspan
        carry = [max(count - 1, 0) for count in carry]
    return False


def _text_contains(node: _Node, pattern: re.Pattern) -> bool:
    return any(pattern.search(child) if isinstance(child, str) else _text_contains(child, pattern) for child in node.children)


def _flatten_table(table: _Node) -> list:
    """A table the renderer cannot lay out becomes one block per row, cells separated."""
    blocks: list = []
    for child in table.children:
        if isinstance(child, _Node) and child.tag == "caption":
            block = _Node("div", [])
            block.children = child.children
            blocks.append(block)
    for row in _rows(table):
        block = _Node("div", [])
        for cell in row.children:
            if isinstance(cell, _Node) and cell.tag in _CELLS:
                if block.children:
                    block.children.append(" – ")
                block.children += cell.children
        blocks.append(block)
    return blocks


def _declarations(node: _Node) -> list[tuple[str, str]]:
    style = _attr(node, "style") or ""
    return [(prop, value) for prop, _, value in (item.partition(":") for item in style.split(";") if item)]


def _set_attr(node: _Node, name: str, value: str | None) -> None:
    node.attrs = [(key, old) for key, old in node.attrs if key != name] + ([(name, value)] if value else [])


def _drop_declarations(node: _Node, props: set[str]) -> None:
    _set_attr(node, "style", ";".join(f"{prop}:{value}" for prop, value in _declarations(node) if prop not in props))


def _spend(node: _Node, budget: float) -> float:
    """Drop the horizontal spacing that would exceed what the ancestors left; return the rest."""
    used = sum(_horizontal_points(prop, value) for prop, value in _declarations(node))
    if used > budget:
        _drop_declarations(node, _SPACING | {"border"})
        return budget
    return budget - used


def _is_box(node: _Node) -> bool:
    """A block drawing a box (border, padding, background) around what it holds."""
    classes = set((_attr(node, "class") or "").split())
    return bool(classes & _BOX_CLASSES) or any(prop in _BOX_PROPERTIES for prop, _ in _declarations(node))


def _unbox(node: _Node) -> None:
    _set_attr(node, "class", " ".join(name for name in (_attr(node, "class") or "").split() if name not in _BOX_CLASSES))
    _drop_declarations(node, _BOX_PROPERTIES)


def _fit(node: _Node, *, template: bool, in_table: bool = False, in_heading: bool = False, boxed: bool = False,
         budget: float = HORIZONTAL_BUDGET_PT) -> None:
    """Make the (shallow) tree something xhtml2pdf lays out: no table inside a table or wider than
    MAX_COLUMNS, headings holding text only, and in a template one box level and a bounded
    horizontal spacing along any path."""
    if template and node.tag:
        budget = _spend(node, budget)
        if node.tag in _BLOCK_TAGS - {"td", "th"} and _is_box(node):
            if boxed:
                _unbox(node)
            boxed = True
    if node.tag in ("td", "th"):  # a cell is laid out on its own, never split across pages
        boxed = False
    children: list = []
    pending = node.children[::-1]  # a stack: the next child last
    while pending:
        child = pending.pop()
        if not isinstance(child, _Node):
            children.append(child)
            continue
        if child.tag == "table" and (
            in_table or in_heading or _columns_exceed(child, MAX_COLUMNS) or (template and _text_contains(child, _HTML_VARIABLE))
        ):
            pending += _flatten_table(child)[::-1]
            continue
        if in_heading and child.tag in _BLOCK_TAGS:
            pending += [" ", *child.children][::-1]
            continue
        _fit(
            child, template=template, in_table=in_table or child.tag == "table", in_heading=in_heading or child.tag in _HEADINGS,
            boxed=boxed, budget=budget,
        )
        children.append(child)
    node.children = children


def _serialise(node: _Node, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, str):
            out.append(child)
            continue
        attrs = "".join(f' {key}="{escape(value or "")}"' for key, value in child.attrs)
        out.append(f"<{child.tag}{attrs}>")
        if child.tag not in VOID_TAGS:
            _serialise(child, out)
            out.append(f"</{child.tag}>")


def _fit_layout(value: str, *, template: bool = False) -> str:
    builder = _TreeBuilder()
    builder.feed(value)
    builder.close()
    _fit(builder.root, template=template)
    out: list[str] = []
    _serialise(builder.root, out)
    return "".join(out)


# The largest body a consultant may save, in characters of HTML (text and markup), checked before
# sanitising: nh3 and the layout pass take seconds on a deeply nested input of a few hundred
# thousand characters. The largest generated document measured (a synthèse of a heavy bilan:
# 40 sessions, 100 competences, 10 options with long rationales) is about 21 000 characters, and
# an external model's answer is bounded by its output tokens (about 64 000 characters for 16 000
# tokens): 150 000 leaves room for the consultant's additions while keeping the worst save
# (deep nesting right at the bound) to a few seconds.
CONTENT_HTML_MAX_CHARS = 150_000


def content_too_long_message(length: int) -> str:
    def spaced(n: int) -> str:
        return f"{n:,}".replace(",", "\u202f")

    return (
        f"Le document est trop long : {spaced(length)} caractères (mise en forme comprise), pour {spaced(CONTENT_HTML_MAX_CHARS)} au plus. "
        "Raccourcissez-le ou retirez la mise en forme inutile (par exemple un texte collé depuis un traitement de texte) ; "
        "la version précédente est conservée."
    )


def sanitise_body(value: str) -> str:
    """The rich text a consultant may save: structure and emphasis, no script, style or media,
    and only what the PDF renderer can lay out."""
    clean = nh3.clean(
        value or "", tags=BODY_TAGS, attributes=BODY_ATTRIBUTES, attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto"},
    )
    return _fit_layout(clean).strip()


def sanitise_template(value: str) -> str:
    """An organisation's template: body tags plus ``style`` limited to typographic properties
    with values the PDF renderer can lay out."""
    attributes = {k: set(v) | {"style"} for k, v in BODY_ATTRIBUTES.items()}
    attributes["*"] = attributes.get("*", set()) | {"style"}
    tags = BODY_TAGS | {"h1", "section", "header", "footer"}
    clean = nh3.clean(
        value or "", tags=tags, attributes=attributes, attribute_filter=partial(_attribute_filter, classes=TEMPLATE_CLASSES),
        url_schemes={"http", "https", "mailto"}, filter_style_properties=STYLE_PROPERTIES,
    )
    return _fit_layout(clean, template=True).strip()


# --- structured content → HTML ------------------------------------------------------------------
def _p(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def structured_to_html(content: dict) -> str:
    parts: list[str] = []
    if content.get("summary"):
        parts.append(f'<p class="lead"><strong>{escape(content["summary"])}</strong></p>')
    for section in content.get("sections") or []:
        parts.append(f"<h2>{escape(section.get('heading', ''))}</h2>")
        parts += [_p(p) for p in section.get("paragraphs") or []]
        bullets = section.get("bullets") or []
        if bullets:
            parts.append("<ul>" + "".join(f"<li>{escape(b)}</li>" for b in bullets) + "</ul>")
    if content.get("steps"):
        parts.append("<h2>Principales étapes du projet</h2>")
        parts.append("<ol>" + "".join(f"<li>{escape(s)}</li>" for s in content["steps"]) + "</ol>")
    if content.get("options"):
        parts.append("<h2>Pistes professionnelles</h2>")
        for option in content["options"]:
            title = escape(option.get("title", ""))
            if option.get("code_rome"):
                title += f" <span>(ROME {escape(option['code_rome'])})</span>"
            if option.get("fit") is not None:
                title += f" – adéquation {round(float(option['fit']))} %"
            parts.append(f"<h3>{title}</h3>")
            if option.get("rationale"):
                parts.append(_p(option["rationale"]))
            if option.get("next_steps"):
                parts.append("<ul>" + "".join(f"<li>{escape(s)}</li>" for s in option["next_steps"]) + "</ul>")
    if content.get("actions"):
        parts.append("<h2>Actions</h2>")
        rows = "".join(
            "<tr>" + "".join(f"<td>{escape(a.get(k, ''))}</td>" for k in ("action", "owner", "resources", "deadline", "indicator")) + "</tr>"
            for a in content["actions"]
        )
        parts.append(
            '<table class="actions"><thead><tr><th scope="col">Action</th><th scope="col">Responsable</th>'
            '<th scope="col">Ressources</th><th scope="col">Échéance</th><th scope="col">Indicateur</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    if content.get("questions"):
        parts.append("<h2>Questions</h2><ol>")
        for q in content["questions"]:
            item = escape(q.get("question", ""))
            if q.get("kind") == "text":
                item += "<br>………………………………………………………………………………"
            elif q.get("choices"):
                item += "<br>" + " ".join(f"☐ {escape(c)}" for c in q["choices"])
            parts.append(f"<li>{item}</li>")
        parts.append("</ol>")
    return sanitise_body("\n".join(parts))


# --- words, diff, change ---------------------------------------------------------------------
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|tr|div|blockquote|table|ul|ol)>|<br\s*/?>", re.IGNORECASE)


def text_of(value: str) -> str:
    """Plain text of a body, one line per block."""
    marked = _BLOCK_END.sub(lambda m: m.group(0) + "\n", value or "")
    marked = marked.replace("<", " <")
    plain = html_lib.unescape(nh3.clean(marked, tags=set()))
    lines = [" ".join(line.split()) for line in plain.split("\n")]
    return "\n".join(line for line in lines if line)


def tokens(value: str) -> list[str]:
    return re.findall(r"\n|[^\s]+", text_of(value))


def words(value: str) -> list[str]:
    return [t for t in tokens(value) if t != "\n"]


def measure_change(ai_html: str, final_html: str) -> tuple[str, float]:
    """(``none`` | ``minor`` | ``major``, ratio of changed words) between the AI draft and the
    validated body."""
    a, b = words(ai_html), words(final_html)
    if a == b:
        return "none", 0.0
    changed = sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if tag != "equal"
    )
    ratio = changed / max(len(a), 1)
    return ("minor" if ratio <= MINOR_MAX_RATIO else "major"), round(ratio, 4)


def diff_html(old_html: str, new_html: str) -> tuple[str, dict]:
    """An HTML rendering of the word-level diff (``<del>``/``<ins>``) and counts."""
    a, b = tokens(old_html), tokens(new_html)
    out: list[str] = []
    inserted = deleted = 0

    def emit(items: list[str], wrap: str | None) -> None:
        text = " ".join(escape(t) for t in items if t != "\n")
        pieces = []
        for t in items:
            if t == "\n":
                pieces.append("<br>")
            else:
                pieces.append(escape(t))
        rendered = " ".join(pieces).replace(" <br> ", "<br>").replace("<br> ", "<br>").replace(" <br>", "<br>")
        if wrap and text:
            label = "ajouté" if wrap == "ins" else "supprimé"
            rendered = f'<{wrap} title="{label}">{rendered}</{wrap}>'
        out.append(rendered)

    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            emit(a[i1:i2], None)
        else:
            if i2 > i1:
                deleted += sum(1 for t in a[i1:i2] if t != "\n")
                emit(a[i1:i2], "del")
            if j2 > j1:
                inserted += sum(1 for t in b[j1:j2] if t != "\n")
                emit(b[j1:j2], "ins")
    return " ".join(out), {"inserted": inserted, "deleted": deleted}


# --- French typography ---------------------------------------------------------------------
NBSP = "\u00a0"
_TAG_SPLIT = re.compile(r"(<[^>]+>)")


def french_typography(value: str) -> str:
    """Non-breaking spaces before « : ; ! ? » and inside guillemets, typographic apostrophes,
    applied to text only (never inside tags)."""
    parts = _TAG_SPLIT.split(value or "")
    for index, part in enumerate(parts):
        if not part or part.startswith("<"):
            continue
        part = re.sub(r"[ \t]+([:;!?»])", NBSP + r"\1", part)
        part = re.sub(r"«[ \t]+", "«" + NBSP, part)
        part = re.sub(r"(\w)'(\w)", r"\1’\2", part)
        parts[index] = part
    return "".join(parts)
