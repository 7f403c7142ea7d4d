"""Checks docs/openapi.yaml: it validates as OpenAPI (openapi-spec-validator), the contract's
paths and methods are there, and every field of every Rust contract message (samples printed by
`cargo run -p sidkit-contract --example contract_samples`) appears in its schema. Prints
"N passed, N failed" last."""
import json
import sys

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

spec_path, samples_path = sys.argv[1], sys.argv[2]
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
schemas = spec["components"]["schemas"]

for path, methods in {
    "/flows": ["post"],
    "/flows/{flowHandle}": ["get", "delete"],
    "/flows/{flowHandle}/complete": ["post"],
    "/flows/{flowHandle}/qr": ["get"],
}.items():
    for m in methods:
        check(f"{m.upper()} {path}", m in spec["paths"].get(path, {}))

check(
    "Idempotency-Key parameter",
    spec["components"]["parameters"]["IdempotencyKey"]["name"] == "Idempotency-Key",
)
check("Sidkit-Contract header", "SidkitContract" in spec["components"]["headers"])
check(
    "info.version major is the contract version 1",
    str(spec["info"]["version"]).split(".")[0] == "1",
)


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


codes_doc = " ".join(schemas["Problem"]["properties"]["code"]["examples"])
for line in open(samples_path, encoding="utf-8"):
    name, _, js = line.strip().partition(" ")
    if not name:
        continue
    value = json.loads(js)
    check(f"schema {name} exists", name in schemas)
    if name in schemas:
        walk(name, schemas[name], value, "")
    if name == "Problem":
        check(f"error code {value['code']} documented", value["code"] in codes_doc.split())

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
