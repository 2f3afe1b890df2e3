"""A month of neighbourhood reports, so the staff queue, the ranking and Open311 have a story.

Filed and worked through the same operations the pages use, at past times; deterministic.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from PIL import Image
from sqlalchemy import select

from core.db import db
from core.identity.models import Role, User
from services import operations
from services.models import Channel, Resolution

PLACES = ["Outside no. 12 Dongming Road", "Bus stop on Sanlin Road", "Behind the community centre",
          "Entrance of Lane 300", "Corner by the bakery", "Playground in Dongming Park"]
TEXTS = {
    "streetlight": ("The lamp is dark every evening.", {"lamp": "off"}),
    "pothole": ("A hole in the pavement; an old man tripped yesterday.", {"size": "medium"}),
    "drain": ("Water stands after every rain and it smells.", {"flooding": "yes", "smell": "yes"}),
    "litter": ("The bins are overflowing since the weekend.", {}),
    "tree": ("A large branch is hanging over the path.", {}),
}


def _photo(rng: random.Random) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 120), tuple(rng.randrange(60, 200) for _ in range(3))).save(out, "JPEG")
    return out.getvalue()


def load_reports(*, now: datetime, centre: tuple[float, float], residents: list[int]) -> int:
    rng = random.Random(311)
    staff = {u.department_id: u for u in db.session.scalars(select(User).where(User.role == Role.STAFF))}
    filed = 0
    for back in range(30, 0, -1):
        for _ in range(rng.randint(0, 2)):
            code = rng.choice(list(TEXTS))
            text, answers = TEXTS[code]
            when = now - timedelta(days=back, hours=rng.randint(0, 12))
            report = operations.file_report(operations.NewReport(
                category_code=code, description=text, address=rng.choice(PLACES),
                lat=centre[0] + rng.uniform(-0.003, 0.003), lon=centre[1] + rng.uniform(-0.003, 0.003),
                answers=answers, reporter_id=rng.choice(residents), channel=Channel.APP), now=when)
            filed += 1
            worker = staff.get(report.department_id)
            if worker is None or rng.random() < 0.25:
                continue  # still waiting, some of them overdue
            operations.claim(report, worker, when + timedelta(hours=rng.uniform(1, 20)))
            if rng.random() < 0.2:
                continue  # in progress
            closed_at = when + timedelta(hours=rng.uniform(6, 90))
            if closed_at >= now:
                continue
            operations.close(report, worker, resolution=Resolution.FIXED, note="Fixed on site.",
                             after_photos=[_photo(rng)], duplicate_of=None, referral=None, now=closed_at)
            if rng.random() < 0.15 and report.reporter_id and now - closed_at < timedelta(days=14):
                operations.judge(report, report.reporter_id, confirmed=False, comment="Still not right.",
                                 now=closed_at + timedelta(hours=5))
    db.session.flush()
    return filed

