#!/usr/bin/env python3
"""JSON schemas for kubeconform, made from the API definitions themselves (no schema repository is reachable).

  kube-schemas.py swagger SWAGGER.json OUTDIR    Kubernetes' OpenAPI v2 document (api/openapi-spec/swagger.json of
                                                 the k8s.io/kubernetes module): one schema per kind and version
  kube-schemas.py crds OUTDIR CRD.yaml...        the openAPIV3Schema of every version of each CustomResourceDefinition

Each schema is standalone (every $ref inlined) and strict (objects with declared properties accept no other
property), written to OUTDIR/<group>/<kind>_<version>.json (lower case; the core group is "v1"), i.e. the
kubeconform schema location OUTDIR/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json.
"""
import json
import os
import sys

INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
# Types Kubernetes serializes in a custom way: the OpenAPI document says "string", the API accepts more.
SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": INT_OR_STRING,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"oneOf": [{"type": "string"}, {"type": "number"}]},
}
DROP = {"description", "x-kubernetes-group-version-kind", "x-kubernetes-list-map-keys", "x-kubernetes-list-type",
        "x-kubernetes-patch-merge-key", "x-kubernetes-patch-strategy", "x-kubernetes-map-type",
        "x-kubernetes-unions", "x-kubernetes-validations", "x-kubernetes-embedded-resource"}


def strict_object(out, preserve_unknown):
    if "properties" in out and "additionalProperties" not in out and not preserve_unknown:
        out["additionalProperties"] = False


def inline(schema, definitions, stack):
    """The schema with every $ref replaced by its definition. A definition met again inside itself
    (JSONSchemaProps is recursive) becomes {}, which accepts anything there."""
    if isinstance(schema, list):
        return [inline(s, definitions, stack) for s in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[-1]
        if name in SPECIAL:
            return dict(SPECIAL[name])
        if name in stack:
            return {}
        return inline(definitions[name], definitions, stack | {name})
    out = {}
    for key, value in schema.items():
        if key in DROP:
            continue
        if key == "properties":
            out[key] = {p: inline(s, definitions, stack) for p, s in value.items()}
        elif key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not"):
            out[key] = inline(value, definitions, stack)
        else:
            out[key] = value
    strict_object(out, False)
    return out


def from_crd_schema(schema):
    """An OpenAPI v3 structural schema of a CRD as JSON schema: nullable, int-or-string and
    preserve-unknown-fields spelled the JSON-schema way."""
    if isinstance(schema, list):
        return [from_crd_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    if schema.get("x-kubernetes-int-or-string"):
        return dict(INT_OR_STRING)
    out = {}
    for key, value in schema.items():
        if key in DROP or key in ("nullable", "x-kubernetes-preserve-unknown-fields"):
            continue
        if key == "properties":
            out[key] = {p: from_crd_schema(s) for p, s in value.items()}
        elif key in ("items", "allOf", "anyOf", "oneOf", "not"):
            out[key] = from_crd_schema(value)
        elif key == "additionalProperties" and isinstance(value, dict):
            out[key] = from_crd_schema(value)
        else:
            out[key] = value
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    strict_object(out, preserve)
    return out


def with_identity(schema, group, version, kind):
    schema = dict(schema)
    props = dict(schema.get("properties", {}))
    props["apiVersion"] = {"type": "string", "enum": [f"{group}/{version}" if group else version]}
    props["kind"] = {"type": "string", "enum": [kind]}
    schema["properties"] = props
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return schema


def write(outdir, group, version, kind, schema):
    path = os.path.join(outdir, (group or version).lower(), f"{kind.lower()}_{version.lower()}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(schema, f, separators=(",", ":"), sort_keys=True)


def from_swagger(swagger_path, outdir):
    with open(swagger_path) as f:
        definitions = json.load(f)["definitions"]
    count = 0
    for name, definition in definitions.items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            schema = inline(definition, definitions, frozenset({name}))
            write(outdir, group, version, kind, with_identity(schema, group, version, kind))
            count += 1
    return count


def from_crds(outdir, paths):
    import yaml  # PyYAML: only CRDs come as YAML

    count = 0
    for path in paths:
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                for v in spec["versions"]:
                    schema = from_crd_schema(v["schema"]["openAPIV3Schema"])
                    kind = spec["names"]["kind"]
                    write(outdir, spec["group"], v["name"], kind, with_identity(schema, spec["group"], v["name"], kind))
                    count += 1
    return count


def main(argv):
    if len(argv) >= 3 and argv[0] == "swagger":
        n = from_swagger(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == "crds":
        n = from_crds(argv[1], argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if n == 0:
        print("kube-schemas: no schema written", file=sys.stderr)
        return 1
    print(f"kube-schemas: {n} schemas", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
