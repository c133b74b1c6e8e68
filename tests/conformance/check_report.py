#!/usr/bin/env python3
"""Validates a meshsim ConformanceReport (JSON) against conformance-report.schema.json with a small
JSON Schema validator (the keywords the schema uses: type, const, enum, required, properties,
additionalProperties, items, minItems, minLength, minimum, pattern, $ref), then checks that its
counts match the suite: every scenario file below SUITE (outside pending/) is counted exactly once
as Passed, Failed or Skipped, in the profile its spec.conformance names.

usage: check_report.py SCHEMA REPORT.json SUITE [--expect-failed N] [--reject]
  --reject: the report must NOT validate (to show that the validator can fail)."""
import json
import os
import re
import sys

TYPES = {"object": dict, "array": list, "string": str, "integer": int}


def validate(schema, value, root, path, errors):
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        schema = root["$defs"][ref[len("#/$defs/"):]]
    t = schema.get("type")
    if t is not None and (not isinstance(value, TYPES[t]) or isinstance(value, bool)):
        errors.append("%s: expected %s, got %r" % (path, t, value))
        return
    if "const" in schema and value != schema["const"]:
        errors.append("%s: expected %r, got %r" % (path, schema["const"], value))
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r is not one of %r" % (path, value, schema["enum"]))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append("%s: shorter than %d" % (path, schema["minLength"]))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append("%s: %r does not match %s" % (path, value, schema["pattern"]))
    if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
        errors.append("%s: %d < %d" % (path, value, schema["minimum"]))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append("%s: fewer than %d items" % (path, schema["minItems"]))
        for i, item in enumerate(value):
            validate(schema.get("items", {}), item, root, "%s[%d]" % (path, i), errors)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append("%s: missing %s" % (path, key))
        for key, v in value.items():
            if key in props:
                validate(props[key], v, root, path + "." + key, errors)
            elif schema.get("additionalProperties", True) is False:
                errors.append("%s: unknown field %s" % (path, key))


def suite_profiles(suite):
    """test ID -> profile, read from the scenario files (the block is plain YAML we wrote)."""
    out = {}
    for dirpath, _, files in os.walk(suite):
        if os.path.relpath(dirpath, suite).split(os.sep)[0] == "pending":
            continue
        for f in files:
            if not f.endswith((".yaml", ".yml")):
                continue
            text = open(os.path.join(dirpath, f)).read()
            if not re.search(r"^kind: Scenario$", text, re.M):
                continue
            name = re.search(r"^  name: (\S+)$", text, re.M).group(1)
            m = re.search(r"^  conformance:\n    profile: (\S+)$", text, re.M)
            out[name] = m.group(1) if m else None
    return out


def main():
    args = sys.argv[1:]
    reject = "--reject" in args
    expect_failed = None
    if "--expect-failed" in args:
        i = args.index("--expect-failed")
        expect_failed = int(args[i + 1])
        del args[i:i + 2]
    args = [a for a in args if a != "--reject"]
    schema_path, report_path, suite = args
    schema = json.load(open(schema_path))
    report = json.load(open(report_path))
    errors = []
    validate(schema, report, schema, "report", errors)
    if reject:
        if errors:
            print("rejected: " + errors[0])
            return 0
        print("error: the schema accepted a report it should reject")
        return 1
    if errors:
        print("invalid:\n  " + "\n  ".join(errors))
        return 1
    print("validates against the schema")
    expected = suite_profiles(suite)
    counted = {}
    totals = {"Passed": 0, "Failed": 0, "Skipped": 0}
    for p in report["profiles"]:
        for level in ("core", "extended"):
            status = p.get(level)
            if status is None:
                continue
            for k in totals:
                totals[k] += status["statistics"][k]
            for t in status.get("failedTests", []) + status.get("skippedTests", []):
                counted[t] = p["name"]
    n = sum(totals.values())
    if n != len(expected):
        print("error: the report counts %d tests, the suite has %d scenario files" % (n, len(expected)))
        return 1
    for t, profile in counted.items():
        if expected.get(t) != profile:
            print("error: test %s reported in profile %s, its file says %s" % (t, profile, expected.get(t)))
            return 1
    per_profile = {}
    for name, profile in expected.items():
        per_profile[profile] = per_profile.get(profile, 0) + 1
    for p in report["profiles"]:
        got = sum(p[l]["statistics"][k] for l in ("core", "extended") if l in p for k in totals)
        if got != per_profile.get(p["name"], 0):
            print("error: profile %s counts %d tests, the suite has %d" % (p["name"], got, per_profile.get(p["name"], 0)))
            return 1
    if expect_failed is not None and totals["Failed"] != expect_failed:
        print("error: %d failed tests, expected %d" % (totals["Failed"], expect_failed))
        return 1
    print("counts match the suite: %d tests (%d passed, %d failed, %d skipped)" %
          (n, totals["Passed"], totals["Failed"], totals["Skipped"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
