"""Everything the organisation holds about one beneficiary, found through the relations of the
tenant apps' models (so that new models of the bilan apps are covered without a list to keep in
sync): rows pointing at the beneficiary or their bilans, then rows pointing at those, etc."""
from __future__ import annotations

from django.apps import apps
from django.db import models

TENANT_LABELS = ("bilans", "documents", "scheduling", "messaging", "assessments", "billing", "quality")
# Models of other tenant apps that hold a beneficiary's data: the requests sent from the public page.
EXTRA_MODELS = ("organisations.contactrequest",)
MAX_DEPTH = 4


def tenant_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label in TENANT_LABELS or m._meta.label_lower in EXTRA_MODELS]


def related_querysets(beneficiary) -> list[tuple[int, type[models.Model], models.QuerySet]]:
    """(depth, model, queryset) of every row linked to the beneficiary, breadth first."""
    from bilans.models import Beneficiary

    found: dict[type[models.Model], set] = {Beneficiary: {beneficiary.pk}}
    order: list[tuple[int, type[models.Model]]] = [(0, Beneficiary)]
    frontier = {Beneficiary}
    for depth in range(1, MAX_DEPTH + 1):
        new_frontier = set()
        for model in tenant_models():
            for field in model._meta.concrete_fields:
                if not field.is_relation or field.related_model not in frontier:
                    continue
                if model is field.related_model:
                    continue
                pks = set(model.objects.filter(**{f"{field.name}__in": found[field.related_model]}).values_list("pk", flat=True))
                pks -= found.get(model, set())
                if not pks:
                    continue
                if model not in found:
                    order.append((depth, model))
                found.setdefault(model, set()).update(pks)
                new_frontier.add(model)
        if not new_frontier:
            break
        frontier = new_frontier
    return [(depth, model, model.objects.filter(pk__in=found[model])) for depth, model in order]
