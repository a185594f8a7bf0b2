"""Durable request log + Redis doorbell for profile refreshes and platform events (see docs/events.md)."""

from pipeline.requests.envelope import (
    EventRequest,
    InvalidEnvelopeError,
    ProfileRequest,
    event_request,
    parse_envelope,
    profile_request,
)
from pipeline.requests.log import AddResult, Request, RequestLog, RequestLogError, request_log_path

__all__ = [
    "AddResult",
    "EventRequest",
    "InvalidEnvelopeError",
    "ProfileRequest",
    "Request",
    "RequestLog",
    "RequestLogError",
    "event_request",
    "parse_envelope",
    "profile_request",
    "request_log_path",
]
