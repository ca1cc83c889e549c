from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from organisations.accounts.models import Role, User
from organisations.permissions import HasRole
from organisations.selectors import member_list


class UserSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "full_name", "role", "is_active", "date_joined"]
        read_only_fields = fields


class CurrentUserView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserSerializer, summary="Utilisateur connecté")
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class UserListView(generics.ListAPIView):
    """Members of the organisation (administrators only)."""

    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated, HasRole.of(Role.ADMIN)]

    def get_queryset(self):
        return member_list(role=self.request.query_params.get("role", ""))
