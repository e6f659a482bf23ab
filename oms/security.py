"""Error reports never show what a user typed: card numbers and passwords must not reach error pages or mail."""

from django.views.debug import SafeExceptionReporterFilter


class StrictExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hides every POST value and every local variable, with DEBUG on or off."""

    def is_active(self, request) -> bool:
        return True

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
