"""Validate real traffic against sync/contract/openapi.yaml (both directions).

``ValidatingTransport`` wraps httpx's transport: every request the kiosk's
client sends and every reply the server returns is checked against the
operation's schemas (status, content type, JSON body, required headers), so
client and server cannot drift from the contract without a test failing.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from jsonschema import Draft202012Validator

SPEC_PATH = Path(__file__).resolve().parents[2] / "sync" / "contract" / "openapi.yaml"


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text("utf-8"))


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    root = dict(schema)
    root["components"] = spec()["components"]
    return Draft202012Validator(root)


def _resolve(obj: dict[str, Any]) -> dict[str, Any]:
    ref = obj.get("$ref")
    if not ref:
        return obj
    node: Any = spec()
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return _resolve(node)


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    for template, item in spec()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            op = item.get(method.lower())
            if op is None:
                raise AssertionError(f"{method} {path}: method not in the contract")
            return template, op
    raise AssertionError(f"{path}: path not in the contract")


class ContractViolation(AssertionError):
    pass


def _check(schema: dict[str, Any], data: Any, what: str) -> None:
    errors = sorted(_validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        raise ContractViolation(f"{what}: {errors[0].message} at {list(errors[0].path)}")


def validate_request(method: str, path: str, content_type: str, body: bytes) -> None:
    _, op = operation(method, path)
    rb = op.get("requestBody")
    if rb is None:
        if body:
            raise ContractViolation(f"{method} {path}: body sent but none in the contract")
        return
    ctype = content_type.split(";")[0].strip()
    content = _resolve(rb)["content"]
    if ctype not in content:
        raise ContractViolation(f"{method} {path}: request content type {ctype} not allowed")
    if ctype == "application/json":
        _check(content[ctype]["schema"], json.loads(body), f"{method} {path} request")


def validate_response(method: str, path: str, status: int, headers: httpx.Headers,
                      body: bytes) -> None:
    _, op = operation(method, path)
    responses = op["responses"]
    resp = responses.get(str(status)) or responses.get("default")
    if resp is None:
        raise ContractViolation(f"{method} {path}: status {status} not in the contract")
    resp = _resolve(resp)
    for name, header in (resp.get("headers") or {}).items():
        if header.get("required") and name.lower() not in headers:
            raise ContractViolation(f"{method} {path} {status}: header {name} missing")
    content = resp.get("content")
    if not content or method == "HEAD":
        return
    ctype = headers.get("content-type", "").split(";")[0].strip()
    if ctype not in content:
        raise ContractViolation(f"{method} {path} {status}: content type {ctype} not allowed")
    if ctype.endswith("json"):
        _check(content[ctype]["schema"], json.loads(body), f"{method} {path} {status} reply")


class ValidatingTransport(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.checked: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        path = request.url.path
        validate_request(request.method, path, request.headers.get("content-type", ""), body)
        response = self.inner.handle_request(request)
        raw = b"".join(response.iter_raw())
        response.close()
        decoded = httpx.Response(response.status_code, headers=response.headers, content=raw)
        validate_response(request.method, path, response.status_code, response.headers,
                          decoded.content if response.status_code != 304 else b"")
        self.checked.append(f"{request.method} {path} {response.status_code}")
        return httpx.Response(response.status_code, headers=response.headers, content=raw,
                              extensions=response.extensions)

    def close(self) -> None:
        self.inner.close()
