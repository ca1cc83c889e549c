from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from plans import stripe_gateway


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's webhook endpoint: 400 on a bad signature (nothing stored), 200 once stored and
    processed (also for a replay, which changes nothing)."""
    try:
        event = stripe_gateway.webhook_receive(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except ApplicationError as error:
        return JsonResponse(error.as_payload(), status=error.status)
    return JsonResponse({"received": event.event_id, "outcome": event.outcome})
