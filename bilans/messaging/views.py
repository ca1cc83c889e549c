from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from bilans.messaging import services
from bilans.messaging.models import Attachment, Thread
from bilans.models import Beneficiary
from config.errors import ApplicationError
from organisations.accounts.models import Role
from organisations.permissions import ensure_can_view_thread, role_required

participants_only = role_required(Role.CONSULTANT, Role.BENEFICIARY)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class MessageForm(forms.Form):
    body = forms.CharField(label="Votre message", widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=services.MAX_MESSAGE_LENGTH)
    files = MultipleFileField(label="Pièces jointes", required=False,
                            help_text="5 fichiers au plus : PDF, PNG, JPEG, TXT, ODT, DOCX ou XLSX, 10 Mo chacun.")


class ThreadForm(MessageForm):
    subject = forms.CharField(label="Objet", max_length=200)
    beneficiary = forms.ModelChoiceField(label="Bénéficiaire", queryset=Beneficiary.objects.none(), required=False)

    field_order = ["beneficiary", "subject", "body", "files"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.role == Role.CONSULTANT:
            self.fields["beneficiary"].queryset = Beneficiary.objects.filter(consultant=user)
            self.fields["beneficiary"].required = True
        else:
            del self.fields["beneficiary"]


def _files(request):
    return [(f.name, f.read()) for f in request.FILES.getlist("files")[: services.MAX_ATTACHMENTS_PER_MESSAGE + 1]]


@participants_only
def thread_index(request):
    threads = services.threads_visible_to(request.user).select_related("beneficiary", "consultant")
    form = ThreadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        beneficiary = form.cleaned_data.get("beneficiary") or getattr(request.user, "beneficiary_file", None)
        if beneficiary is None:
            raise Http404
        try:
            thread = services.thread_start(actor=request.user, beneficiary=beneficiary, subject=form.cleaned_data["subject"])
            services.message_send(actor=request.user, thread=thread, body=form.cleaned_data["body"], attachments=_files(request))
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Message envoyé.")
            return redirect(f"/messages/{thread.pk}/")
    unread = {t: t.messages.filter(read_at__isnull=True).exclude(author=request.user).count() for t in threads}
    return render(request, "bilans/threads.html", {"threads": unread.items(), "form": form}, status=400 if form.errors else 200)


@participants_only
def thread_detail(request, pk):
    thread = get_object_or_404(Thread.objects.select_related("beneficiary", "consultant"), pk=pk)
    ensure_can_view_thread(request.user, thread)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_send(actor=request.user, thread=thread, body=form.cleaned_data["body"], attachments=_files(request))
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Message envoyé.")
            return redirect(f"/messages/{thread.pk}/")
    services.thread_mark_read(actor=request.user, thread=thread)
    items = thread.messages.select_related("author").prefetch_related("attachments")
    return render(request, "bilans/thread.html", {"thread": thread, "items": items, "form": form}, status=400 if form.errors else 200)


@participants_only
def attachment_download(request, pk):
    attachment = get_object_or_404(Attachment.objects.select_related("message__thread__beneficiary"), pk=pk)
    data = services.attachment_read(actor=request.user, attachment=attachment)
    response = HttpResponse(data, content_type=attachment.content_type)
    response["Content-Disposition"] = f'attachment; filename="{attachment.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
