"""A local stand-in for a payment gateway, served over real HTTP on a free port:
it answers /start with a token, shows the payer its /pay/<token> page (a
test "pays" by asking it with ?outcome=paid or cancelled) and sends them back
to the site's callback with a signature under the merchant's secret, and
answers /verify server to server with what was really paid. It can be told to
lie about the amount, so a test sees the site trust only /verify."""

import itertools
import json
import threading
import urllib.parse

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from hamsayeh.web.payment_gateway import signature

MERCHANT = "hamsayeh-test"
SECRET = "stand-in-secret-not-a-secret"


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class PaymentStandIn:
    def __init__(self):
        self.payments = {}  # token: dict(reference, amount, callback, status)
        self.verified = []  # tokens the site asked about
        self.pay_less = 0  # rials the gateway really took less than asked, to test /verify
        self.lock = threading.Lock()
        self.ids = itertools.count(5_000_001)
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()

    def config(self):
        return {"PAYMENT_URL": self.url, "PAYMENT_MERCHANT": MERCHANT, "PAYMENT_SECRET": SECRET}

    def wsgi(self, environ, start_response):
        request = Request(environ)
        return self.route(request)(environ, start_response)

    def json(self, body, status=200):
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def route(self, request):
        if request.method == "POST" and request.path in ("/start", "/verify"):
            body = request.get_json(silent=True) or {}
            if body.get("merchant") != MERCHANT:
                return self.json({"error": "merchant"}, 403)
            return self.start(body) if request.path == "/start" else self.verify(body)
        if request.method == "GET" and request.path.startswith("/pay/"):
            return self.pay(request.path[len("/pay/") :], request.args.get("outcome", "paid"))
        return self.json({"error": "not found"}, 404)

    def start(self, body):
        if not isinstance(body.get("amount"), int) or body["amount"] <= 0:
            return self.json({"error": "amount"}, 400)
        token = f"T{next(self.ids)}"
        with self.lock:
            self.payments[token] = {
                "reference": body["reference"],
                "amount": body["amount"],
                "callback": body["callback"],
                "status": "started",
            }
        return self.json({"token": token})

    def pay(self, token, outcome):
        """The payer on the gateway's page: paid or cancelled, then sent back."""
        with self.lock:
            payment = self.payments.get(token)
            if payment is None:
                return self.json({"error": "token"}, 404)
            payment["status"] = "paid" if outcome == "paid" else "cancelled"
            payment["taken"] = payment["amount"] - self.pay_less if outcome == "paid" else 0
        return Response(status=302, headers={"Location": self.callback_url(token)})

    def callback_url(self, token, secret=SECRET):
        payment = self.payments[token]
        status, amount = payment["status"], str(payment["amount"])
        query = {
            "reference": payment["reference"],
            "token": token,
            "status": status,
            "amount": amount,
            "signature": signature(secret, payment["reference"], token, status, amount),
        }
        return payment["callback"] + "?" + urllib.parse.urlencode(query)

    def verify(self, body):
        token = body.get("token")
        with self.lock:
            self.verified.append(token)
            payment = self.payments.get(token)
        if payment is None:
            return self.json({"status": "unknown"}, 404)
        return self.json({"status": payment["status"], "amount": payment.get("taken", 0)})


if __name__ == "__main__":
    # For development: `python -m tests.payment_standin`, then run the site with
    # HAMSAYEH_PAYMENT_URL set to the address it prints and the secret above.
    with PaymentStandIn() as standin:
        print(
            f"HAMSAYEH_PAYMENT_URL={standin.url} HAMSAYEH_PAYMENT_MERCHANT={MERCHANT} HAMSAYEH_PAYMENT_SECRET={SECRET}"
        )
        standin.thread.join()
