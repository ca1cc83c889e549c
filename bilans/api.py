from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bilans.models import MAX_BILAN_MINUTES, Beneficiary
from bilans.selectors import beneficiary_get, beneficiary_list
from bilans.services import beneficiary_create
from config.errors import InvalidInput
from organisations.accounts.models import Role, User
from organisations.permissions import HasRole


class BeneficiarySerializer(serializers.ModelSerializer):
    # null while no consultant is assigned (the OpenAPI schema says so)
    consultant_id = serializers.PrimaryKeyRelatedField(source="consultant", read_only=True, allow_null=True)
    has_account = serializers.SerializerMethodField()

    class Meta:
        model = Beneficiary
        fields = ["id", "first_name", "last_name", "email", "phone", "consultant_id", "has_account", "created_at"]
        read_only_fields = ["id", "consultant_id", "has_account", "created_at"]

    def get_has_account(self, obj) -> bool:
        return obj.user_id is not None


class BeneficiaryCreateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    consultant_id = serializers.IntegerField(required=False, allow_null=True)


class BeneficiaryListCreateView(generics.ListCreateAPIView):
    """Beneficiaries the caller may see: all for an administrator, assigned ones for a consultant."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT)]
    serializer_class = BeneficiarySerializer

    def get_queryset(self):
        return beneficiary_list(user=self.request.user, search=self.request.query_params.get("q", ""))

    @extend_schema(request=BeneficiaryCreateSerializer, responses={201: BeneficiarySerializer})
    def post(self, request, *args, **kwargs):
        payload = BeneficiaryCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        consultant = None
        if data.get("consultant_id"):
            consultant = User.objects.filter(pk=data["consultant_id"], role=Role.CONSULTANT).first()
            if consultant is None:
                raise InvalidInput("Consultant inconnu.", code="invalid_consultant")
        beneficiary = beneficiary_create(
            actor=request.user,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data.get("phone", ""),
            consultant=consultant,
        )
        return Response(BeneficiarySerializer(beneficiary).data, status=status.HTTP_201_CREATED)


class BeneficiaryDetailView(generics.RetrieveAPIView):
    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]
    serializer_class = BeneficiarySerializer

    def get_object(self):
        return beneficiary_get(user=self.request.user, beneficiary_id=self.kwargs["pk"])


# --- bilans ---------------------------------------------------------------------------------------
from bilans import selectors as bilan_selectors  # noqa: E402
from bilans import services as bilan_services  # noqa: E402
from bilans.models import Bilan, Session  # noqa: E402


class BilanSerializer(serializers.ModelSerializer):
    beneficiary_id = serializers.UUIDField(read_only=True)
    beneficiary_name = serializers.CharField(source="beneficiary.full_name", read_only=True)
    consultant_id = serializers.IntegerField(read_only=True, allow_null=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Bilan
        fields = ["id", "beneficiary_id", "beneficiary_name", "consultant_id", "status", "status_label", "forfait_code",
                  "planned_start", "planned_end", "created_at"]
        read_only_fields = fields


class ObjectiveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    achieved = serializers.BooleanField(allow_null=True)


class SessionSerializer(serializers.ModelSerializer):
    is_mandatory_interview = serializers.BooleanField(read_only=True)
    # One séance lasts 24 h at most (CT-02; bilans.services.session_plan checks it for every caller).
    duration_minutes = serializers.IntegerField(min_value=1, max_value=MAX_BILAN_MINUTES)

    class Meta:
        model = Session
        fields = ["id", "kind", "interview_type", "modality", "starts_at", "duration_minutes", "attendance",
                  "beneficiary_confirmed_at", "is_mandatory_interview"]
        read_only_fields = ["id", "attendance", "beneficiary_confirmed_at", "is_mandatory_interview"]


class BilanDetailSerializer(BilanSerializer):
    hours = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    objectives = serializers.SerializerMethodField()
    funding = serializers.SerializerMethodField()

    class Meta(BilanSerializer.Meta):
        fields = BilanSerializer.Meta.fields + ["abandon_reason", "close_reason", "started_at", "ended_at", "follow_up_due_on",
                                                "information_delivered_at", "synthesis_delivered_at", "hours", "progress", "objectives", "funding"]
        read_only_fields = fields

    def get_hours(self, obj) -> dict:
        return bilan_selectors.bilan_hours(obj).as_dict()

    def get_progress(self, obj) -> dict:
        progress = bilan_selectors.bilan_progress(obj)
        return {"percent": progress["percent"], "next_status": progress["next_status"], "next_steps": progress["next_steps"]}

    def get_objectives(self, obj) -> list:
        return [{"id": o.pk, "text": o.text, "achieved": o.achieved} for o in obj.objectives.all()]

    def get_funding(self, obj) -> list:
        return [{"kind": f.kind, "amount_cents": f.amount_cents, "funder_name": f.funder_name} for f in obj.funding_sources.all()]


class BilanCreateSerializer(serializers.Serializer):
    beneficiary_id = serializers.UUIDField()
    consultant_id = serializers.IntegerField(required=False, allow_null=True)
    planned_start = serializers.DateField(required=False, allow_null=True)
    planned_end = serializers.DateField(required=False, allow_null=True)


class BilanListCreateView(generics.ListCreateAPIView):
    """Bilans the caller may see (administrator: all; consultant: theirs), newest first.
    Filter with ``?status=``."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT)]
    serializer_class = BilanSerializer

    def get_queryset(self):
        return bilan_selectors.bilan_list(user=self.request.user, status=self.request.query_params.get("status", ""))

    @extend_schema(request=BilanCreateSerializer, responses={201: BilanDetailSerializer})
    def post(self, request, *args, **kwargs):
        payload = BilanCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        beneficiary = beneficiary_get(user=request.user, beneficiary_id=data["beneficiary_id"])
        consultant = None
        if data.get("consultant_id"):
            consultant = User.objects.filter(pk=data["consultant_id"], role=Role.CONSULTANT).first()
            if consultant is None:
                raise InvalidInput("Consultant inconnu.", code="invalid_consultant")
        bilan = bilan_services.bilan_create(actor=request.user, beneficiary=beneficiary, consultant=consultant,
                                            planned_start=data.get("planned_start"), planned_end=data.get("planned_end"))
        return Response(BilanDetailSerializer(bilan).data, status=status.HTTP_201_CREATED)


