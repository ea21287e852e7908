"""mailsleuth - mail-server log forensics from Python, through libmailsleuth (ctypes).

    import mailsleuth
    for m in mailsleuth.open(["/var/log/mail.log"], tz="UTC", kinds=["messages"]):
        print(m["qid"], m["from"], [r["address"] for r in m["recipients"]])

Every record is a dict parsed from the JSON the CLI writes for it (same field names as
`mailsleuth search -f jsonl`, `search --recipients/--sessions/--events` and
`hunt -f jsonl`; doc/API.md).  Records stream: the library reads the logs on a thread of
its own and hands records over through a bounded queue, so memory stays bounded however
large the logs are.  Errors raise mailsleuth.Error with the library's message.

The library is found through $MAILSLEUTH_LIB (a path to libmailsleuth.so.0), then next to
this package (an installed tree's lib/, or a build/ folder of the source tree), then the
system's loader path.
"""
import ctypes
import ctypes.util
import json
import os

__all__ = ["open", "Error", "Run", "KINDS"]

KINDS = {"events": 1, "messages": 2, "recipients": 4, "sessions": 8, "findings": 16}
_END, _RECORD = 0, 1


class Error(Exception):
    """A failure reported by libmailsleuth; .code is its MSL_API_E* code."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class _Opts(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("tz", ctypes.c_char_p),
        ("year", ctypes.c_int),
        ("kinds", ctypes.c_uint),
        ("site_configs", ctypes.POINTER(ctypes.c_char_p)),
        ("nsite_configs", ctypes.c_size_t),
        ("rules", ctypes.c_char_p),
        ("threads", ctypes.c_int),
    ]


def _candidates():
    env = os.environ.get("MAILSLEUTH_LIB")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    for rel in ("", "..", "../..", "../../..", "../../build", "../build"):
        yield os.path.normpath(os.path.join(here, rel, "libmailsleuth.so.0"))
    found = ctypes.util.find_library("mailsleuth")
    if found:
        yield found
    yield "libmailsleuth.so.0"


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
            continue
        return _declare(lib)
    raise Error("libmailsleuth.so.0 not found (set MAILSLEUTH_LIB); tried: " + ", ".join(tried))


def _declare(lib):
    P, S, I = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    sig = {
        "msl_api_open": (P, [ctypes.POINTER(S), ctypes.c_size_t, ctypes.POINTER(_Opts)]),
        "msl_api_close": (None, [P]),
        "msl_api_status": (I, [P]),
        "msl_api_errmsg": (S, [P]),
        "msl_api_search": (I, [P, S]),
        "msl_api_next": (I, [P, ctypes.POINTER(P)]),
        "msl_api_rec_kind": (I, [P]),
        "msl_api_rec_json": (ctypes.c_void_p, [P]),
        "msl_api_trace": (I, [P, S, ctypes.POINTER(ctypes.c_void_p)]),
        "msl_api_free": (None, [P]),
        "msl_api_version": (S, []),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    return lib


_lib = None


def _library():
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def _b(s):
    return s.encode("utf-8", "surrogateescape") if isinstance(s, str) else bytes(s)


def _text(p):
    return ctypes.string_at(p).decode("utf-8")


class _Handle:
    """One C handle (one pass over the inputs)."""

    def __init__(self, run, kinds):
        lib = _library()
        self._lib = lib
        paths = [_b(os.fspath(p)) for p in run.paths]
        self._paths = (ctypes.c_char_p * len(paths))(*paths)
        confs = [_b(os.fspath(p)) for p in run.site_configs]
        self._confs = (ctypes.c_char_p * max(1, len(confs)))(*confs)
        o = _Opts(size=ctypes.sizeof(_Opts), tz=_b(run.tz) if run.tz is not None else None,
                  year=run.year or 0, kinds=kinds, site_configs=self._confs,
                  nsite_configs=len(confs), rules=_b(run.rules) if run.rules else None,
                  threads=run.threads or 0)
        self._h = lib.msl_api_open(self._paths, len(paths), ctypes.byref(o))
        if not self._h:
            raise MemoryError("libmailsleuth: out of memory")
        if lib.msl_api_status(self._h):
            self._raise(lib.msl_api_status(self._h))
        if run.search is not None:
            rc = lib.msl_api_search(self._h, _b(run.search))
            if rc:
                self._raise(rc)

    def _raise(self, code):
        msg = self._lib.msl_api_errmsg(self._h).decode("utf-8", "replace")
        self.close()
        raise Error(msg, code)

    def records(self):
        rec = ctypes.c_void_p()
        try:
            while True:
                rc = self._lib.msl_api_next(self._h, ctypes.byref(rec))
                if rc == _RECORD:
                    yield json.loads(_text(self._lib.msl_api_rec_json(rec)))
                elif rc == _END:
                    return
                else:
                    self._raise(rc)
        finally:
            self.close()

    def trace(self, expr):
        out = ctypes.c_void_p()
        rc = self._lib.msl_api_trace(self._h, _b(expr), ctypes.byref(out))
        try:
            text = _text(out) if out.value else None
        finally:
            if out.value:
                self._lib.msl_api_free(out)
        if rc:
            self._raise(rc)
        self.close()
        return json.loads(text)

    def close(self):
        if getattr(self, "_h", None):
            self._lib.msl_api_close(self._h)
            self._h = None

    def __del__(self):
        self.close()


class Run:
    """A set of inputs with options.  Iterating gives the kinds chosen at open;
    .messages(), .recipients(), .sessions(), .events() and .findings() each read the inputs
    once more for one kind.  Options are checked at open (a bad zone raises there)."""

    def __init__(self, paths, tz=None, kinds=None, year=None, site_config=(), rules=None,
                 threads=None, search=None):
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        self.paths = list(paths)
        self.tz, self.year, self.rules, self.threads, self.search = tz, year, rules, threads, search
        self.site_configs = [site_config] if isinstance(site_config, str) else list(site_config)
        self.kinds = _kinds(kinds or ["messages"])
        self._first = _Handle(self, self.kinds)  # checks the options now

    def __iter__(self):
        h, self._first = self._first, None
        return (h or _Handle(self, self.kinds)).records()

    def _one(self, kind):
        return _Handle(self, KINDS[kind]).records()

    def events(self):
        return self._one("events")

    def messages(self):
        return self._one("messages")

    def recipients(self):
        return self._one("recipients")

    def sessions(self):
        return self._one("sessions")

    def findings(self):
        return self._one("findings")

    def trace(self, expr):
        """The story of the messages matching expr (the search language), as
        `mailsleuth trace --expr EXPR -f json` gives it, as a dict."""
        return _Handle(self, self.kinds).trace(expr)

    def to_dataframe(self, kind="messages"):
        """The records of one kind as a pandas DataFrame (pandas must be installed)."""
        import pandas  # optional dependency
        return pandas.DataFrame(list(self._one(kind)))


def _kinds(kinds):
    if isinstance(kinds, str):
        kinds = [kinds]
    bits = 0
    for k in kinds:
        if k not in KINDS:
            raise Error("unknown record kind %r (one of %s)" % (k, ", ".join(KINDS)))
        bits |= KINDS[k]
    return bits


def open(paths, tz=None, kinds=None, year=None, site_config=(), rules=None, threads=None,
         search=None):
    """Opens log files, folders or archives.  tz: zone of zone-less stamps ("UTC",
    "+02:00", "Europe/Berlin"; None = the machine's).  kinds: any of "events", "messages",
    "recipients", "sessions", "findings" (default messages).  search: a search expression
    (doc/SEARCH.md) the messages, recipients, sessions and events must match."""
    return Run(paths, tz=tz, kinds=kinds, year=year, site_config=site_config, rules=rules,
               threads=threads, search=search)


def version():
    """The version of the libmailsleuth loaded."""
    return _library().msl_api_version().decode()
