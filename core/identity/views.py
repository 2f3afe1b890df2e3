"""Sign-in, sign-up and sign-out pages of the PWA (plain forms: they work without JavaScript)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.db import utcnow
from core.forms import attempt
from core.identity import operations, signed_in
from core.identity.access import authenticated
from core.identity.api import end_session, login_limit, sign_in_limits, start_session
from core.identity.schemas import SignUpIn
from core.ratelimit import rate_limit
from core.redirects import same_site_path

web = Blueprint("identity", __name__)


@web.route("/login", methods=["GET", "POST"])
@sign_in_limits
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("core.home"))
    error = None
    if request.method == "POST":
        user, refused = attempt(lambda: operations.authenticate(request.form.get("identifier", ""),
                                                                request.form.get("password", ""), now=utcnow()))
        if refused:
            error = _("The account or the password is wrong.")
        else:
            start_session(user, remember=True)
            return redirect(same_site_path(request.args.get("next")) or url_for("core.home"))
    status = 401 if error else 200
    return render_template("identity/login.html", error=error,
                           identifier=request.form.get("identifier", "")), status


@web.route("/signup", methods=["GET", "POST"])
@rate_limit(login_limit, scope="signup")
def signup():
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form
        # The API's schema decides what is valid, so the page refuses exactly what the API refuses.
        fields = {"identifier": form.get("identifier", ""), "password": form.get("password", ""),
                  "display_name": form.get("display_name", "").strip() or _("Neighbour")}
        if request.cookies.get("linli_lang") in ("en", "zh"):
            fields["locale"] = request.cookies["linli_lang"]
        _created, errors = attempt(lambda: operations.sign_up_resident(**SignUpIn().load(fields)))
        if not errors:
            # The same answer whether or not the identifier was taken: sign-up tells nobody who has an account.
            flash(_("Your account is ready, unless this email address or mobile number was already registered. "
                    "Please sign in."))
            return redirect(url_for("identity.login"))
    return render_template("identity/signup.html", errors=errors, form=request.form), (422 if errors else 200)


@web.post("/logout")
def logout():
    end_session()
    return redirect(url_for("identity.login"))


@web.post("/logout/everywhere")
@authenticated
def logout_everywhere():
    user = signed_in.account(current_user)
    signed_in.signed_out_elsewhere(user, operations.close_other_sessions(user))
    end_session()
    flash(_("You are signed out on every device."))
    return redirect(url_for("identity.login"))


def init_login_manager(app) -> None:
    from core.extensions import login_manager

    login_manager.init_app(app)
    login_manager.login_view = "identity.login"
    # Phones change IP address all the time; we use no "fresh login" feature that this would guard.
    login_manager.session_protection = None
    login_manager.user_loader(signed_in.load)

    @login_manager.unauthorized_handler
    def unauthorized():
        from core.errors import wants_problem_json
        from core.problems import Unauthorized

        if wants_problem_json():
            raise Unauthorized("Please sign in first.")
        return redirect(url_for("identity.login", next=request.full_path.rstrip("?")))

