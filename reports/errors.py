"""Domain errors of the reports app: each has a stable ``code`` and a human ``message``."""

from django.utils.translation import gettext as _


class ReportError(Exception):
    code = "report_error"

    def __init__(self, message: str = "", *, field: str | None = None):
        self.message = message or _("The report could not be produced.")
        self.field = field
        super().__init__(self.message)


class InvalidReportParameters(ReportError):
    code = "invalid_parameters"


class ReportNotAllowed(ReportError):
    code = "report_not_allowed"

    def __init__(self, message: str = "", **kwargs):
        super().__init__(message or _("You may not run this report."), **kwargs)


class JobNotReady(ReportError):
    code = "job_not_ready"

    def __init__(self, message: str = "", **kwargs):
        super().__init__(message or _("This report has no file to download (not finished, failed or expired)."),
                         **kwargs)
