#!/usr/bin/env python3
"""API fuzzing of a real `footfall serve` with schemathesis, from the server's own OpenAPI
document (/api/openapi.json).

For each backend (SQLite in a temporary data dir, PostgreSQL in a fresh database) it
creates an admin with `footfall user create`, starts `footfall serve --bind 127.0.0.1:0`
(no cameras run, no metrics listener), creates a viewer, a user, a camera and an ingest
API key over the API, and then sends every operation generated requests as five callers
in turn: anonymous, device (the API key), viewer, user, admin. Per operation and caller:
--examples valid and --examples invalid cases (schemathesis' positive and negative
modes, derandomized, so a run is reproducible; --seed N draws others), some addressing
the fixture records and some built from near-valid bodies (SEEDS), plus, for admin by
default, schemathesis' coverage-phase cases (boundary values). Each response is checked:

  - not_a_server_error: no 5xx;
  - status_code_conformance, content_type_conformance, response_schema_conformance: a
    status, media type and body the document declares;
  - role_access: no 2xx to a caller below the operation's `x-footfall-access`: viewer <
    user < admin; api_key only with the key; metrics_token never (none configured);
    anonymous and the device below every role.

/api/graphql is fuzzed as a viewer with queries generated from its schema (introspected
type by type: the server's depth limit refuses the standard introspection query): no
5xx and no error the server reports as internal.

Destructive operations are not excluded; they run last in each caller's run (order_key):
DELETE and PATCH, then the session-ending ones (change-password, logout, logout-all),
each with a session of its own so the caller's main session survives them. Admin runs
last, so what it archives, revokes or deactivates no longer matters; its seeds never
create or promote another admin, so the server's last-admin rule (409) keeps admin 1
active. Known, reported server defects would be matched narrowly in known().

Exit status 1 on any failure, with a curl command per failure ($BASE, $TOKEN: start a
server as run_backend does; the data dir with serve.log is kept after a failure).

    scripts/fuzz-api.sh --examples 5 --backend both     # CI (scripts/test.sh)
    scripts/fuzz-api.sh --examples 200 --stats          # longer, by hand
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

PASSWORD = "Fuzz-Secret-4821"
ROLE_RANK = {"anonymous": 0, "device": 0, "viewer": 1, "user": 2, "admin": 3}
REQUEST_TIMEOUT_S = 30
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"

# Operations that end the caller's session(s); each gets a session of its own and runs
# after everything else (logout-all, which ends every session of the user, last).
SESSION_ENDING = {
    ("POST", "/api/v1/auth/change-password"): 1,
    ("POST", "/api/v1/auth/logout"): 2,
    ("POST", "/api/v1/auth/logout-all"): 3,
}


def order_key(method: str, path: str) -> tuple[int, int]:
    """Sort key of an operation within one caller's run: harmless ones first, then
    DELETE and PATCH (they archive the camera, revoke the key, deactivate users), then
    the session-ending ones."""
    if (method, path) in SESSION_ENDING:
        return (2, SESSION_ENDING[(method, path)])
    if method in ("DELETE", "PATCH"):
        return (1, 0)
    return (0, 0)


def header(response, name: str) -> str:
    value = response.headers.get(name) or ""
    return value[0] if isinstance(value, list) else value  # schemathesis: name -> [values]


def known(backend: str, method: str, path: str, response, check: str) -> str | None:
    """Server defects the fuzzer tolerates until they are fixed, each matched as narrowly
    as the response allows (a short reason), or None. None today: the two it found (a NUL
    character answered 500 on PostgreSQL; axum's plain-text 400s for a path id or query
    value that does not parse) are fixed in the server and tested in crates/server/tests."""
    return None


@dataclass
class Failure:
    backend: str
    caller: str
    label: str
    check: str
    status: int | None
    message: str
    curl: str


@dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    failures: list[Failure] = field(default_factory=list)
    known: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)  # operation -> status -> n
    samples: dict[str, set[str]] = field(default_factory=dict)  # operation -> some 4xx messages


def st_config() -> schemathesis.Config:
    # Not discovered from a schemathesis.toml; reproductions show the real bodies (the
    # callers' tokens are replaced by $TOKEN in the curl commands instead).
    return schemathesis.Config.from_dict({"output": {"sanitization": {"enabled": False}}})


def log(msg: str) -> None:
    print(msg, flush=True)


# ----------------------------------------------------------------------------- server


class Server:
    """`footfall serve` on an ephemeral port; stderr goes to a log file, drained by a
    thread so the server never blocks on a full pipe."""

    def __init__(self, binary: str, env: dict[str, str], cwd: Path):
        self.log_path = cwd / "serve.log"
        self.proc = subprocess.Popen(
            [binary, "serve", "--bind", "127.0.0.1:0"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.addr: str | None = None
        found = threading.Event()

        def drain() -> None:
            with open(self.log_path, "wb") as out:
                assert self.proc.stderr is not None
                for line in self.proc.stderr:
                    out.write(line)
                    out.flush()
                    if self.addr is None:
                        m = re.match(rb"footfall serving on http://(\S+)", line)
                        if m:
                            self.addr = m.group(1).decode()
                            found.set()
            found.set()

        threading.Thread(target=drain, daemon=True).start()
        if not found.wait(60) or self.addr is None:
            self.stop()
            raise SystemExit(f"footfall serve did not start; log: {self.log_path}\n{self.tail()}")
        self.base = f"http://{self.addr}"

    def tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class Postgres:
    """A fresh database footfall_fuzz_<pid>_<n>, dropped afterwards."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.name = f"footfall_fuzz_{os.getpid()}_{int(time.time() * 1000) % 100000}"
        self._psql(f'CREATE DATABASE "{self.name}"')
        parts = urllib.parse.urlsplit(admin_url)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))

    def _psql(self, sql: str) -> None:
        subprocess.run(
            ["psql", self.admin_url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def drop(self) -> None:
        try:
            self._psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except subprocess.CalledProcessError as e:
            log(f"warning: could not drop database {self.name}: {e}")


# ------------------------------------------------------------------------------ setup


class Api:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base + path, headers=headers, timeout=REQUEST_TIMEOUT_S, **kw)

    def ok(self, method: str, path: str, token: str | None = None, expect: int = 200, **kw) -> dict:
        r = self.call(method, path, token, **kw)
        if r.status_code != expect:
            raise SystemExit(f"setup: {method} {path} answered {r.status_code}, expected {expect}: {r.text[:500]}")
        return r.json() if r.content else {}

    def login(self, username: str) -> str:
        body = self.ok("POST", "/api/v1/auth/login", json={"login": username, "password": PASSWORD})
        return body["access_token"]


@dataclass
class Fixtures:
    tokens: dict[str, str]  # caller -> main session's access token
    spare: dict[str, dict[tuple[str, str], str]]  # caller -> session-ending op -> token
    api_key: str
    ids: dict[str, int]  # path prefix -> an id that exists


def setup(api: Api) -> Fixtures:
    admin = api.login("admin")
    ids: dict[str, int] = {}
    for name in ("viewer", "user"):
        created = api.ok(
            "POST",
            "/api/v1/users",
            admin,
            expect=201,
            json={"username": f"fuzz{name}", "email": f"fuzz{name}@example.com", "password": PASSWORD, "role": name},
        )
        if name == "viewer":
            ids["/api/v1/users/"] = created["id"]
    camera = api.ok(
        "POST",
        "/api/v1/cameras",
        admin,
        expect=201,
        json={"name": "fuzz", "stream_url": "rtsp://10.1.2.3/live"},
    )
    ids["/api/v1/cameras/"] = camera["id"]
    key = api.ok("POST", "/api/v1/api-keys", admin, expect=201, json={"name": "fuzz", "camera_ids": [camera["id"]]})
    ids["/api/v1/api-keys/"] = key["api_key"]["id"]
    # Log every session in now: fuzzing /auth/login soon trips its per-address limit.
    tokens = {"admin": admin}
    spare: dict[str, dict[tuple[str, str], str]] = {}
    for caller in ("viewer", "user", "admin"):
        username = "admin" if caller == "admin" else f"fuzz{caller}"
        if caller != "admin":
            tokens[caller] = api.login(username)
        spare[caller] = {op: api.login(username) for op in SESSION_ENDING}
    tokens["graphql"] = api.login("fuzzviewer")
    return Fixtures(tokens=tokens, spare=spare, api_key=key["key"], ids=ids)


def ensure_camera(api: Api, fx: Fixtures) -> None:
    """The user's run archives the fixture camera (DELETE); give the next run a live one."""
    cam = fx.ids["/api/v1/cameras/"]
    if api.call("GET", f"/api/v1/cameras/{cam}", fx.tokens["admin"]).status_code == 200:
        return
    created = api.ok(
        "POST",
        "/api/v1/cameras",
        fx.tokens["admin"],
        expect=201,
        json={"name": f"fuzz-{cam + 1}", "stream_url": "rtsp://10.1.2.3/live"},
    )
    fx.ids["/api/v1/cameras/"] = created["id"]


# ------------------------------------------------------------------------------ fuzzing


def allowed(access: str, caller: str) -> bool:
    if access == "public":
        return True
    if access == "api_key":
        return caller == "device"
    if access == "metrics_token":
        return False  # no metrics token is configured
    return caller not in ("anonymous", "device") and ROLE_RANK[caller] >= ROLE_RANK[access]


def settings_for(examples: int, seed: int | None) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples,
        derandomize=seed is None,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # failures are recorded, never shrunk
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
        print_blob=False,
    )