class BilanDetailView(generics.RetrieveAPIView):
    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]
    serializer_class = BilanDetailSerializer

    def get_object(self):
        return bilan_selectors.bilan_get(user=self.request.user, bilan_id=self.kwargs["pk"])


class TransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Bilan.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BilanTransitionView(generics.GenericAPIView):
    """Move the bilan to another phase; refused transitions answer 409 with ``blockers``."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT)]
    serializer_class = TransitionSerializer

    @extend_schema(request=TransitionSerializer, responses={200: BilanDetailSerializer})
    def post(self, request, pk):
        bilan = bilan_selectors.bilan_get(user=request.user, bilan_id=pk)
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        bilan = bilan_services.bilan_transition(actor=request.user, bilan=bilan, **payload.validated_data)
        return Response(BilanDetailSerializer(bilan).data)


class BilanSessionsView(generics.ListCreateAPIView):
    """Sessions of a bilan; creating one goes through the 24-hour cap (409 hours_cap_exceeded)."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]
    serializer_class = SessionSerializer
    pagination_class = None

    def get_queryset(self):
        bilan = bilan_selectors.bilan_get(user=self.request.user, bilan_id=self.kwargs["pk"])
        return bilan.sessions.all()

    def create(self, request, *args, **kwargs):
        bilan = bilan_selectors.bilan_get(user=request.user, bilan_id=kwargs["pk"])
        payload = SessionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        from bilans.scheduling.services import bilan_session_schedule

        session = bilan_session_schedule(actor=request.user, bilan=bilan, **payload.validated_data)
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


