from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = "OMS core"

    def ready(self) -> None:
        # Outbox handlers and beat entries are declared in each app's tasks module.
        autodiscover_modules("tasks")
        from django.contrib.auth.signals import user_logged_in

        from oms.staff import note_temporary_password

        user_logged_in.connect(note_temporary_password, dispatch_uid="oms.staff.note_temporary_password")
