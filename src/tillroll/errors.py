"""The exception hierarchy of tillroll.

Every error a user can cause is a `TillrollError` whose message says what went
wrong *and what to do*. Front ends turn them into exit codes (CLI), 4xx
responses (server) or error records (batch) using `code` and `http_status`;
nothing else should reach a user as a traceback.

    TillrollError
    ├── InputError                      the file the user gave us is the problem
    │   ├── InputNotFoundError
    │   ├── EmptyInputError
    │   ├── UnsupportedFormatError
    │   ├── CorruptInputError
    │   ├── ImageTooLargeError
    │   ├── FileTooLargeError
    │   ├── EncryptedPDFError
    │   └── TooManyPagesError
    ├── EngineUnavailableError          an OCR engine / optional dependency is not installed
    ├── ModelError                      model weights missing or unreadable
    ├── ConfigError                     bad option value
    │   └── DataDirError                tillroll's data folder (TILLROLL_HOME) cannot be written
    ├── DataError                       a dataset or annotation file is malformed
    └── BatchError                      a whole batch cannot go on (not one bad receipt)
"""

from __future__ import annotations


class TillrollError(Exception):
    """Base class: `code` is a stable machine-readable name, `http_status` the matching status."""

    code: str = "tillroll_error"
    http_status: int = 500

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        self.message = message
        super().__init__(f"{source}: {message}" if source else message)

    def to_record(self) -> dict[str, str | None]:
        """Error record as written by batch and returned by the server."""
        return {"error": self.code, "type": type(self).__name__, "message": self.message, "source": self.source}


class InputError(TillrollError):
    code = "bad_input"
    http_status = 422


class InputNotFoundError(InputError):
    code = "not_found"
    http_status = 404


class EmptyInputError(InputError):
    code = "empty_file"
    http_status = 422


class UnsupportedFormatError(InputError):
    code = "unsupported_format"
    http_status = 415


class CorruptInputError(InputError):
    code = "corrupt_file"
    http_status = 422


class ImageTooLargeError(InputError):
    code = "image_too_large"
    http_status = 413


class FileTooLargeError(InputError):
    """The file has more bytes than `LoadLimits.max_bytes` allows."""

    code = "file_too_large"
    http_status = 413


class EncryptedPDFError(InputError):
    code = "encrypted_pdf"
    http_status = 422


class TooManyPagesError(InputError):
    code = "too_many_pages"
    http_status = 413


class EngineUnavailableError(TillrollError):
    code = "engine_unavailable"
    http_status = 503


class ModelError(TillrollError):
    code = "model_error"
    http_status = 503


class ConfigError(TillrollError):
    code = "bad_config"
    http_status = 400


class DataDirError(ConfigError):
    """The folder tillroll keeps its state in (entity database, review store) cannot be
    created or written: checked before any receipt is read, so the user hears it at once."""

    code = "data_dir_unwritable"
    http_status = 500


class DataError(TillrollError):
    code = "bad_data"
    http_status = 422


class BatchError(TillrollError):
    """A batch as a whole cannot continue: workers cannot build the pipeline, the output
    file belongs to another format, a cluster cannot be reached. One bad receipt is
    never a BatchError: it becomes an error record and the batch goes on."""

    code = "batch_failed"
    http_status = 500


# ---- raised by the HTTP service and the review store (tillroll.server) --------


class AuthenticationError(TillrollError):
    """A request to a token-protected server came without the right token."""

    code = "unauthorized"
    http_status = 401


class ReceiptNotFoundError(TillrollError):
    """A review-store id that does not exist (or was deleted)."""

    code = "receipt_not_found"
    http_status = 404


class ConflictError(TillrollError):
    """Someone else saved the receipt since it was loaded; reload and re-apply the edits."""

    code = "conflict"
    http_status = 409


class ServerBusyError(TillrollError):
    """Every worker is busy and the wait queue is full; retry after a moment."""

    code = "server_busy"
    http_status = 503


class ProcessingTimeoutError(TillrollError):
    """Extraction did not finish within the server's per-request time limit."""

    code = "timeout"
    http_status = 504
