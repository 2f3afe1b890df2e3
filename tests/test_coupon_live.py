"""The till talks back: the resident's open coupon page hears its coupon used, or given back."""

import json

from core.formatting import yuan
from core.identity.models import Role
from tests.conftest import login
from tests.test_redemption import qr, redeem


def events(response, count: int) -> list[tuple[str, dict]]:
    """The first `count` events of a Server-Sent Events response (already queued: never blocks long)."""
    found, kind, data = [], None, []
    for chunk in response.response:
        for line in chunk.decode().splitlines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            found.append((kind, json.loads("\n".join(data))))
            kind, data = None, []
            if len(found) == count:
                return found
    raise AssertionError(f"the stream ended after {len(found)} events")


def test_the_coupon_page_hears_its_redemption_and_its_void(app, shop):
    s = shop(coupons=2)
    resident = login(app, s["resident"])
    mine, other = s["coupons"]
    stream = resident.get(f"/wallet/coupons/{mine[0]}/live", buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    redeem(s["cashier"], qr(other), 3000)  # another coupon of the same resident: not on this stream
    done = redeem(s["cashier"], qr(mine), 3000).json
    assert s["cashier"].post(f"/api/merchant/redemptions/{done['redemption_id']}/void").status_code == 200
    used, back = events(stream, 2)
    stream.close()
    assert used == ("coupon", {"kind": "used", "coupon_id": mine[0], "at": done["redeemed_at"],
                               "saved_cents": done["discount_cents"]})
    assert back[0] == "coupon" and back[1]["kind"] == "back" and back[1]["coupon_id"] == mine[0]


def test_only_the_owner_may_listen(app, shop, signed_in):
    s = shop()
    coupon_id = s["coupons"][0][0]
    stranger, _ = signed_in(Role.RESIDENT)
    assert stranger.get(f"/wallet/coupons/{coupon_id}/live").status_code == 404
    assert stranger.get("/wallet/coupons/999999/live").status_code == 404
    assert s["cashier"].get(f"/wallet/coupons/{coupon_id}/live").status_code in (302, 403)


def test_a_reload_shows_the_used_coupon_with_its_stamp(app, shop):
    s = shop()
    resident = login(app, s["resident"])
    coupon_id = s["coupons"][0][0]
    done = redeem(s["cashier"], qr(s["coupons"][0]), 3000).json
    page = resident.get(f"/wallet/coupons/{coupon_id}").get_data(as_text=True)
    assert 'class="used-stamp"' in page and "you saved ¥" in page and 'id="qr"' not in page
    assert yuan(done["discount_cents"]) in page
    assert 'class="used-stamp small"' in resident.get("/wallet?shelf=used").get_data(as_text=True)
