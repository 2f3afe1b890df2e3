from sqlalchemy import func, select

from core.db import db, utcnow
from core.identity.models import Department, Merchant, MerchantRole, Role, User
from demo.district import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
from geofence.models import Fence
from merchant.models import Campaign, CampaignStatus
from services.models import Category
from tests.conftest import count, login


def test_admin_page_creates_a_cashier_for_a_business(app, signed_in, make_merchant):
    admin, _ = signed_in(Role.ADMIN)
    with app.app_context():
        merchant_id = make_merchant(name="Golden Crust Bakery").id
        db.session.commit()
    form = admin.get("/admin/accounts/new").get_data(as_text=True)
    assert "Golden Crust Bakery" in form
    response = admin.post("/admin/accounts/new", data={
        "role": "merchant", "display_name": "Till 2", "identifier": "till2@example.org",
        "password": "a long first password", "merchant_id": str(merchant_id), "merchant_role": "cashier"})
    assert response.status_code == 302
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    assert "Till 2" in listing and "Account created for Till 2." in listing
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "till2@example.org"))
        assert (user.role, user.merchant_id, user.merchant_role) == (Role.MERCHANT, merchant_id, MerchantRole.CASHIER)


def test_admin_page_explains_a_missing_department(app, signed_in):
    admin, _ = signed_in(Role.ADMIN)
    before = count(app, User)
    response = admin.post("/admin/accounts/new", data={
        "role": "staff", "display_name": "S", "identifier": "s@example.org", "password": "a long first password"})
    assert response.status_code == 422 and "Required for staff accounts." in response.get_data(as_text=True)
    assert count(app, User) == before


def test_admin_pages_are_for_admins_only(app, signed_in):
    resident, _ = signed_in(Role.RESIDENT)
    assert resident.get("/admin/accounts").status_code == 403
    visitor = app.test_client().get("/admin/accounts")
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]


def test_cli_creates_a_staff_account(app, make_department):
    with app.app_context():
        make_department("Sanitation")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=[
        "accounts", "create", "--role", "staff", "--identifier", "13900139000", "--name", "Sun",
        "--department", "Sanitation", "--password", "a long first password"])
    assert result.exit_code == 0, result.output
    assert "created staff account" in result.output
    login(app, "+86 139 0013 9000", "a long first password")


def test_cli_refuses_an_unknown_department_and_writes_nothing(app):
    result = app.test_cli_runner().invoke(args=[
        "accounts", "create", "--role", "staff", "--identifier", "x@example.org", "--name", "X",
        "--department", "Nowhere", "--password", "a long first password"])
    assert result.exit_code != 0 and "no department named" in result.output
    assert count(app, User) == 0


def test_demo_builds_a_district_and_every_role_can_sign_in(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Merchant.id))) == 5
        live = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.PUBLISHED)).all()
        assert len(live) == 5 and all(c.starts_at <= utcnow() < c.ends_at and c.remaining > 0 for c in live)
        assert db.session.scalar(select(func.count(Fence.id))) >= 1
        assert db.session.scalar(select(func.count(Category.id))) >= 5
        assert db.session.scalar(select(func.count(Department.id))) >= 4
    homes = {Role.RESIDENT: "/resident", Role.MERCHANT: "/merchant", Role.STAFF: "/staff", Role.ADMIN: "/admin"}
    for identifier, role, name in DEMO_ACCOUNTS:
        client = login(app, identifier, DEMO_PASSWORD)
        home = client.get("/")
        assert home.headers["Location"].endswith(homes[role])
        assert name in client.get(homes[role]).get_data(as_text=True)
    again = app.test_cli_runner().invoke(args=["demo"])
    assert "already loaded" in again.output
    assert count(app, Merchant) == 5


def test_demo_loader_is_idempotent(app):
    with app.app_context():
        assert load_demo(now=utcnow()) is not None
        db.session.commit()
        assert load_demo(now=utcnow()) is None
