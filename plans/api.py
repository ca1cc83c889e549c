"""Credits API on an organisation's subdomain (/api/v1/credits/...)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import NotFound
from organisations.accounts.models import Role
from organisations.permissions import HasRole, beneficiaries_visible_to
from plans import selectors, services
from plans.models import LedgerEntry


class EntrySerializer(serializers.ModelSerializer):
    debit = serializers.CharField(source="debit_account.kind", read_only=True)
    credit = serializers.CharField(source="credit_account.kind", read_only=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id", "created_at", "kind", "amount", "debit", "credit", "bilan_id", "action_code", "quantity", "unit_credits",
            "actor_email", "reason", "idempotency_key",
        ]
        read_only_fields = fields


class BalanceView(APIView):
    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN)]

    @extend_schema(summary="Solde du portefeuille et abonnement", responses={200: dict})
    def get(self, request):
        organisation = request.tenant
        wallet = services.account_get(organisation, "wallet")
        subscription = services.subscription_get(organisation)
        return Response(
            {
                "wallet": {"balance": wallet.balance, "available": selectors.available_balance(wallet)},
                "subscription": {
                    "plan": subscription.plan.code,
                    "status": subscription.status,
                    "trial_ends_at": subscription.trial_ends_at,
                    "current_period_end": subscription.current_period_end,
                    "monthly_credits": subscription.plan.monthly_credits,
                },
            }
        )


class EntryListView(generics.ListAPIView):
    """The organisation's ledger entries, newest first (filters: type, action, bilan, du, au)."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN)]
    serializer_class = EntrySerializer

    def get_queryset(self):
        from plans.forms import HistoryFilterForm

        form = HistoryFilterForm(self.request.query_params or None)
        data = form.cleaned_data if form.is_valid() else {}
        return selectors.entry_list(
            self.request.tenant,
            kind=data.get("type") or "",
            action_code=data.get("action") or "",
            bilan_id=data.get("bilan"),
            date_from=data.get("du"),
            date_to=data.get("au"),
        )


class ForecastRequest(serializers.Serializer):
    planned_action_codes = serializers.ListField(child=serializers.CharField(max_length=60), required=False)


class BilanCreditsView(APIView):
    """A bilan's budget and forecast. GET: the forfait's remaining typical steps; POST with
    ``planned_action_codes``: the forecast of those steps."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT)]

    def _check(self, request, bilan_id):
        visible = beneficiaries_visible_to(request.user).filter(bilans__id=bilan_id).exists()
        if not visible:
            raise NotFound("Bilan introuvable.", code="bilan_not_found")

    def _answer(self, request, bilan_id, planned):
        organisation = request.tenant
        forecast = services.credits_forecast(organisation=organisation, bilan_id=bilan_id, planned_action_codes=planned)
        forecast["bilan_id"] = str(bilan_id)
        forecast["valid_until"] = forecast["valid_until"].isoformat() if forecast["valid_until"] else None
        return Response(forecast)

    @extend_schema(summary="Budget et prévision d'un bilan", responses={200: dict})
    def get(self, request, bilan_id):
        self._check(request, bilan_id)
        planned = selectors.planned_actions_remaining(organisation=request.tenant, bilan_id=bilan_id)
        return self._answer(request, bilan_id, planned)

    @extend_schema(summary="Prévision d'étapes choisies", request=ForecastRequest, responses={200: dict})
    def post(self, request, bilan_id):
        self._check(request, bilan_id)
        payload = ForecastRequest(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(request, bilan_id, payload.validated_data.get("planned_action_codes") or [])


class TariffView(APIView):
    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT)]

    @extend_schema(summary="Barème et forfaits", responses={200: dict})
    def get(self, request):
        return Response(
            {
                "tariff": [{"code": t.code, "label": t.label, "category": t.category, "credits": t.credits, "per_hour": t.per_hour} for t in selectors.tariff_list()],
                "forfaits": [
                    {"code": f.code, "name": f.name, "credits": f.credits, "validity_months": f.validity_months, "features": f.features}
                    for f in selectors.forfait_list()
                ],
            }
        )
