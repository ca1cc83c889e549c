import factory
from factory.django import DjangoModelFactory

from bilans.models import Beneficiary


class BeneficiaryFactory(DjangoModelFactory):
    class Meta:
        model = Beneficiary

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"beneficiaire{n}@exemple.test")
