"""PDF rendering (xhtml2pdf) of billing documents, the quality index and the BPF. Fonts are
embedded (Bitstream Vera shipped with reportlab) as PDF/A requires."""
from __future__ import annotations

import io
from pathlib import Path

from django.template.loader import render_to_string


def font_dir() -> str:
    import reportlab

    return str(Path(reportlab.__file__).parent / "fonts")


def html_to_pdf(html: str) -> bytes:
    from xhtml2pdf import pisa

    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if result.err:
        raise RuntimeError(f"xhtml2pdf reported {result.err} error(s)")
    return out.getvalue()


def render_pdf(template: str, context: dict) -> bytes:
    from organisations.profile.selectors import pdf_branding

    return html_to_pdf(render_to_string(template, {"branding": pdf_branding(), **context, "font_dir": font_dir()}))
