"""Checks docs/openapi.yaml: it validates as OpenAPI (openapi-spec-validator); it says contract
version 2 everywhere (info.version, the Sidkit-Contract header of every response, the Rust
CONTRACT_VERSION); the contract's paths and methods are there; the Sidkit-Flow-Key header is
required on every flow-scoped operation and flowKeyChallenge in the start request; every
operation documents 404, 405 (with Allow), 500 and, with a body, 413 and 415 as
application/problem+json, and every retryable status Retry-After; the ProblemCode enum is
exactly `error_codes::ALL` of core/contract/src/problem.rs (with the statuses of `describe`);
the /qr server-sent events are described; and every Rust contract message (samples printed by
`cargo run -p sidkit-contract --example contract_samples`) has each field in its schema and
validates against it. Prints "N passed, N failed" last."""
import json
import pathlib
import re
import sys

import jsonschema
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

spec_path, samples_path = sys.argv[1], sys.argv[2]
PROBLEM_RS = pathlib.Path(__file__).resolve().parents[2] / "core/contract/src/problem.rs"
CONTRACT = "2"
KEY_PATTERN = "^[A-Za-z0-9_-]{43}$"
passed = failed = 0


def check(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {why}")


spec_dict, _ = read_from_filename(spec_path)
try:
    validate(spec_dict)
    check("openapi.yaml validates (openapi-spec-validator)", True)
except Exception as e:  # noqa: BLE001
    check("openapi.yaml validates (openapi-spec-validator)", False, str(e)[:500])

spec = yaml.safe_load(open(spec_path, encoding="utf-8"))
comp = spec["components"]
schemas = comp["schemas"]


def deref(obj):
    """`obj` with its `$ref`s into components followed."""
    while isinstance(obj, dict) and "$ref" in obj:
        _, _, section, name = obj["$ref"].split("/")
        obj = comp[section][name]
    return obj


def ref_name(obj):
    return obj.get("$ref", "").split("/")[-1] if isinstance(obj, dict) else ""


# --- paths, operations, version -------------------------------------------------------------

CONTRACT_OPS = {
    "/flows": ["post"],
    "/flows/{flowHandle}": ["get", "delete"],
    "/flows/{flowHandle}/complete": ["post"],
    "/flows/{flowHandle}/qr": ["get"],
}
for path, methods in CONTRACT_OPS.items():
    for m in methods:
        check(f"{m.upper()} {path}", m in spec["paths"].get(path, {}))

ops = [
    (path, m, op, item)
    for path, item in spec["paths"].items()
    for m, op in item.items()
    if m in ("get", "put", "post", "delete", "patch", "head", "options", "trace")
]

check(
    "Idempotency-Key parameter",
    comp["parameters"]["IdempotencyKey"]["name"] == "Idempotency-Key",
)
contract_header = comp["headers"].get("SidkitContract", {})
check(
    f"info.version major is the contract version {CONTRACT}",
    str(spec["info"]["version"]).split(".")[0] == CONTRACT,
)
check(
    f"Sidkit-Contract header is required and const {CONTRACT}",
    contract_header.get("required") is True
    and contract_header.get("schema", {}).get("const") == CONTRACT,
)
problem_rs = PROBLEM_RS.read_text(encoding="utf-8")
m = re.search(r"pub const CONTRACT_VERSION: u32 = (\d+);", problem_rs)
rust_version = m.group(1) if m else None
check(
    "Sidkit-Contract equals CONTRACT_VERSION of problem.rs",
    rust_version == contract_header.get("schema", {}).get("const"),
    f"problem.rs says {rust_version}",
)

for path, method, op, _ in ops:
    for status, resp in op.get("responses", {}).items():
        h = deref(resp).get("headers", {}).get("Sidkit-Contract", {})
        check(
            f"{method.upper()} {path} {status}: Sidkit-Contract header",
            ref_name(h) == "SidkitContract",
        )

# --- the flow key ---------------------------------------------------------------------------

fk = comp["parameters"].get("FlowKey", {})
check(
    "Sidkit-Flow-Key parameter: header, required, 43 Base64URL characters",
    fk.get("name") == "Sidkit-Flow-Key"
    and fk.get("in") == "header"
    and fk.get("required") is True
    and deref(fk.get("schema", {})).get("pattern") == KEY_PATTERN,
)
for path, method, op, item in ops:
    if "{flowHandle}" not in path:
        continue
    params = [deref(p) for p in item.get("parameters", []) + op.get("parameters", [])]
    check(
        f"{method.upper()} {path}: Sidkit-Flow-Key required",
        any(
            p.get("name") == "Sidkit-Flow-Key" and p.get("in") == "header" and p.get("required")
            for p in params
        ),
    )
start = schemas["StartFlowRequest"]
check(
    "StartFlowRequest: flowKeyChallenge required, 43 Base64URL characters, PKCE rule described",
    "flowKeyChallenge" in start.get("required", [])
    and start["properties"].get("flowKeyChallenge", {}).get("pattern") == KEY_PATTERN
    and "SHA-256" in start["properties"]["flowKeyChallenge"].get("description", ""),
)
check(
    "CompleteFlowRequest: flowHandle must equal the path's",
    "path" in schemas["CompleteFlowRequest"]["properties"]["flowHandle"].get("description", ""),
)
fin = schemas["PollFinished"]
check(
    "PollFinished: status and result required, outcome optional",
    set(fin.get("required", [])) == {"status", "result"}
    and set(fin["properties"].get("result", {}).get("enum", []))
    == {"authenticated", "signed", "failed"}
    and "outcome" in fin["properties"],
)

# --- statuses per operation -----------------------------------------------------------------


def is_problem(resp):
    return "application/problem+json" in deref(resp).get("content", {})


for path, method, op, _ in ops:
    name = f"{method.upper()} {path}"
    responses = op.get("responses", {})
    needed = ["404", "405", "500"] + (["413", "415"] if "requestBody" in op else [])
    for status in needed:
        check(f"{name}: {status} documented", status in responses)
    for status, resp in responses.items():
        if status[0] in "45" or status == "default":
            check(f"{name}: {status} is application/problem+json", is_problem(resp))
    if "405" in responses:
        allow = deref(responses["405"]).get("headers", {}).get("Allow", {})
        check(f"{name}: 405 with a required Allow header", deref(allow).get("required") is True)
    for status in ("429", "503"):
        if status in responses:
            ra = deref(deref(responses[status]).get("headers", {}).get("Retry-After", {}))
            check(f"{name}: {status} with a required Retry-After header", ra.get("required") is True)
cancel = spec["paths"]["/flows/{flowHandle}"]["delete"]["responses"]
check("DELETE /flows/{flowHandle}: 409 flow_finished", "flow_finished" in deref(cancel.get("409", {})).get("description", ""))
startr = spec["paths"]["/flows"]["post"]["responses"]
check("POST /flows: 409 idempotency_conflict", "idempotency_conflict" in deref(startr.get("409", {})).get("description", ""))
check("POST /flows: 400 contract_version", "contract_version" in deref(startr.get("400", {})).get("description", ""))
check("POST /flows: 429 and 503", "429" in startr and "503" in startr)

# --- problem codes: the enum is error_codes::ALL --------------------------------------------

consts = dict(re.findall(r'pub const ([A-Z_]+): &str = "([a-z_]+)";', problem_rs))
m = re.search(r"pub const ALL: \[&str; (\d+)\] = \[([^\]]*)\]", problem_rs)
rust_codes = {consts.get(n, n) for n in re.findall(r"[A-Z_]+", m.group(2))} if m else set()
check("error_codes::ALL parsed from problem.rs", bool(rust_codes) and len(rust_codes) == int(m.group(1)))
enum = set(schemas.get("ProblemCode", {}).get("enum", []))
check(
    "ProblemCode enum equals error_codes::ALL",
    enum == rust_codes,
    f"only in openapi.yaml: {sorted(enum - rust_codes)}; only in problem.rs: {sorted(rust_codes - enum)}",
)
check(
    "Problem.code refers to ProblemCode",
    any(ref_name(a) == "ProblemCode" for a in schemas["Problem"]["properties"]["code"].get("anyOf", [])),
)
statuses = {consts.get(n, n): s for n, s in re.findall(r"\b([A-Z_]+) => \((\d{3}),", problem_rs)}
code_doc = schemas.get("ProblemCode", {}).get("description", "")
for code in sorted(enum | rust_codes):
    status = statuses.get(code, "500")  # describe's fallback
    check(
        f"ProblemCode {code} documented with status {status} (describe in problem.rs)",
        f"`{code}` ({status}" in code_doc,
    )

# --- the /qr event stream -------------------------------------------------------------------

qr = spec["paths"]["/flows/{flowHandle}/qr"]["get"]
stream = qr["responses"].get("200", {}).get("content", {}).get("text/event-stream", {})
check("GET /flows/{flowHandle}/qr: 200 is text/event-stream", bool(stream))
check(
    "GET /flows/{flowHandle}/qr: says fetch(), not EventSource",
    "fetch()" in qr.get("description", "") and "EventSource" in qr.get("description", ""),
)
check("GET /flows/{flowHandle}/qr: x-itemSchema is QrEvent", ref_name(stream.get("x-itemSchema")) == "QrEvent")
mapping = schemas.get("QrEvent", {}).get("discriminator", {}).get("mapping", {})
for event, data in [("pending", "PollPending"), ("finished", "PollFinished"), ("problem", "Problem")]:
    ev = schemas.get(mapping.get(event, "/").split("/")[-1], {}).get("properties", {})
    check(
        f"QrEvent {event}: event: {event}, data {data} JSON",
        ev.get("event", {}).get("const") == event
        and ev.get("data", {}).get("contentMediaType") == "application/json"
        and ref_name(ev.get("data", {}).get("contentSchema")) == data,
    )

# --- the Rust samples -----------------------------------------------------------------------


def resolve(s):
    while "$ref" in s:
        s = schemas[s["$ref"].split("/")[-1]]
    return s


def walk(name, schema, value, where):
    schema = resolve(schema)
    if "oneOf" in schema and isinstance(value, dict):
        d = schema["discriminator"]
        tag = value.get(d["propertyName"])
        check(f"{name}: {where}{d['propertyName']}={tag} mapped", tag in d["mapping"])
        if tag not in d["mapping"]:
            return
        schema = schemas[d["mapping"][tag].split("/")[-1]]
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for k, v in value.items():
            check(f"{name}: {where}{k}", k in props, "missing in the schema")
            if k in props:
                walk(name, props[k], v, f"{where}{k}.")
        for r in schema.get("required", []):
            check(f"{name}: required {where}{r} is sent", r in value)


registry = Registry().with_resource(
    "urn:sidkit:openapi", Resource.from_contents(spec, default_specification=DRAFT202012)
)
for line in open(samples_path, encoding="utf-8"):
    name, _, js = line.strip().partition(" ")
    if not name:
        continue
    value = json.loads(js)
    check(f"schema {name} exists", name in schemas)
    if name not in schemas:
        continue
    walk(name, schemas[name], value, "")
    v = jsonschema.Draft202012Validator(
        {"$ref": f"urn:sidkit:openapi#/components/schemas/{name}"}, registry=registry
    )
    errors = [e.message[:200] for e in v.iter_errors(value)]
    label = f"{name} {value['code']}" if name == "Problem" else name
    check(f"sample {label} validates against its schema", not errors, "; ".join(errors))
    if name == "Problem":
        check(f"error code {value['code']} in ProblemCode", value["code"] in enum)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
