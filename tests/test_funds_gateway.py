"""Online contributions through the payment gateway interface, against a
local stand-in reached over real HTTP: the site asks it for a token, the payer
pays on its page, and the callback counts only when its signature holds and
the gateway itself, asked server to server, confirms the amount."""

import urllib.error
import urllib.parse
import urllib.request

import pytest

import models
from hamsayeh.domain import funds
from hamsayeh.views.funds import PAY_LIMIT
from tests.conftest import CSRF_PATTERN, sign_in
from tests.factories import fund as make_fund
from tests.factories import person
from tests.payment_standin import PaymentStandIn


@pytest.fixture
def gateway(app):
    with PaymentStandIn() as standin:
        app.config.update(standin.config())
        try:
            yield standin
        finally:
            for key in standin.config():
                app.config.pop(key, None)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def pay_on_the_gateway(page, outcome="paid"):
    """The payer's browser on the gateway's page: where it sends them back."""
    opener = urllib.request.build_opener(NoRedirects)
    try:
        opener.open(f"{page}?outcome={outcome}", timeout=10)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302
        return answer.headers["Location"]
    raise AssertionError("the gateway did not send the payer back")


def local(url):
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def giver(client, people, places):
    fund, _trustees = make_fund(places["Tajrish"], people["admin"])
    member = person("09391000001", "پروانه نیک‌نام", neighborhood=places["Tajrish"])
    sign_in(client, member.phone)
    return fund, member


def start(client, fund, amount="۲٬۵۰۰٬۰۰۰", anonymous=False):
    html = client.get(f"/funds/{fund.id}").get_data(as_text=True)
    data = {"csrf_token": CSRF_PATTERN.search(html).group(1), "amount": amount}
    if anonymous:
        data["anonymous"] = "1"
    response = client.post(f"/funds/{fund.id}/pay", data=data)
    assert response.status_code == 302
    return response.headers["Location"]


def test_a_payment_verified_by_the_gateway_is_recorded_once(client, gateway, giver):
    fund, member = giver
    page = start(client, fund)
    assert page.startswith(gateway.url + "/pay/")
    back = local(pay_on_the_gateway(page))
    response = client.get(back)
    assert response.status_code == 302 and "/funds/receipts/" in response.headers["Location"]
    entry = models.FundEntry.get()
    assert (entry.amount, entry.method, entry.contributor_id) == (2_500_000, "gateway", member.id)
    assert len(gateway.verified) == 1  # asked the gateway itself
    # The same callback again (a reload, a replay) records nothing more.
    client.get(back)
    assert models.FundEntry.select().count() == 1
    assert models.Fund.get_by_id(fund.id).balance == 2_500_000 == funds.ledger_balance(fund)
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "۲٬۵۰۰٬۰۰۰" in receipt


def test_a_forged_callback_records_nothing(client, gateway, giver):
    fund, _member = giver
    page = start(client, fund)
    token = page.rsplit("/", 1)[1]
    gateway.payments[token]["status"] = "paid"  # the payer never paid, and forges the way back
    forged = local(gateway.callback_url(token, secret="guessed-secret"))
    assert client.get(forged).status_code == 400
    # A correctly signed callback for a payment the gateway says was not paid.
    gateway.payments[token]["status"] = "cancelled"
    client.get(local(gateway.callback_url(token)))
    assert models.FundEntry.select().count() == 0
    assert models.FundPayment.get().status == "failed"


def test_an_amount_the_gateway_did_not_take_records_nothing(client, gateway, giver):
    fund, _member = giver
    gateway.pay_less = 1_000_000  # the callback says 2.5 million; the gateway took 1.5
    client.get(local(pay_on_the_gateway(start(client, fund))))
    assert models.FundEntry.select().count() == 0
    assert models.Fund.get_by_id(fund.id).balance == 0


def test_an_anonymous_gift_names_nobody(client, gateway, giver):
    fund, member = giver
    client.get(local(pay_on_the_gateway(start(client, fund, "1000000", anonymous=True))))
    entry = models.FundEntry.get()
    assert entry.contributor_id is None and entry.contributor_name == ""
    assert member.name not in client.get(f"/funds/{fund.id}").get_data(as_text=True)


def test_a_payer_starts_only_so_many_payments_in_ten_minutes(app, client, gateway, giver, monkeypatch):
    """The pay form's POST is open to guests too, so starting payments with the
    gateway is limited per member (or a guest's address): the eleventh in ten
    minutes gets a Persian 429 and starts nothing."""
    fund, _member = giver
    monkeypatch.setitem(app.config, "RATE_LIMITS", True)
    app.extensions.pop("rate_limits", None)
    count, _seconds = PAY_LIMIT
    for _ in range(count):
        start(client, fund, "1000000")
    html = client.get(f"/funds/{fund.id}").get_data(as_text=True)
    data = {"csrf_token": CSRF_PATTERN.search(html).group(1), "amount": "1000000"}
    refused = client.post(f"/funds/{fund.id}/pay", data=data)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"
    assert "ده دقیقه" in refused.get_data(as_text=True)
    assert models.FundPayment.select().count() == count  # the refused one started nothing
    app.extensions.pop("rate_limits", None)
