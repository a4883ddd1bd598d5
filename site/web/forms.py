"""A tiny form object: it normalizes what was typed, collects one message per
field, and echoes the input back when the form is shown again."""

import itertools
import secrets

from flask_babel import lazy_gettext as _l

from hamsayeh import persian
from hamsayeh.web.templating import digits

NAME_MAX = 80
PIN_MAX = 128


def new_key():
    """A one-time key for a form: sending it twice finds what the first made."""
    return secrets.token_urlsafe(24)


class Form:
    def __init__(self, formdata=None, **defaults):
        self.data = {key: value for key, value in defaults.items() if value is not None}
        if formdata is not None:
            self.data.update({key: persian.normalize(formdata.get(key)) for key in formdata})
        self.errors = {}

    def __getitem__(self, name):
        return self.data.get(name, "")

    def error(self, name, message):
        """Record the first problem with a field; later ones wait their turn."""
        self.errors.setdefault(name, message)

    @property
    def ok(self):
        return not self.errors

    def form_key(self):
        """The form's one-time key; a missing or malformed one is replaced."""
        if not 0 < len(self["form_key"]) <= 64:
            self.data["form_key"] = new_key()
        return self["form_key"]

    def text(self, name, most, least=1, message=None):
        """Required text of `least` to `most` letters."""
        value = self[name]
        if len(value) < least:
            self.error(name, message or _l("Write at least %(count)s letters.", count=least))
        elif len(value) > most:
            self.error(
                name,
                _l(
                    "Write at most %(count)s letters; you have %(typed)s.", count=digits(most), typed=digits(len(value))
                ),
            )
        return value

    def required(self, name, message):
        if not self[name]:
            self.error(name, message)
        return self[name]

    def phone(self, name="phone"):
        if not self.required(name, _l("Enter your mobile number.")):
            return None
        phone = persian.normalize_phone(self[name])
        if phone is None:
            self.error(name, _l("Enter an Iranian mobile number with 11 digits, like 09121234567."))
        return phone

    def person_name(self, name="name"):
        value = self.required(name, _l("Enter your name."))
        if len(value) > NAME_MAX:
            self.error(name, _l("A name can be at most %(count)s letters.", count=NAME_MAX))
        elif value and not any(ch.isalpha() for ch in value):
            self.error(name, _l("A name needs letters."))
        return value

    def new_pin(self, name="pin", repeat="pin_again"):
        pin = self.required(name, _l("Choose a PIN."))
        if pin:
            problem = pin_problem(pin)
            if problem:
                self.error(name, problem)
            elif self[repeat] != pin:
                self.error(repeat, _l("The two PINs are not the same. Type it again."))
        return pin


def pin_problem(pin):
    """A reason why `pin` is too easy to guess, or None."""
    if len(pin) > PIN_MAX:
        return _l("A PIN can be at most %(count)s characters.", count=PIN_MAX)
    if pin.isdigit():
        if len(pin) < 4:
            return _l("A PIN needs at least 4 digits.")
        steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
        if len(set(pin)) == 1 or steps in ({1}, {-1}):
            return _l("This PIN is too easy to guess, like 1111 or 1234. Choose another.")
        return None
    if len(pin) < 8:
        return _l("Use at least 4 digits, or a password of at least 8 characters.")
    return None