# --- appointments -------------------------------------------------------------------------------
from bilans.scheduling import services as scheduling_services  # noqa: E402
from bilans.scheduling.models import Appointment  # noqa: E402
from bilans.scheduling.selectors import appointment_list  # noqa: E402


class AppointmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appointment
        fields = ["id", "consultant_id", "beneficiary_id", "bilan_id", "starts_at", "ends_at", "modality", "location", "visio_url", "status", "interview_type"]
        read_only_fields = fields

    interview_type = serializers.CharField(source="session.interview_type", default="", read_only=True)
    # empty for an appointment in person or by phone: a plain string, not a "uri" that "" would violate
    visio_url = serializers.CharField(read_only=True, allow_blank=True)


class AppointmentCreateSerializer(serializers.Serializer):
    beneficiary_id = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(required=False, min_value=15, max_value=480)
    modality = serializers.ChoiceField(choices=Appointment.Modality.choices, default=Appointment.Modality.VIDEO)
    location = serializers.CharField(required=False, allow_blank=True, default="")
    interview_type = serializers.ChoiceField(choices=[("", "Séance libre"), *Session.InterviewType.choices], required=False, allow_blank=True, default="")


class AppointmentListCreateView(generics.ListCreateAPIView):
    """Upcoming appointments the caller may see; booking answers 409 slot_taken on overlap."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]
    serializer_class = AppointmentSerializer

    def get_queryset(self):
        return appointment_list(user=self.request.user, upcoming_only=True)

    @extend_schema(request=AppointmentCreateSerializer, responses={201: AppointmentSerializer})
    def post(self, request, *args, **kwargs):
        payload = AppointmentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        beneficiary = beneficiary_get(user=request.user, beneficiary_id=data.pop("beneficiary_id"))
        appointment = scheduling_services.appointment_book(actor=request.user, beneficiary=beneficiary, **data)
        return Response(AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)


class AppointmentCancelView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]
    serializer_class = AppointmentSerializer

    @extend_schema(request=None, responses={200: AppointmentSerializer})
    def post(self, request, pk):
        appointment = appointment_list(user=request.user).filter(pk=pk).first()
        if appointment is None:
            from config.errors import NotFound

            raise NotFound("Rendez-vous introuvable.")
        appointment = scheduling_services.appointment_cancel(actor=request.user, appointment=appointment)
        return Response(AppointmentSerializer(appointment).data)


# --- third parties' secure links (CT-07) and working-file retention (CT-09 b) --------------------
from bilans.forms import RetentionForm  # noqa: E402
from bilans.models import BilanFile, ThirdPartyAccess  # noqa: E402


class ThirdPartyAccessSerializer(serializers.ModelSerializer):
    """A link sent to a third party: never its token nor the token's hash."""

    status = serializers.CharField(source="current_state", read_only=True)
    status_label = serializers.CharField(source="state_label", read_only=True)
    # empty while the link is still valid
    end_reason = serializers.ChoiceField(choices=ThirdPartyAccess.EndReason.choices, read_only=True, allow_blank=True)

    class Meta:
        model = ThirdPartyAccess
        fields = ["id", "recipient_kind", "recipient_name", "recipient_email", "status", "status_label", "created_at", "expires_at",
                  "revoked_at", "end_reason", "open_count", "last_opened_at"]
        read_only_fields = fields


class ThirdPartyAccessCreateSerializer(serializers.Serializer):
    recipient_email = serializers.EmailField()


def _third_party_access_out(bilan, access_id) -> dict:
    """One link as the bilan's listing shows it (state and label from the selector)."""
    access = next(a for a in bilan_selectors.third_party_accesses(bilan) if a.pk == access_id)
    return ThirdPartyAccessSerializer(access).data


