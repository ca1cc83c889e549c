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


def sanitise_body(value: str) -> str:
    """The rich text a consultant may save: structure and emphasis, no script, style or media."""
    return nh3.clean(value or "", tags=BODY_TAGS, attributes=BODY_ATTRIBUTES, url_schemes={"http", "https", "mailto"}).strip()


def sanitise_template(value: str) -> str:
    """An organisation's template: body tags plus ``style`` limited to typographic properties."""
    attributes = {k: set(v) | {"style"} for k, v in BODY_ATTRIBUTES.items()}
    attributes["*"] = attributes.get("*", set()) | {"style"}
    tags = BODY_TAGS | {"h1", "section", "header", "footer"}
    return nh3.clean(
        value or "", tags=tags, attributes=attributes, url_schemes={"http", "https", "mailto"}, filter_style_properties=STYLE_PROPERTIES
    ).strip()


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
