"""French labels of the credit codes shown to people: barème actions, forfaits, ledger entry
kinds and account kinds. Codes stay in the database, the API and the CSV export's code columns;
screens show these labels (template filter ``credit_label`` in ``plans.templatetags.credits``).

Barème and forfait names are data (staff edit them): they are read from the tables, once per
request at most; the fixed labels below cover codes that are no longer in the barème."""
from __future__ import annotations

from plans.models import CreditAccount, CreditLot, ForfaitType, LedgerEntry, Order, TariffItem

# Codes retired from the barème or never in it, still present in old ledger entries.
RETIRED_ACTIONS = {
    "ai_documentary_research": "Recherche documentaire ciblée (IA)",
    "ai_action_plan_update": "Mise à jour du plan d'action (IA)",
    "documents_personalised": "Documents personnalisés",
    "dedicated_consultant": "Consultant dédié",
    "projects_alternative": "Un projet alternatif",
    "projects_multiple": "Projets multiples",
}


def action_labels() -> dict[str, str]:
    """Every action or forfait code → its French label."""
    labels = dict(RETIRED_ACTIONS)
    labels.update({code: f"Forfait {name}" for code, name in ForfaitType.objects.values_list("code", "name")})
    labels.update(dict(TariffItem.objects.values_list("code", "label")))
    return labels


def action_label(code: str, labels: dict[str, str] | None = None) -> str:
    """The label of an action code; an unknown code is shown as a readable phrase, never as the
    raw identifier."""
    if not code:
        return ""
    labels = labels if labels is not None else action_labels()
    if code in labels:
        return labels[code]
    return code.replace("_", " ").replace(".", " ").replace("-", " ").strip().capitalize()


KIND_LABELS = {
    "entry": dict(LedgerEntry.Kind.choices),
    "account": dict(CreditAccount.Kind.choices),
    "lot": dict(CreditLot.Source.choices),
    "order_kind": dict(Order.Kind.choices),
    "order_status": dict(Order.Status.choices),
}
