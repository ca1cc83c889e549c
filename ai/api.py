"""API of the ROME referential (members of an organisation)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ai.search import occupation_search
from ai.selectors import occupation_sheet, rome_credit
from organisations.accounts.models import Role
from organisations.permissions import HasRole

MEMBERS = HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)


class SearchHitSerializer(serializers.Serializer):
    code_rome = serializers.CharField()
    occupation_label = serializers.CharField()
    job_title = serializers.CharField()
    job_title_code = serializers.IntegerField()
    is_principal = serializers.BooleanField()
    score = serializers.FloatField()


class SearchResponseSerializer(serializers.Serializer):
    results = SearchHitSerializer(many=True)
    source = serializers.CharField()


class OccupationSearchView(APIView):
    """Métiers by appellation: accent- and case-insensitive, tolerant to typos."""

    permission_classes = [IsAuthenticated, MEMBERS]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True), OpenApiParameter("limit", int), OpenApiParameter("all", bool)],
        responses={200: SearchResponseSerializer},
    )
    def get(self, request):
        try:
            limit = int(request.query_params.get("limit", 20))
        except ValueError:
            limit = 20
        hits = occupation_search(
            request.query_params.get("q", ""), limit=limit, per_occupation=request.query_params.get("all") not in ("1", "true")
        )
        return Response({"results": SearchHitSerializer(hits, many=True).data, "source": rome_credit()})


class OccupationDetailView(APIView):
    """A fiche métier: definition, access, competences, contexts, close métiers, sectors, RIASEC."""

    permission_classes = [IsAuthenticated, MEMBERS]

    @extend_schema(responses={200: dict})
    def get(self, request, code):
        sheet = occupation_sheet(code)
        o = sheet.occupation
        return Response(
            {
                "code_rome": o.code_rome,
                "label": o.label,
                "definition": o.definition,
                "access": o.access,
                "riasec": o.riasec_code,
                "executive": o.executive,
                "regulated": o.regulated,
                "transitions": {"eco": o.transition_eco, "num": o.transition_num, "demo": o.transition_demo},
                "domain": {"code": o.domain_id, "label": o.domain.label if o.domain else ""},
                "job_titles": [{"code_ogr": t.code_ogr, "label": t.label, "principal": t.is_principal} for t in sheet.job_titles],
                "competences": [
                    {"category": category, "subcategory": sub, "items": [{"code_ogr": s.code_ogr, "label": s.label} for s in skills]}
                    for category, groups in sheet.skills_by_category
                    for sub, skills in groups
                ],
                "knowledge": [
                    {"category": category, "items": [{"code_ogr": k.code_ogr, "label": k.label} for k in items]}
                    for category, items in sheet.knowledge_by_category
                ],
                "contexts": [{"type": t, "items": [c.label for c in items]} for t, items in sheet.contexts_by_type],
                "mobility": [{"code_rome": m.target_id, "label": m.target.label, "rank": m.rank} for m in sheet.mobilities],
                "sectors": [{"code": s.sector_id, "label": s.sector.label, "principal": s.principal} for s in sheet.sectors],
                "source": sheet.credit,
            }
        )
