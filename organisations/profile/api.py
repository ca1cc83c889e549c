"""The organisation's profile and branding over the API (administrators). Same services, same
checks and French messages as the pages; errors as {"code", "detail"} (+ "errors" per field)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import InvalidInput
from organisations.accounts.models import Role
from organisations.permissions import HasRole
from organisations.profile import selectors, services


class ProfileSerializer(serializers.Serializer):
    siret = serializers.CharField(required=False, allow_blank=True)
    activity_declaration_number = serializers.CharField(required=False, allow_blank=True)
    activity_declaration_region = serializers.CharField(required=False, allow_blank=True)
    vat_exempt = serializers.BooleanField(required=False)
    vat_exemption_mention = serializers.CharField(required=False, allow_blank=True)
    qualiopi_certificate_number = serializers.CharField(required=False, allow_blank=True)
    qualiopi_certified_on = serializers.DateField(required=False, allow_null=True)
    qualiopi_certifier = serializers.CharField(required=False, allow_blank=True)
    qualiopi_expires_on = serializers.DateField(required=False, allow_null=True)
    legal_representative = serializers.CharField(required=False, allow_blank=True)
    legal_representative_title = serializers.CharField(required=False, allow_blank=True)
    legal_form = serializers.CharField(required=False, allow_blank=True)
    share_capital = serializers.CharField(required=False, allow_blank=True)
    address_line = serializers.CharField(required=False, allow_blank=True)
    postcode = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    vat_number = serializers.CharField(required=False, allow_blank=True)
    iban = serializers.CharField(required=False, allow_blank=True)
    bic = serializers.CharField(required=False, allow_blank=True)
    invoicing_ready = serializers.BooleanField(read_only=True)
    missing = serializers.ListField(child=serializers.CharField(), read_only=True)


def _profile_data() -> dict:
    from bilans.billing.services import identity_missing

    organisation = selectors.current_organisation()
    billing = selectors.billing_settings()
    data = {name: getattr(organisation, name) for name in services.ORGANISATION_FIELDS}
    data.update({name: getattr(billing, name) for name in services.BILLING_FIELDS})
    missing = identity_missing(organisation, billing)
    data.update(invoicing_ready=not missing, missing=missing)
    return ProfileSerializer(data).data


class ProfileView(APIView):
    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN)]

    @extend_schema(responses=ProfileSerializer, summary="Profil légal et bancaire de l'organisme")
    def get(self, request):
        return Response(_profile_data())

    @extend_schema(request=ProfileSerializer, responses=ProfileSerializer, summary="Modifier le profil de l'organisme")
    def patch(self, request):
        serializer = ProfileSerializer(data=request.data, partial=True)
        if not serializer.is_valid():
            raise InvalidInput("Données invalides.", code="invalid", extra={"errors": serializer.errors})
        services.organisation_profile_update(actor=request.user, **serializer.validated_data)
        return Response(_profile_data())


class BrandingSerializer(serializers.Serializer):
    brand_colour = serializers.CharField(required=False, allow_blank=True, max_length=7)
    branding_allowed = serializers.BooleanField(read_only=True)
    logo_url = serializers.CharField(read_only=True)


def _branding_data() -> dict:
    organisation = selectors.current_organisation()
    return {"brand_colour": organisation.brand_colour, "branding_allowed": organisation.branding_allowed, "logo_url": selectors.logo_path()}


class BrandingView(APIView):
    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN)]

    @extend_schema(responses=BrandingSerializer, summary="Couleur et logo de l'organisme")
    def get(self, request):
        return Response(_branding_data())

    @extend_schema(request=BrandingSerializer, responses=BrandingSerializer, summary="Changer la couleur de l'organisme (403 branding_not_in_plan selon la formule)")
    def patch(self, request):
        serializer = BrandingSerializer(data=request.data, partial=True)
        if not serializer.is_valid():
            raise InvalidInput("Données invalides.", code="invalid", extra={"errors": serializer.errors})
        if "brand_colour" in serializer.validated_data:
            services.organisation_branding_update(actor=request.user, brand_colour=serializer.validated_data["brand_colour"])
        return Response(_branding_data())
