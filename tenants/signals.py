from django.core.cache import caches
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.middleware import tenant_cache_key
from tenants.models import Domain, Organisation


@receiver([post_save, post_delete], sender=Organisation)
def evict_organisation_routes(sender, instance, **kwargs):
    for domain in Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True):
        caches["routing"].delete(tenant_cache_key(domain))


@receiver([post_save, post_delete], sender=Domain)
def evict_domain_route(sender, instance, **kwargs):
    caches["routing"].delete(tenant_cache_key(instance.domain))
