#!/usr/bin/env python3
"""API fuzzing of a real `footfall serve` with schemathesis (property-based, from the
server's own OpenAPI document at /api/openapi.json).

For each backend (SQLite in a temporary data dir, PostgreSQL in a fresh database) it
creates an admin with `footfall user create`, starts `footfall serve --bind
127.0.0.1:0` (no live cameras, no metrics listener), creates a viewer, a user, a camera
and an ingest API key, then sends generated requests (valid and invalid: schemathesis'
positive and negative modes) to every operation as five callers: anonymous, device (the
API key), viewer, user and admin. Each response is checked for:

  - not_a_server_error: no 5xx;
  - status_code_conformance, content_type_conformance, response_schema_conformance: the
    response is one the document declares, with the declared media type and schema;
  - role_access: no 2xx for a caller below the operation's `x-footfall-access`
    (public < viewer < user < admin; api_key and metrics_token only with that credential;
    anonymous is below everything non-public).

/api/graphql is fuzzed as a viewer with queries generated from its introspected schema:
no 5xx and no error the server reports as internal.

The example budget is fixed (--examples per operation and mode, derandomized), so a run
is reproducible; --seed N draws different examples. Exit status 1 on any failure, with a
curl command for each.

Destructive operations are not excluded; they run last within each caller's run (see
ORDER below): DELETE and PATCH, then the session-ending ones (change-password, logout,
logout-all), each with a session of its own so they cannot cut the caller's main session
short. The admin runs last, so what it deletes or deactivates no longer matters; the
server itself refuses to deactivate or demote the last active admin (409).

    scripts/fuzz-api.sh --examples 5 --backend both     # CI (scripts/test.sh)
    scripts/fuzz-api.sh --examples 200                  # longer, by hand
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


def ORDER(method: str, path: str) -> tuple[int, int]:
    """Sort key of an operation within one caller's run: harmless ones first, then
    DELETE and PATCH (they archive the camera, revoke the key, deactivate users), then
    the session-ending ones."""
    if (method, path) in SESSION_ENDING:
        return (2, SESSION_ENDING[(method, path)])
    if method in ("DELETE", "PATCH"):
        return (1, 0)
    return (0, 0)


# Reported defects the fuzzer must not count as failures until they are fixed, each
# matched as narrowly as the response allows: (caller, method, path, response, check) ->
# a short reason, or None.
AXUM_REJECTIONS = (
    "Failed to deserialize query string",  # Query<T> extractor
    "Invalid URL",  # Path<T> extractor ("Cannot parse `x` to a `i64`")
    "Connection header did not include 'upgrade'",  # WebSocketUpgrade on /api/v1/ws
)


def header(response, name: str) -> str:
    value = response.headers.get(name) or ""
    return value[0] if isinstance(value, list) else value  # schemathesis: name -> [values]


def known(caller: str, method: str, path: str, response, check: str) -> str | None:
    # KNOWN: axum's own extractor rejections (a path id or query parameter that does not
    # parse, a plain GET of /api/v1/ws) answer 400 with a text/plain message instead of
    # the {"error": ...} JSON body the document declares for 400 (and every other error
    # uses). Reported; the fix is in the server (map the rejections to ApiError).
    if (
        check == "content_type_conformance"
        and response.status_code == 400
        and header(response, "content-type").startswith("text/plain")
        and response.text.startswith(AXUM_REJECTIONS)
    ):
        return "400 text/plain from an axum extractor"
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
    ops.sort(key=lambda op: ORDER(op.method.upper(), op.path))

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
                    reason = known(caller, method, path, response, check)
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
                # Half the valid cases address a record that exists, so they get past 404.
                strategies.append(op.as_strategy(generation_mode=mode, path_parameters={"id": fixed}))
            try:
                run_cases(st.one_of(strategies), examples, seed, one)
            except Exception as e:  # generation failed (e.g. nothing negative to make), or a bug here
                if "negative" not in str(e).lower() and mode == GenerationMode.POSITIVE:
                    tally.failures.append(Failure(backend, caller, op.label, "error", None, repr(e), ""))
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
    if isinstance(failure, AssertionError) and "x-footfall-access" in str(failure) or " got " in str(failure):
        return "role_access"
    return type(failure).__name__


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
                response = case.call(base_url=api.base, session=session, headers=headers, timeout=REQUEST_TIMEOUT_S)
            except requests.RequestException as e:
                tally.failures.append(Failure(backend, "viewer", op.label, "request", None, repr(e), ""))
                return
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
            if problem and problem not in seen:
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
            f"{len(tally.failures)} failures ({time.monotonic() - t:.0f} s)")
        failures += tally.failures
        for caller in args.callers:
            ensure_camera(api, fx)
            t = time.monotonic()
            coverage = args.coverage == "all" or args.coverage == caller
            tally = fuzz_rest(backend, api, schema, spec, caller, fx, args.examples, args.seed, coverage)
            note = "".join(f"; known, not counted: {n} x {why}" for why, n in tally.known.items())
            log(f"[{backend}] rest/{caller}: {tally.operations} operations, {tally.cases} cases, "
                f"{len(tally.failures)} failures{note} ({time.monotonic() - t:.0f} s)")
            failures += tally.failures
        if server.proc.poll() is not None:
            failures.append(Failure(backend, "-", "server", "crashed", None, server.tail(), ""))
        log(f"[{backend}] done in {time.monotonic() - started:.0f} s (setup {setup_s:.0f} s); "
            f"{len(failures)} failures; server log: {server.log_path}")
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