class BilanThirdPartyAccessesView(generics.GenericAPIView):
    """CT-07: the secure links sent for a bilan, newest first (the bilan's consultant, an
    administrator, the beneficiary). POST sends one to a recipient the beneficiary agreed to
    share with (consultant or administrator); without that agreement: 403 ``sharing_not_agreed``,
    nothing sent. The link goes by e-mail only."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]
    serializer_class = ThirdPartyAccessSerializer
    pagination_class = None

    @extend_schema(responses={200: ThirdPartyAccessSerializer(many=True)})
    def get(self, request, pk):
        bilan = bilan_selectors.bilan_get(user=request.user, bilan_id=pk)
        return Response(ThirdPartyAccessSerializer(bilan_selectors.third_party_accesses(bilan), many=True).data)

    @extend_schema(request=ThirdPartyAccessCreateSerializer, responses={201: ThirdPartyAccessSerializer})
    def post(self, request, pk):
        bilan = bilan_selectors.bilan_get(user=request.user, bilan_id=pk)
        payload = ThirdPartyAccessCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        access = bilan_services.third_party_access_grant(actor=request.user, bilan=bilan, recipient_email=payload.validated_data["recipient_email"])
        return Response(_third_party_access_out(bilan, access.pk), status=status.HTTP_201_CREATED)


class ThirdPartyAccessRevokeView(generics.GenericAPIView):
    """The link stops working at once (the bilan's consultant, an administrator, the
    beneficiary). Revoking an ended link changes nothing."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)]
    serializer_class = ThirdPartyAccessSerializer

    @extend_schema(request=None, responses={200: ThirdPartyAccessSerializer})
    def post(self, request, pk, access_pk):
        from config.errors import NotFound

        bilan = bilan_selectors.bilan_get(user=request.user, bilan_id=pk)
        access = ThirdPartyAccess.objects.filter(pk=access_pk, bilan=bilan).first()
        if access is None:
            raise NotFound("Lien de partage introuvable.", code="third_party_access_not_found")
        access = bilan_services.third_party_access_revoke(actor=request.user, access=access)
        return Response(_third_party_access_out(bilan, access.pk))


class BilanFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = BilanFile
        fields = ["id", "bilan_id", "title", "kind", "filename", "shared_with_beneficiary_at", "retention_agreed_at", "retained_until",
                  "retention_method", "retention_agreement_reference", "retention_agreement_date", "retention_follow_up_need", "destroyed_at"]
        read_only_fields = fields

    bilan_id = serializers.UUIDField(read_only=True)


class RetentionAgreementSerializer(serializers.Serializer):
    """The fields of the consultant's HTML form (``bilans.forms.RetentionForm``)."""

    keep_until = serializers.DateField()
    method = serializers.ChoiceField(choices=RetentionForm.base_fields["method"].choices)
    agreement_reference = serializers.CharField(max_length=200)
    agreement_date = serializers.DateField()
    follow_up_need = serializers.CharField(max_length=2000)


class BilanFileRetentionView(generics.GenericAPIView):
    """CT-09 (b): record the beneficiary's written agreement to keep a working document after
    the bilan, for their follow-up (3 years at most after its end). The bilan's consultant or an
    administrator; refusals answer 400 with the service's code (e.g. ``retention_too_long``)."""

    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN, Role.CONSULTANT)]
    serializer_class = RetentionAgreementSerializer

    @extend_schema(request=RetentionAgreementSerializer, responses={200: BilanFileSerializer})
    def post(self, request, pk, file_pk):
        from config.errors import NotFound

        bilan = bilan_selectors.bilan_get(user=request.user, bilan_id=pk)
        record = BilanFile.objects.filter(pk=file_pk, bilan=bilan).first()
        if record is None:
            raise NotFound("Document introuvable.", code="bilan_file_not_found")
        payload = RetentionAgreementSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = bilan_services.bilan_file_agree_retention(actor=request.user, record=record, **payload.validated_data)
        return Response(BilanFileSerializer(record).data)
