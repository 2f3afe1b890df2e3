"""What the services domain announces; listeners subscribe in the app factory (linli.app)."""

from blinker import Namespace

_signals = Namespace()

#: sender: the ServiceRequest after a change its reporter and supporters should hear of;
#: kw: kind ("status", "note", "resolved", "reopened"), now
report_changed = _signals.signal("report-changed")
