"""Domain errors. Services raise these; `shared.http` maps them to RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any, ClassVar


class ChorusError(Exception):
    """An error a caller can act on. `code` becomes the problem type `/problems/<code>`."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.headers = headers or {}
        self.extra = extra


class BadRequest(ChorusError):
    pass


class Unauthorized(ChorusError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(ChorusError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(ChorusError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(ChorusError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Gone(ChorusError):
    status = 410
    code = "gone"
    title = "No longer available"


class PayloadTooLarge(ChorusError):
    status = 413
    code = "body-too-large"
    title = "Request body too large"


class UnsupportedMediaType(ChorusError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class Unprocessable(ChorusError):
    status = 422
    code = "validation-failed"
    title = "The request is not valid"


class TooManyRequests(ChorusError):
    status = 429
    code = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"Retry-After": str(retry_after)})


class Unavailable(ChorusError):
    status = 503
    code = "unavailable"
    title = "Temporarily unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"Retry-After": str(retry_after)})
