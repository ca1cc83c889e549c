"""API: results of a bilan and the career ranking (read-only)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ai.matching import load_referential, rank
from bilans.assessments import selectors
from bilans.assessments import services
from bilans.assessments.models import Assessment, FeedbackInvitation, Result
from organisations.accounts.models import Role
from organisations.permissions import HasRole, ensure_can_manage_assessments


class ResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = Result
        fields = [
            "id", "bilan", "instrument_code", "instrument_version", "kind", "scores", "guided_work_seconds", "created_at",
            "destroyed_at", "destruction_reason",
        ]


class AssessmentSerializer(serializers.ModelSerializer):
    instrument_code = serializers.CharField(source="instrument.code", read_only=True)
    instrument_version = serializers.IntegerField(source="instrument.version", read_only=True)
    result_id = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id", "bilan", "instrument_code", "instrument_version", "status", "time_spent_seconds", "created_at", "submitted_at", "result_id",
            "destroyed_at",
        ]

    def get_result_id(self, obj) -> str | None:
        result = getattr(obj, "result", None) if obj.status == Assessment.Status.SUBMITTED else None
        return str(result.pk) if result else None


class AssignSerializer(serializers.Serializer):
    instrument = serializers.ChoiceField(choices=["riasec", "big_five", "values", "skills", "primo360"])


class BilanAssessmentsView(APIView):
    """Questionnaires of a bilan; POST gives one to the beneficiary (402 when outside the forfait)."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]

    @extend_schema(responses={200: AssessmentSerializer(many=True)})
    def get(self, request, bilan_id):
        bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
        return Response(AssessmentSerializer(selectors.bilan_assessments(bilan), many=True).data)

    @extend_schema(request=AssignSerializer, responses={201: AssessmentSerializer})
    def post(self, request, bilan_id):
        bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
        payload = AssignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        assessment = services.assessment_assign(bilan=bilan, instrument_code=payload.validated_data["instrument"], actor=request.user)
        return Response(AssessmentSerializer(assessment).data, status=201)


class BilanResultsView(APIView):
    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]

    @extend_schema(responses={200: ResultSerializer(many=True)})
    def get(self, request, bilan_id):
        bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
        return Response(ResultSerializer(bilan.assessment_results.order_by("-created_at"), many=True).data)


class ResultView(APIView):
    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]

    @extend_schema(responses={200: ResultSerializer})
    def get(self, request, pk):
        return Response(ResultSerializer(selectors.result_for(user=request.user, result_id=pk)).data)


class MatchingView(APIView):
    """Every métier ranked for the bilan's profile (first ``limit``), with breakdown and gap."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT)]

    @extend_schema(parameters=[OpenApiParameter("limit", int)], responses={200: dict})
    def get(self, request, bilan_id):
        bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
        ensure_can_manage_assessments(request.user, bilan)
        try:
            limit = max(1, min(int(request.query_params.get("limit", 20)), 1584))
        except ValueError:
            limit = 20
        profile, summary = selectors.matching_profile(bilan=bilan, constraints={})
        referential = load_referential()
        destruction = selectors.content_destruction(bilan)
        destroyed = destruction is not None and not (profile.skills or profile.riasec or profile.current_occupations)
        matches = [] if destroyed else rank(profile, referential, limit=limit)  # CT-09: nothing left to rank on
        return Response(
            {
                "profile": summary,
                "rome_version": referential.version,
                "source": f"Source : France Travail, ROME 4.0 (v{referential.version})",
                "results": [m.as_dict() for m in matches],
                "destroyed_at": destruction.destroyed_at if destruction else None,
            }
        )


class FeedbackInvitationSerializer(serializers.ModelSerializer):
    """One 360° invitation after the decision: never its link nor the link's hash."""

    bilan_id = serializers.UUIDField(source="campaign.bilan_id", read_only=True)

    class Meta:
        model = FeedbackInvitation
        fields = ["id", "campaign", "bilan_id", "email", "status", "sent_at", "decided_at", "rejection_reason"]
        read_only_fields = fields


class FeedbackDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Motif du refus, montré au bénéficiaire.")


class FeedbackInvitationDecisionView(APIView):
    """The bilan's consultant (or an administrator) approves an invitation the beneficiary made
    (its single-use link is e-mailed, never returned) or refuses it (optional reason). A decision
    is final: 409 ``invitation_already_decided``."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT)]

    @extend_schema(request=FeedbackDecisionSerializer, responses={200: FeedbackInvitationSerializer})
    def post(self, request, pk):
        invitation = selectors.feedback_invitation_for(user=request.user, invitation_id=pk)
        ensure_can_manage_assessments(request.user, invitation.campaign.bilan)
        payload = FeedbackDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if payload.validated_data["decision"] == "approve":
            invitation, _token = services.feedback_invitation_approve(invitation=invitation, actor=request.user)
        else:
            invitation = services.feedback_invitation_reject(invitation=invitation, actor=request.user, reason=payload.validated_data["reason"])
        return Response(FeedbackInvitationSerializer(invitation).data)