def run_cases(strategy, examples: int, seed: int | None, body) -> None:
    """Run `body(case)` on up to `examples` cases drawn from `strategy`."""

    @settings_for(examples, seed)
    @hypothesis.given(case=strategy)
    def test(case) -> None:
        body(case)

    if seed is not None:
        test = hypothesis.seed(seed)(test)
    try:
        test()
    except hypothesis.errors.Unsatisfiable:
        pass


# Near-valid inputs for operations whose loose schemas (free strings for URLs, times, ids
# of other records) make random data nearly always 422: drawn beside the schema's own
# positive and negative cases so success paths and their response bodies get tested too.
# Each is a function of (fixtures, spec) -> {"body" or "query": strategy}.


def _rfc3339() -> st.SearchStrategy[str]:
    return st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)
    ).map(lambda t: t.isoformat().replace("+00:00", "Z"))


def _recent() -> st.SearchStrategy[str]:
    """Times ingest accepts (at most a year back)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return st.datetimes(
        min_value=now - timedelta(days=300), max_value=now + timedelta(minutes=1), timezones=st.just(timezone.utc)
    ).map(lambda t: t.isoformat().replace("+00:00", "Z"))


def _text(min_size: int = 0, max_size: int = 50) -> st.SearchStrategy[str]:
    """Printable text (names refuse control characters, ':' and '/')."""
    alphabet = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters=":/")
    return st.text(alphabet, min_size=min_size, max_size=max_size).filter(lambda t: not min_size or t.strip())


def _enum(spec: dict, name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(spec["components"]["schemas"][name]["enum"])


def _camera_body(fx: Fixtures, spec: dict) -> dict:
    point = st.fixed_dictionaries({"x": st.floats(0, 1), "y": st.floats(0, 1)})
    name64 = _text(1, 64)
    line = st.fixed_dictionaries(
        {"name": name64, "start": point, "end": point},
        optional={"mode": _enum(spec, "LineMode"), "anchor": _enum(spec, "Anchor"), "in": _enum(spec, "Side"),
                  "hysteresis": st.floats(0, 0.5), "min_crossing_frames": st.integers(0, 100)},
    )
    zone = st.fixed_dictionaries(
        {"name": name64, "polygon": st.lists(point, min_size=3, max_size=6)},
        optional={"anchor": _enum(spec, "Anchor"), "hysteresis": st.floats(0, 0.5), "min_dwell_s": st.floats(0, 3600)},
    )
    settings = st.fixed_dictionaries(
        {},
        optional={"detector_fps": st.floats(0.1, 60), "confidence": st.floats(0.05, 0.95),
                  "classes": st.lists(st.integers(0, 79), max_size=3), "motion_gate": st.booleans(),
                  "loop_file": st.booleans()},
    )
    body = st.fixed_dictionaries(
        {
            "name": _text(1, 100),
            "stream_url": st.sampled_from([
                "rtsp://10.1.2.3/live",
                "rtsp://cam:secret@10.1.2.3:554/stream1?token=abc",
                "http://10.1.2.3/video.mjpg",
                "https://cameras.example.com/live/index.m3u8",
            ]),
        },
        optional={
            "description": st.none() | _text(0, 200),
            "location": st.none() | _text(0, 100),
            "enabled": st.booleans(),
            "coordinates": st.none() | st.fixed_dictionaries({"lat": st.floats(-90, 90), "lon": st.floats(-180, 180)}),
            "settings": settings,
            "lines": st.lists(line, max_size=3),
            "zones": st.lists(zone, max_size=2),
            "metadata": st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=3),
        },
    )
    return {"body": body}


def _counts_query(fx: Fixtures, spec: dict) -> dict:
    query = st.fixed_dictionaries(
        {},
        optional={
            "from": _rfc3339(), "to": _rfc3339(),
            "bucket": st.sampled_from(["raw", "minute", "hour", "day", "month"]),
            "tz": st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"]),
            "limit": st.integers(-1, 20000), "offset": st.integers(-1, 10**6),
            "format": st.sampled_from(["json", "csv"]),
        },
    )
    return {"query": query}


def _ingest_counts(fx: Fixtures, spec: dict) -> dict:
    cam = st.just(fx.ids["/api/v1/cameras/"]) | st.integers(-1, 10)
    row = st.fixed_dictionaries(
        {"camera_id": cam, "timestamp": _recent()},
        optional={"people_in": st.integers(0, 2**31 - 1), "people_out": st.integers(0, 2**31 - 1),
                  "people_count": st.integers(0, 2**31 - 1), "detection_count": st.integers(0, 2**31 - 1),
                  "confidence_score": st.none() | st.floats(0, 1), "id": st.none() | st.text(max_size=40)},
    )
    return {"body": st.fixed_dictionaries({"results": st.lists(row, min_size=1, max_size=5)})}


def _ingest_events(fx: Fixtures, spec: dict) -> dict:
    cam = st.just(fx.ids["/api/v1/cameras/"]) | st.integers(-1, 10)
    event = st.fixed_dictionaries(
        {"camera_id": cam, "event_type": st.from_regex(r"[a-z0-9_.-]{1,50}", fullmatch=True), "timestamp": _recent()},
        optional={"severity": st.none() | _enum(spec, "EventSeverity"), "confidence_score": st.none() | st.floats(0, 1),
                  "data": st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=3),
                  "id": st.none() | st.text(max_size=40)},
    )
    return {"body": st.fixed_dictionaries({"events": st.lists(event, min_size=1, max_size=5)})}


SEEDS = {
    ("POST", "/api/v1/cameras"): _camera_body,
    ("PUT", "/api/v1/cameras/{id}"): _camera_body,
    ("GET", "/api/v1/counts"): _counts_query,
    ("GET", "/api/v1/cameras/{id}/counts"): _counts_query,
    ("POST", "/api/v1/ingest/counts"): _ingest_counts,
    ("POST", "/api/v1/ingest/events"): _ingest_events,
    ("POST", "/api/v1/users"): lambda fx, spec: {"body": st.from_regex(r"[a-z][a-z0-9_]{2,20}", fullmatch=True).flatmap(
        lambda u: st.fixed_dictionaries({
            "username": st.just(u), "email": st.just(f"{u}@example.com"),
            "password": st.just("Other-Secret-9931") | st.text(max_size=20),
            # Never admin: a second admin would let PATCH /users/1 deactivate the fuzzer.
            "role": st.sampled_from(["viewer", "user"]),
        }, optional={"first_name": st.none() | st.text(max_size=20), "last_name": st.none() | st.text(max_size=20)}))},
    ("PATCH", "/api/v1/users/{id}"): lambda fx, spec: {"body": st.fixed_dictionaries(
        {}, optional={"role": st.sampled_from(["viewer", "user"]), "is_active": st.booleans()})},
    ("POST", "/api/v1/api-keys"): lambda fx, spec: {"body": st.fixed_dictionaries({
        "name": _text(1, 50),
        "camera_ids": st.lists(st.just(fx.ids["/api/v1/cameras/"]) | st.integers(-1, 10), max_size=3)})},
    ("POST", "/api/v1/cameras/{id}/corrections"): lambda fx, spec: {"body": st.fixed_dictionaries(
        {"timestamp": _rfc3339(), "reason": _text(1, 100)},
        optional={"people_in": st.integers(-100_000, 100_000), "people_out": st.integers(-100_000, 100_000)})},
    ("GET", "/api/v1/events"): lambda fx, spec: {"query": st.fixed_dictionaries({}, optional={
        "camera_id": st.just(fx.ids["/api/v1/cameras/"]), "severity": _enum(spec, "EventSeverity"),
        "from": _rfc3339(), "to": _rfc3339(), "limit": st.integers(-1, 2000), "offset": st.integers(-1, 10**6)})},
    ("DELETE", "/api/v1/cameras/{id}"): lambda fx, spec: {"query": st.fixed_dictionaries(
        {}, optional={"purge": st.sampled_from(["true", "false"])})},
}


def fuzz_rest(
    backend: str,
    api: Api,
    schema,
    spec: dict,
    caller: str,
    fx: Fixtures,
    examples: int,
    seed: int | None,
    coverage: bool,
) -> Tally:
    tally = Tally()
    session = requests.Session()
    base = api.base
    ops = []
    for result in schema.get_all_operations():
        op = result.ok()
        if op is None:
            tally.failures.append(Failure(backend, caller, "?", "schema", None, str(result.err()), ""))
            continue
        ops.append(op)
    ops.sort(key=lambda op: order_key(op.method.upper(), op.path))

    def headers_for(method: str, path: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        if caller == "device":
            return {"X-Api-Key": fx.api_key}
        token = fx.spare[caller].get((method, path), fx.tokens[caller])
        return {"Authorization": f"Bearer {token}"}

    for op in ops:
        method, path = op.method.upper(), op.path
        access = spec["paths"][path][method.lower()].get("x-footfall-access")
        headers = headers_for(method, path)
        tally.operations += 1
        seen: set[tuple[str, int | None]] = set()

        def role_access(ctx, response, case) -> None:
            if access is None:
                raise AssertionError("the operation has no x-footfall-access")
            if 200 <= response.status_code < 300 and not allowed(access, caller):
                raise AssertionError(
                    f"{caller} got {response.status_code} from an operation that needs {access}"
                )

        def one(case) -> None:
            tally.cases += 1
            try:
                response = case.call(base_url=base, session=session, headers=headers, timeout=REQUEST_TIMEOUT_S)
            except requests.RequestException as e:
                tally.failures.append(
                    Failure(backend, caller, op.label, "request", None, f"{type(e).__name__}: {e}",
                            curl(case, headers, base))
                )
                return
            counts = tally.statuses.setdefault(op.label, {})
            counts[response.status_code] = counts.get(response.status_code, 0) + 1
            if response.status_code in (409, 422):
                samples = tally.samples.setdefault(op.label, set())
                if len(samples) < 4:
                    samples.add(f"{response.status_code} {response.text[:150]}")
            try:
                case.validate_response(
                    response,
                    checks=[
                        not_a_server_error,
                        status_code_conformance,
                        content_type_conformance,
                        response_schema_conformance,
                        role_access,
                    ],
                    headers=headers,
                )
            except (AssertionError, BaseExceptionGroup) as group:  # FailureGroup, or one check's
                failures = getattr(group, "exceptions", [group])
                for f in failures:
                    check = _check_name(f)
                    reason = known(backend, method, path, response, check)
                    if reason:
                        tally.known[reason] = tally.known.get(reason, 0) + 1
                        continue
                    key = (check, response.status_code)
                    if key in seen:
                        continue  # one reproduction per operation, check and status
                    seen.add(key)
                    tally.failures.append(
                        Failure(
                            backend,
                            caller,
                            op.label,
                            check,
                            response.status_code,
                            f"{getattr(f, 'title', '')}: {getattr(f, 'message', str(f))}".strip(": ")
                            + f"\n    response: {response.status_code} {response.text[:300]!r}",
                            curl(case, headers, base),
                        )
                    )

        if coverage:
            # schemathesis' coverage phase: deterministic boundary values, each parameter
            # and field at its edges, missing, null or of the wrong type.
            generation = schema.config.generation_for(operation=op, phase="coverage")
            try:
                for case in schema.iter_coverage_cases(
                    op,
                    generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                    generation_config=generation,
                ):
                    one(case)
            except Exception as e:
                tally.failures.append(Failure(backend, caller, op.label, "error", None, repr(e), ""))
        fixed = next((v for k, v in fx.ids.items() if path.startswith(k) and "{id}" in path), None)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = [op.as_strategy(generation_mode=mode)]
            if fixed is not None and mode == GenerationMode.POSITIVE:
                # Valid cases also address a record that exists, so they get past 404.
                strategies.append(op.as_strategy(generation_mode=mode, path_parameters={"id": fixed}))
            seed_fn = SEEDS.get((method, path))
            if seed_fn is not None and mode == GenerationMode.POSITIVE:
                path_parameters = {"id": fixed} if fixed is not None else None
                strategies.append(
                    st.fixed_dictionaries(seed_fn(fx, spec)).flatmap(
                        lambda kw, pp=path_parameters: op.as_strategy(generation_mode=mode, path_parameters=pp, **kw)
                    )
                )
            try:
                run_cases(st.one_of(strategies), examples, seed, one)
            except Exception as e:  # generation failed, or a bug here
                tally.failures.append(Failure(backend, caller, op.label, f"error ({mode.value})", None, repr(e), ""))
    return tally


def curl(case, headers: dict[str, str], base: str) -> str:
    """The case as a curl command against $BASE, credentials as $TOKEN / $API_KEY."""
    text = case.as_curl_command(headers=headers, base_url=base).replace(base, "$BASE")
    for name, value in headers.items():
        placeholder = "$API_KEY" if name == "X-Api-Key" else "Bearer $TOKEN"
        text = text.replace(value, placeholder)
    return text


def _check_name(failure: BaseException) -> str:
    checks = getattr(type(failure), "checks", ()) or ()
    if checks:
        return checks[0]
    # A custom check's AssertionError comes back titled "Custom check failed: `name`".
    m = re.search(r"`(\w+)`", str(getattr(failure, "title", "")))
    return m.group(1) if m else type(failure).__name__


def fuzz_graphql(backend: str, api: Api, token: str, examples: int, seed: int | None) -> Tally:
    tally = Tally()
    headers = {"Authorization": f"Bearer {token}"}
    url = api.base + "/api/graphql"
    # The standard introspection query nests deeper than the server allows (graphql.rs
    # MAX_DEPTH 6: "Query is nested too deep"), so the schema is read type by type.
    sdl = graphql_sdl(api, token)
    schema = schemathesis.graphql.from_file(sdl, config=st_config())
    session = requests.Session()
    for result in schema.get_all_operations():
        op = result.ok()
        if op is None:
            tally.failures.append(Failure(backend, "viewer", "graphql", "schema", None, str(result.err()), ""))
            continue
        tally.operations += 1
        seen: set[str] = set()

        def one(case) -> None:
            tally.cases += 1
            try:
                response = case.call(base_url=url, session=session, headers=headers, timeout=REQUEST_TIMEOUT_S)
            except requests.RequestException as e:
                tally.failures.append(Failure(backend, "viewer", op.label, "request", None, repr(e), ""))
                return
            counts = tally.statuses.setdefault(op.label, {})
            counts[response.status_code] = counts.get(response.status_code, 0) + 1
            problem = None
            if response.status_code >= 500:
                problem = "not_a_server_error"
            else:
                try:
                    errors = response.json().get("errors") or []
                except ValueError:
                    errors = []
                if any((e.get("extensions") or {}).get("code") == "internal" for e in errors):
                    problem = "graphql_internal_error"
            if problem and (reason := known(backend, "POST", "/api/graphql", response, problem)):
                tally.known[reason] = tally.known.get(reason, 0) + 1
            elif problem and problem not in seen:
                seen.add(problem)
                tally.failures.append(
                    Failure(
                        backend,
                        "viewer",
                        f"POST /api/graphql {op.label}",
                        problem,
                        response.status_code,
                        f"response: {response.status_code} {response.text[:300]!r}",
                        "curl -X POST " + url + " -H 'Authorization: Bearer $TOKEN' -H 'content-type: application/json' -d "
                        + _sh_quote(json.dumps(case.body if isinstance(case.body, dict) else {"query": str(case.body)})),
                    )
                )

        run_cases(op.as_strategy(), examples, seed, one)
    return tally


# Introspection is read one type at a time and only three type wrappers deep: the server
# refuses queries nested deeper than graphql.rs MAX_DEPTH (6), the standard introspection
# query included ("Query is nested too deep").
_REF3 = "kind name ofType { kind name ofType { kind name } }"
_REF2 = "kind name ofType { kind name }"
_TYPE_QUERY = (
    "query($n: String!) { __type(name: $n) { kind name "
    "fields { name args { name type { " + _REF2 + " } } type { " + _REF3 + " } } "
    "inputFields { name type { " + _REF3 + " } } enumValues { name } } }"
)
_BUILTIN_SCALARS = {"Int", "Float", "String", "Boolean", "ID"}
_PLACEHOLDER = {"Int": "1", "Float": "1.0", "String": '"x"', "Boolean": "true", "ID": '"1"'}


def graphql_sdl(api: Api, token: str) -> str:
    """SDL of the schema reachable from Query. A type nested deeper than three wrappers
    (e.g. `[CameraNode!]!`) is named by the server's own validation error for a probe
    selection under that field."""

    def gql(query: str, variables: dict | None = None) -> dict:
        return api.ok("POST", "/api/graphql", token, json={"query": query, "variables": variables or {}})

    def ref(t: dict | None, probe) -> tuple[str, str]:
        if t is None:  # wrappers ran out before the name: ask the server
            name = probe()
            return name, name
        if t["kind"] == "NON_NULL":
            inner, name = ref(t.get("ofType"), probe)
            return inner + "!", name
        if t["kind"] == "LIST":
            inner, name = ref(t.get("ofType"), probe)
            return "[" + inner + "]", name
        return t["name"], t["name"]

    def probe_for(wrap, field: dict):
        def probe() -> str:
            args = [
                f"{a['name']}: {_PLACEHOLDER.get(a['type']['ofType']['name'], '1')}"
                for a in field.get("args") or []
                if a["type"]["kind"] == "NON_NULL" and a["type"]["ofType"]["kind"] == "SCALAR"
            ]
            sel = field["name"] + (f"({', '.join(args)})" if args else "") + " { __fuzzProbe }"
            errors = " ".join(e.get("message", "") for e in gql(wrap(sel)).get("errors") or [])
            m = re.search(r'on type "(\w+)"', errors) or re.search(r'type "[\[\]!]*(\w+)[\[\]!]*" has no subfields', errors)
            if not m:
                raise SystemExit(f"graphql: cannot name the type of {field['name']}: {errors}")
            return m.group(1)

        return probe

    out: list[str] = []
    todo: list[tuple[str, object]] = [("Query", lambda sel: "{ " + sel + " }")]
    done: set[str] = set()
    while todo:
        name, wrap = todo.pop(0)
        if name in done or name in _BUILTIN_SCALARS:
            continue
        done.add(name)
        t = (gql(_TYPE_QUERY, {"n": name}).get("data") or {}).get("__type")
        if t is None:
            raise SystemExit(f"graphql introspection of {name} failed")
        if t["kind"] == "SCALAR":
            out.append(f"scalar {name}")
        elif t["kind"] == "ENUM":
            out.append(f"enum {name} {{ " + " ".join(v["name"] for v in t["enumValues"]) + " }")
        elif t["kind"] in ("OBJECT", "INPUT_OBJECT"):
            lines = []
            for f in t["fields"] or t["inputFields"] or []:
                args = []
                for a in f.get("args") or []:
                    text, inner = ref(a["type"], lambda: sys.exit(f"graphql: argument {a['name']} nests too deep"))
                    todo.append((inner, None))
                    args.append(f"{a['name']}: {text}")
                text, inner = ref(f["type"], probe_for(wrap, f))
                if t["kind"] == "OBJECT":
                    req = [
                        f"{a['name']}: {_PLACEHOLDER.get(a['type']['ofType']['name'], '1')}"
                        for a in f.get("args") or []
                        if a["type"]["kind"] == "NON_NULL" and a["type"]["ofType"]["kind"] == "SCALAR"
                    ]
                    head = f["name"] + (f"({', '.join(req)})" if req else "")
                    todo.append((inner, (lambda w, h: lambda sel: w(h + " { " + sel + " }"))(wrap, head)))
                else:
                    todo.append((inner, None))
                lines.append(f"  {f['name']}" + (f"({', '.join(args)})" if args else "") + f": {text}")
            keyword = "type" if t["kind"] == "OBJECT" else "input"
            out.append(f"{keyword} {name} {{\n" + "\n".join(lines) + "\n}")
        else:
            raise SystemExit(f"graphql: type {name} of kind {t['kind']} is not handled")
    return "\n\n".join(out) + "\n"


def _sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"


# ------------------------------------------------------------------------------- main


def known_note(tally: Tally) -> str:
    return "".join(f"; known, not counted: {n} x {why}" for why, n in tally.known.items())


def print_stats(tally: Tally) -> None:
    for label, counts in sorted(tally.statuses.items()):
        log(f"    {label}: " + ", ".join(f"{status} x {n}" for status, n in sorted(counts.items())))
        for sample in sorted(tally.samples.get(label, ())):
            log(f"        e.g. {sample}")


def run_backend(backend: str, args, binary: str) -> list[Failure]:
    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix=f"footfall-fuzz-{backend}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTFALL_")}
    env.update(
        FOOTFALL_DATABASE__DATA_DIR=str(data_dir),
        FOOTFALL_AUTH__ARGON2_MEMORY_KIB="1024",
        # Long runs outlast the default 15 minutes of an access token.
        FOOTFALL_AUTH__ACCESS_TOKEN_TTL_S="86400",
        FOOTFALL_SERVER__METRICS_BIND="",
        FOOTFALL_LIVE__ENABLED="false",
        RUST_LOG=env.get("RUST_LOG", "info"),
    )
    pg = None
    server = None
    failures: list[Failure] = []
    ok = False
    try:
        if backend == "postgres":
            pg = Postgres(os.environ.get("FOOTFALL_TEST_POSTGRES_URL", DEFAULT_PG_URL))
            env["FOOTFALL_DATABASE__URL"] = pg.url
        subprocess.run(
            [binary, "user", "create", "--username", "admin", "--email", "admin@example.com", "--role", "admin"],
            cwd=data_dir,
            env={**env, "FOOTFALL_PASSWORD": PASSWORD},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        server = Server(binary, env, data_dir)
        api = Api(server.base)
        fx = setup(api)
        spec = api.ok("GET", "/api/openapi.json")
        schema = schemathesis.openapi.from_dict(spec, config=st_config())
        setup_s = time.monotonic() - started

        t = time.monotonic()
        tally = fuzz_graphql(backend, api, fx.tokens["graphql"], args.examples, args.seed)
        log(f"[{backend}] graphql/viewer: {tally.operations} operations, {tally.cases} cases, "
            f"{len(tally.failures)} failures{known_note(tally)} ({time.monotonic() - t:.0f} s)")
        failures += tally.failures
        if args.stats:
            print_stats(tally)
        for caller in args.callers:
            ensure_camera(api, fx)
            t = time.monotonic()
            coverage = args.coverage == "all" or args.coverage == caller
            tally = fuzz_rest(backend, api, schema, spec, caller, fx, args.examples, args.seed, coverage)
            log(f"[{backend}] rest/{caller}: {tally.operations} operations, {tally.cases} cases, "
                f"{len(tally.failures)} failures{known_note(tally)} ({time.monotonic() - t:.0f} s)")
            failures += tally.failures
            if args.stats:
                print_stats(tally)
        if server.proc.poll() is not None:
            failures.append(Failure(backend, "-", "server", "crashed", None, server.tail(), ""))
        log_text = server.log_path.read_text(errors="replace")
        errors = log_text.count('"level":"ERROR"')
        if errors:
            log(f"[{backend}] note: {errors} ERROR lines in the server log")
        where = f"; server log: {server.log_path}" if failures or args.keep else ""
        log(f"[{backend}] done in {time.monotonic() - started:.0f} s (setup {setup_s:.0f} s); "
            f"{len(failures)} failures{where}")
        ok = not failures
    finally:
        if server is not None:
            server.stop()
        if pg is not None:
            pg.drop()
        if ok and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return failures


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples", type=int, default=5, help="cases per operation and generation mode (default 5)")
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: derandomized, fixed examples)")
    p.add_argument("--bin", default=os.environ.get("FOOTFALL_BIN")
                   or os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "debug", "footfall"))
    p.add_argument("--callers", default="anonymous,device,viewer,user,admin",
                   help="comma-separated subset of anonymous,device,viewer,user,admin (in this order)")
    p.add_argument("--coverage", choices=["none", "admin", "all"], default="admin",
                   help="also send schemathesis' coverage-phase cases (boundary values, about 2,000 "
                   "per caller) as admin, whose requests pass every access rule (default), or as every caller")
    p.add_argument("--stats", action="store_true", help="print the statuses each operation answered")
    p.add_argument("--keep", action="store_true", help="keep the temporary data dirs")
    args = p.parse_args()
    args.callers = [c for c in ("anonymous", "device", "viewer", "user", "admin") if c in args.callers.split(",")]
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        log(f"no footfall binary at {binary} (build it: cargo build -p footfall, or pass --bin)")
        return 2
    log(f"schemathesis {schemathesis.__version__}, {args.examples} examples per operation and mode, "
        f"seed {args.seed if args.seed is not None else 'derandomized'}, binary {binary}")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    failures: list[Failure] = []
    for backend in backends:
        failures += run_backend(backend, args, binary)
    if failures:
        log(f"\n{len(failures)} FAILURES (reproduce: start the server as this script does, then run the curl):")
        for f in failures:
            log(f"- [{f.backend}] {f.caller} {f.label}: {f.check} ({f.status})\n    {f.message}")
            if f.curl:
                log("    " + f.curl.replace("\n", "\n    "))
        return 1
    log("API fuzzing: no failures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
