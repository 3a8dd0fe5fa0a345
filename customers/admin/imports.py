"""Data imports in the admin: the read-only import log, the upload page and rejected-row downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.formats import MISSING
from core.permissions import has_perm
from core.types import AnyUser, AuthenticatedHttpRequest
from customers.models import DataImport, ImportKind
from customers.services import ImportFileError, ImportRejected, import_data_file
from customers.services.imports import import_columns, rejected_files_dir

# Row errors listed on the page before "... and N more".
SHOWN_ERRORS = 50
IMPORT_PERMISSION = "customers.add_dataimport"
ACCEPTED_TYPES = ",".join(
    [".csv", ".txt", ".xlsx", "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=ImportKind.choices,
        help_text=_(
            "Customers first: revenue lines and interactions refer to customers by their external ID."
        ),
    )
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_(
            'An Excel workbook (.xlsx; the first sheet is read) or a CSV file saved from Excel as "CSV '
            'UTF-8 (kommadelt)". Semicolon or comma between columns, decimal comma or point (1 234,50 or '
            "1234.50), dates as YYYY-MM-DD or DD.MM.YYYY. The first line (row 1) names the columns."
        ),
        # Only a hint to the browser's file picker: the import decides by the file's content.
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
    skip_invalid = forms.BooleanField(
        label=_("Skip invalid rows"),
        required=False,
        help_text=_(
            "Import the valid rows and give the invalid ones back as a file with a reason column. "
            "Without this, one invalid row stops the whole file and nothing is imported."
        ),
    )


def can_import(user: AnyUser) -> bool:
    return has_perm(user, IMPORT_PERMISSION)


@admin.register(DataImport)
class DataImportAdmin(ReadOnlyAdmin):
    """The import log is evidence of what entered the database: nobody edits or deletes it here.

    Imports are added through the upload page, which runs the import service.
    """

    # An import or two a day: the total is cheap to count and worth showing.
    show_full_result_count = True

    list_display = (
        "created_at",
        "kind",
        "file_name",
        "rows_total",
        "rows_created",
        "rows_updated",
        "rows_rejected",
        "products_created",
        "imported_by",
    )
    list_filter = ("kind",)
    search_fields = ("file_name", "sha256")
    list_select_related = ("imported_by",)
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "file_name",
        "sha256",
        "created_at",
        "imported_by",
        "rows_total",
        "rows_created",
        "rows_updated",
        "rows_rejected",
        "products_created",
        "rejected_rows",
    )
    readonly_fields = fields

    @admin.display(description=_("rejected rows file"))
    def rejected_rows(self, obj: DataImport) -> str:
        if not obj.rejected_file:
            return MISSING
        if _downloadable(obj) is None:
            # Written by the command next to its input, on the server: not ours to serve.
            return obj.rejected_file
        url = reverse("admin:customers_dataimport_rejected", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a>',
            url,
            gettext("Download %(file)s") % {"file": Path(obj.rejected_file).name},
        )

    def get_urls(self) -> list[URLPattern]:
        # Before the defaults: their "<path:object_id>/" would swallow "upload/".
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="customers_dataimport_upload"),
            path(
                "<int:object_id>/rejected/",
                self.admin_site.admin_view(self.rejected_file_view),
                name="customers_dataimport_rejected",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(
            request, {**(extra_context or {}), "can_import": can_import(request.user)}
        )

    def upload_view(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        """Upload a CSV or Excel file and import it with the same service as the commands."""
        if not can_import(request.user):
            raise PermissionDenied
        rejected = None
        if request.method == "POST":
            form = ImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    # Large uploads are already on disk (FILE_UPLOAD_MAX_MEMORY_SIZE); the service
                    # streams the upload itself, so nothing is copied.
                    result = import_data_file(
                        kind=form.cleaned_data["kind"],
                        stream=upload,
                        file_name=upload.name or "upload.csv",
                        skip_invalid=form.cleaned_data["skip_invalid"],
                        imported_by=request.user,
                    )
                except ImportRejected as exc:
                    form.add_error(None, str(exc))
                    rejected = exc.result
                except ImportFileError as exc:
                    form.add_error("file", str(exc))
                else:
                    data_import = result.data_import
                    number = data_import.pk if data_import else "?"
                    messages.success(
                        request,
                        gettext("Imported %(file)s as import #%(number)s: %(summary)s.")
                        % {"file": result.file_name, "number": number, "summary": result.summary()},
                    )
                    if result.rejected_file:
                        messages.warning(
                            request,
                            ngettext(
                                "%(count)s row was skipped; download it with the reason from the rejected "
                                "rows file below, fix it and import that file.",
                                "%(count)s rows were skipped; download them with the reason for each from "
                                "the rejected rows file below, fix them and import that file.",
                                result.rejected,
                            )
                            % {"count": result.rejected},
                        )
                    if data_import is not None and self.has_view_permission(request, data_import):
                        return HttpResponseRedirect(
                            reverse("admin:customers_dataimport_change", args=[data_import.pk])
                        )
                    return HttpResponseRedirect(reverse("admin:customers_dataimport_upload"))
        else:
            form = ImportUploadForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import a file"),
            "form": form,
            "rejected": rejected,
            "error_lines": rejected.error_lines(SHOWN_ERRORS) if rejected else [],
            "column_help": [(label, *import_columns(kind)) for kind, label in ImportKind.choices],
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/customers/dataimport/upload.html", context)

    def rejected_file_view(self, request: HttpRequest, object_id: int) -> FileResponse:
        """Send an upload's rejected rows to users who may see the import log, never as a public URL."""
        data_import = get_object_or_404(DataImport, pk=object_id)
        if not self.has_view_permission(request, data_import):
            raise PermissionDenied
        file_path = _downloadable(data_import)
        if file_path is None:
            raise Http404(gettext("This import has no rejected rows file to download."))
        return FileResponse(
            file_path.open("rb"), as_attachment=True, filename=file_path.name, content_type="text/csv"
        )


def _downloadable(data_import: DataImport) -> Path | None:
    """The rejected file if it exists inside the uploads' rejected folder; a stored path is never trusted
    to point anywhere else."""
    if not data_import.rejected_file:
        return None
    file_path = Path(data_import.rejected_file).resolve()
    if not file_path.is_relative_to(rejected_files_dir().resolve()) or not file_path.is_file():
        return None
    return file_path
