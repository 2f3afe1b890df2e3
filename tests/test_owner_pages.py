"""The owner's campaign pages: forms in, plain-language answers out."""

from core.db import db
from core.identity.models import Role
from merchant.models import Campaign
from tests.conftest import count


def test_owner_creates_publishes_and_is_told_why_ending_needs_a_choice(app, signed_in, make_fence):
    with app.app_context():
        fence_id = make_fence(name="Dongming").id
        db.session.commit()
    owner, _ = signed_in(Role.MERCHANT)
    bad = owner.post("/merchant/campaigns/new", data={"title": "", "discount_kind": "amount",
                                                     "amount_off_yuan": "abc", "inventory_total": "0"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "The draft was not saved. Please check the fields marked below." in html
    assert 'id="amount_off_yuan-error">Please enter an amount in yuan, such as 12.50.' in html
    assert count(app, Campaign) == 0
    created = owner.post("/merchant/campaigns/new", data={
        "title": "¥5 off", "discount_kind": "amount", "amount_off_yuan": "5.50", "min_spend_yuan": "20",
        "starts_at": "2026-01-01T08:00", "ends_at": "2030-01-01T08:00", "valid_days": "7",
        "inventory_total": "50", "per_resident_limit": "1", "window": "times", "day": ["0", "4"],
        "window_start": "18:00", "window_end": "21:00", "fence": str(fence_id), "tags": "noodles，Dumplings"})
    assert created.status_code == 302
    with app.app_context():
        campaign = db.session.query(Campaign).one()
        assert (campaign.amount_off_cents, campaign.min_spend_cents, campaign.tags) == (550, 2000,
                                                                                       ["noodles", "dumplings"])
        assert campaign.starts_at.hour == 0  # 08:00 in Shanghai is midnight UTC
        assert campaign.airdrop_windows == [{"days": [0, 4], "start": "18:00", "end": "21:00"}]
        campaign_id = campaign.id
    page = owner.post(f"/merchant/campaigns/{campaign_id}/state", data={"action": "end"}, follow_redirects=True)
    assert "Choose honour or void." in page.get_data(as_text=True)
    page = owner.post(f"/merchant/campaigns/{campaign_id}/state", data={"action": "pause"}, follow_redirects=True)
    assert "That is not possible for this campaign right now." in page.get_data(as_text=True)
    page = owner.post(f"/merchant/campaigns/{campaign_id}/state", data={"action": "publish"}, follow_redirects=True)
    assert "Campaign updated." in page.get_data(as_text=True) and "status-live" in page.get_data(as_text=True)
