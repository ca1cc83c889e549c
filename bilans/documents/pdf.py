"""HTML → PDF with xhtml2pdf (run it in a worker: xhtml2pdf renders one document at a time per
process). Header, footer with legal mentions and « Page X / Y », A4, French typography."""
from __future__ import annotations

import io
import time

from django.template.loader import render_to_string

from bilans.documents.content import french_typography


class PdfRenderError(RuntimeError):
    pass


def html_to_pdf(html: str) -> tuple[bytes, int, int]:
    """(pdf bytes, page count, milliseconds)."""
    from pypdf import PdfReader
    from xhtml2pdf import pisa

    started = time.perf_counter()
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if result.err:
        raise PdfRenderError(f"xhtml2pdf reported {result.err} error(s)")
    data = out.getvalue()
    pages = len(PdfReader(io.BytesIO(data)).pages)
    return data, pages, int((time.perf_counter() - started) * 1000)


def layout_html(*, body_html: str, branding: dict, title: str) -> str:
    """The fixed page layout (header, footer, styles) around a rendered template."""
    return render_to_string("documents/pdf/layout.html", {"body": french_typography(body_html), "branding": branding, "title": title})
