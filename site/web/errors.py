"""Error pages in Persian, in the same layout as every other page: a refused
or broken request never shows a traceback."""

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: (_l("Something in the request was wrong"), _l("Please go back and try again.")),
    403: (
        _l("You do not have access to this page"),
        _l(
            "This page is for people with another role. If you think you should see it, ask your center or facilitator."
        ),
    ),
    404: (_l("Page not found"), _l("The address may be mistyped, or the page has been removed.")),
    405: (_l("This action is not possible here"), _l("Please use the buttons on the page.")),
    413: (_l("What you sent is too large"), _l("Please send something smaller.")),
    429: (_l("Too many tries"), _l("Please wait a little and try again.")),
    503: (
        _l("This part of the site is not ready"),
        _l("Its administrator has not finished setting it up. Please try again later."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you typed is your fault. Please try again in a few minutes."),
    ),
}


def init_app(app):
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)


def render_error(code, title=None, message=None):
    default_title, default_message = MESSAGES.get(code, MESSAGES[400] if code < 500 else MESSAGES[500])
    page = render_template(
        "errors/error.html", code=code, title=title or default_title, message=message or default_message
    )
    return page, code


def csrf_error(error):
    return render_error(
        400,
        _l("This form has expired"),
        _l("For your safety, forms work only for a while. Please go back, reload the page and send it again."),
    )


def http_error(error):
    return render_error(error.code or 500)


def unexpected_error(error):
    if isinstance(error, HTTPException):
        return http_error(error)
    current_app.logger.exception("unhandled error")
    return render_error(InternalServerError.code)
