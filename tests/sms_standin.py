"""A local stand-in for the SMS provider, served over real HTTP on a free
port of this machine: it answers Kavenegar's REST interface as the adapter
calls it (send with a localid that refuses a second sending, status, account
info) and posts signed delivery reports to the site, as the provider does.
It keeps what it "delivered" to phones, so a test reads what a person got.

It can be told to fail the next sends (an outage), or to take a message and
hold its answer (a worker killed after the provider took it)."""

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.request
from urllib.parse import parse_qs, urlencode

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

API_KEY = "stand-in-api-key"


class QuietHandler(WSGIRequestHandler):
    """The provider's own request log is not the site's (its addresses hold the key)."""

    def log_request(self, *args, **kwargs):
        pass


class StandIn:
    def __init__(self):
        self.delivered = []  # what reached phones: dicts of receptor, message, messageid, localid
        self.by_localid = {}
        self.calls = 0
        self.fail_next = 0
        self.refuse_next = None  # a provider status to answer the next send with
        self.credit = 1_250_000
        self.hold = None  # a threading.Event a send's answer waits for, once the message is taken
        self.lock = threading.Lock()
        self.ids = itertools.count(8792343)
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()

    def answer(self, status, entries=None, http=None):
        body = {"return": {"status": status, "message": "تایید شد" if status == 200 else "خطا"}, "entries": entries}
        return Response(json.dumps(body, ensure_ascii=False), status=http or status, mimetype="application/json")

    def wsgi(self, environ, start_response):
        request = Request(environ)
        parts = request.path.strip("/").split("/")
        response = self.route(request, parts)
        return response(environ, start_response)

    def route(self, request, parts):
        if len(parts) != 4 or parts[0] != "v1" or request.method != "POST":
            return self.answer(404)
        if parts[1] != API_KEY:
            return self.answer(403)
        form = {key: values[0] for key, values in parse_qs(request.get_data(as_text=True)).items()}
        method = f"{parts[2]}/{parts[3]}"
        if method == "sms/send.json":
            return self.send(form)
        if method == "sms/status.json":
            found = next((d for d in self.delivered if str(d["messageid"]) == form.get("messageid")), None)
            return self.answer(200, [{"messageid": form.get("messageid"), "status": 10 if found else 100}])
        if method == "account/info.json":
            return self.answer(200, {"remaincredit": self.credit, "expiredate": 1893456000, "type": "master"})
        return self.answer(404)

    def send(self, form):
        with self.lock:
            self.calls += 1
            if self.fail_next:
                self.fail_next -= 1
                return Response("bad gateway", status=502)
            if self.refuse_next is not None:
                status, self.refuse_next = self.refuse_next, None
                return self.answer(status)
        if not form.get("receptor") or not form.get("message"):
            return self.answer(400)
        with self.lock:
            localid = form.get("localid")
            if localid and localid in self.by_localid:
                # Kavenegar's rule: a localid sent before is not sent again.
                return self.answer(200, [self.by_localid[localid]])
            entry = {
                "messageid": next(self.ids),
                "message": form["message"],
                "status": 1,
                "statustext": "در صف ارسال",
                "sender": form.get("sender", ""),
                "receptor": form["receptor"],
                "date": int(time.time()),
                "cost": 120,
                "localid": localid,
            }
            self.delivered.append(entry)
            if localid:
                self.by_localid[localid] = entry
        if self.hold is not None:
            self.hold.wait(30)  # taken, but the sender hears nothing yet
        return self.answer(200, [entry])

    def to(self, phone):
        """The texts a phone received, in order."""
        return [entry["message"] for entry in self.delivered if entry["receptor"] == phone]

    def incoming(self, site_url, secret, phone, text, gateway_id):
        """Forward an SMS a phone sent to the site's line, as the provider
        does (the inbound path): the site's status and its answer."""
        body = urlencode({"from": phone, "text": text, "id": gateway_id}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Hamsayeh-Secret": secret}
        request = urllib.request.Request(f"{site_url}/sms/incoming", data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""

    def report(self, site_url, secret, messageid, status=10, timestamp=None):
        """Post a signed delivery report to the site, as the provider does."""
        body = f"messageid={messageid}&status={status}".encode()
        stamp = str(int(timestamp if timestamp is not None else time.time()))
        signed = hmac.new(secret.encode(), f"{stamp}.{messageid}.{status}".encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            f"{site_url}/sms/delivery",
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Hamsayeh-Timestamp": stamp,
                "X-Hamsayeh-Signature": signed,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code
