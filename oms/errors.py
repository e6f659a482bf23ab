"""The base of the refusals of a value typed or uploaded by a person (a number, a date, a query filter, JSON text).

Each refusal carries ``message``, a sentence for that person naming what is wrong; callers catch the specific class
(``NumberError``, ``PeriodError``, ``BadQuery``, ``JsonTextError``) and show the message on the form, the page or the
import row. Domain errors of services (``OutOfStock``, ``InvalidTransition``...) are not refusals of a typed value and
keep their own bases in each app's ``errors.py``.
"""


class Refusal(ValueError):
    """A value typed by a person is refused; ``message`` says why, for that person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
