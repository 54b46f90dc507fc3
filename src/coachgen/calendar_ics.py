"""Write check-in dates as an iCalendar (RFC 5545) file that any calendar app imports."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

__all__ = ["CalendarEvent", "to_ics"]


@dataclass(frozen=True)
class CalendarEvent:
    """An all-day event."""

    day: date
    summary: str
    description: str


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): line breaks of any kind as ``\\n``, other control characters dropped, so no
    value can start a property line of its own."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += encoded
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def to_ics(events: list[CalendarEvent], calendar_name: str, now: datetime | None = None) -> str:
    """A VCALENDAR with one all-day VEVENT per event; UIDs are stable for the same day and summary."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//coachgen//development plan//EN", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_escape(calendar_name)}"]
    for event in events:
        uid = hashlib.sha256(f"{event.day.isoformat()}|{event.summary}".encode()).hexdigest()[:24]
        lines += ["BEGIN:VEVENT", f"UID:{uid}@coachgen", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{event.day.strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{(event.day + timedelta(days=1)).strftime('%Y%m%d')}",
                  f"SUMMARY:{_escape(event.summary)}", f"DESCRIPTION:{_escape(event.description)}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
