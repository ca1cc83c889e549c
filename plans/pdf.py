"""Pro-forma PDF of an order paid by bank transfer (xhtml2pdf, fonts embedded like the other
PDFs of the project)."""
from __future__ import annotations

import io
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone

from plans import selectors
from plans.models import Order


def _font_dir() -> str:
    import reportlab

    return str(Path(reportlab.__file__).parent / "fonts")


def order_proforma_pdf(order: Order) -> bytes:
    from xhtml2pdf import pisa

    html = render_to_string(
        "plans/pdf/proforma.html",
        {
            "order": order,
            "amounts": selectors.order_amounts(order),
            "seller": selectors.platform_seller(),
            "today": timezone.localdate(),
            "font_dir": _font_dir(),
        },
    )
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if result.err:
        raise RuntimeError(f"xhtml2pdf reported {result.err} error(s)")
    return out.getvalue()
