"""Online contributions through a payment gateway, behind one small interface
so that another gateway (a bank's, Shaparak's providers) plugs in the same way.

The flow is the usual one of Iranian gateways: we ask the gateway for a token
for an amount and our reference, send the payer to its page, and it sends
them back to our callback. The callback's word is never taken alone: its
signature (HMAC under the merchant's secret) must match, and then we ask the
gateway itself, server to server, to verify the payment and tell the amount.
Configured by HAMSAYEH_PAYMENT_URL, HAMSAYEH_PAYMENT_MERCHANT and
HAMSAYEH_PAYMENT_SECRET; without a URL there is no online payment."""

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.parse
import urllib.request

from flask import current_app

TIMEOUT = 10


class GatewayError(Exception):
    """The gateway could not be reached, or answered something unexpected."""


def signature(secret, reference, token, status, amount):
    message = f"{reference}|{token}|{status}|{amount}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class HttpGateway:
    """A gateway spoken to over HTTP with JSON: /start, the payer's /pay/<token>, /verify."""

    def __init__(self, base_url, merchant, secret):
        self.base_url, self.merchant, self.secret = base_url.rstrip("/"), merchant, secret

    def _post(self, path, payload):
        body = json.dumps({"merchant": self.merchant, **payload}).encode()
        request = urllib.request.Request(  # noqa: S310 (the configured gateway's URL)
            self.base_url + path, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (a configured https URL)
                return json.loads(response.read().decode())
        except (OSError, ValueError) as error:
            raise GatewayError(str(error)) from error

    def start(self, reference, amount, callback_url):
        """The gateway's token for this payment, and the page to send the payer to."""
        answer = self._post("/start", {"reference": reference, "amount": amount, "callback": callback_url})
        token = answer.get("token")
        if not isinstance(token, str) or not token:
            raise GatewayError("no token")
        return token, f"{self.base_url}/pay/{urllib.parse.quote(token)}"

    def callback_is_signed(self, reference, token, status, amount, signed):
        expected = signature(self.secret, reference, token, status, amount)
        return hmac.compare_digest(expected, signed or "")

    def verify(self, token):
        """(paid, amount) as the gateway itself says, asked server to server."""
        answer = self._post("/verify", {"token": token})
        amount = answer.get("amount")
        return answer.get("status") == "paid" and isinstance(amount, int), amount if isinstance(amount, int) else 0


def gateway():
    """The configured gateway, or None when the site takes no online payments."""
    config = current_app.config
    url = config.get("PAYMENT_URL", os.environ.get("HAMSAYEH_PAYMENT_URL", ""))
    if not url:
        return None
    merchant = config.get("PAYMENT_MERCHANT", os.environ.get("HAMSAYEH_PAYMENT_MERCHANT", "hamsayeh"))
    secret = config.get("PAYMENT_SECRET", os.environ.get("HAMSAYEH_PAYMENT_SECRET", ""))
    return HttpGateway(url, merchant, secret)
