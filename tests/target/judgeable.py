#!/usr/bin/env python3
"""Prints the conformance scenarios whose expectations a --target run can all judge from outside.

Usage: judgeable.py FOLDER. A scenario qualifies when it has no events and no workload
behaviours, every stream is plain `from: ingress` traffic to gateway port 80 (no rate,
concurrency, start or followRedirects), and every expectation is a traffic expectation without
attempts, responseFlags or latency (docs/conformance.md, "Against meshsim serve").
"""
import pathlib
import sys

import yaml

INSIDE = {"attempts", "responseFlags", "latency"}


def judgeable(spec):
    if spec.get("events") or spec.get("workloads"):
        return False
    for t in spec.get("traffic") or []:
        url = str((t.get("request") or {}).get("url", ""))
        host = url.split("://", 1)[-1].split("/", 1)[0]
        if t.get("from", "ingress") != "ingress" or (":" in host and not host.endswith(":80")):
            return False
        if any(k in t for k in ("rate", "start", "followRedirects")) or t.get("concurrency", 1) != 1:
            return False
    for e in spec.get("expect") or []:
        if "traffic" not in e or INSIDE & set(e):
            return False
    return True


for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.yaml")):
    if "pending" in path.parts or "known-bugs" in path.parts:
        continue
    doc = yaml.safe_load(path.read_text())
    if isinstance(doc, dict) and doc.get("kind") == "Scenario" and judgeable(doc.get("spec") or {}):
        print(path)
