"""``makemessages`` that also extracts the two forms of ``oms.i18n.stored_plural`` (as it does for ``ngettext``)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=stored_plural:1,2"]
