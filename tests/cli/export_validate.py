#!/usr/bin/env python3
"""Validates `timeline -f ecs|ecs-bulk|splunk-hec` output against the field definitions in
tests/data/export/ (ECS 8.11 types and allowed values; the HEC event format and the CIM Email
data model). Prints one line per problem and "N documents ok" on success; exit 1 on a problem.
Usage: export_validate.py ecs|ecs-bulk|splunk-hec DEFS_DIR < output"""
import datetime
import ipaddress
import json
import sys


def load_ecs(path):
    fields, allowed, expected = {}, {}, {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("#!allowed\t"):
            _, name, vals = line.split("\t")
            allowed[name] = set(vals.split())
        elif line.startswith("#!expected\t"):
            _, cat, vals = line.split("\t")
            expected[cat] = set(vals.split())
        elif line and not line.startswith("#"):
            parts = line.split("\t")
            fields[parts[0]] = (parts[1], len(parts) > 2 and parts[2] == "array")
    return fields, allowed, expected


def flatten(obj, prefix=""):
    for k, v in obj.items():
        name = prefix + k
        if isinstance(v, dict):
            yield from flatten(v, name + ".")
        else:
            yield name, v


def check_type(ftype, v):
    vals = v if isinstance(v, list) else [v]
    for x in vals:
        if x is None:
            continue
        if ftype in ("keyword", "wildcard", "match_only_text"):
            if not isinstance(x, str):
                return "not a string"
        elif ftype == "long":
            if not isinstance(x, int) or isinstance(x, bool):
                return "not an integer"
        elif ftype == "ip":
            try:
                ipaddress.ip_address(x)
            except (ValueError, TypeError):
                return "not an IP address"
        elif ftype == "date":
            try:
                datetime.datetime.fromisoformat(x.replace("Z", "+00:00"))
            except (ValueError, AttributeError):
                return "not an ISO 8601 date"
    return None


def ecs(lines, defs, bulk):
    fields, allowed, expected = load_ecs(defs + "/ecs-fields.tsv")
    bad, docs = [], 0
    i = 0
    while i < len(lines):
        if bulk:
            action = json.loads(lines[i])
            if list(action) != ["create"] or action["create"] != {}:
                bad.append(f"line {i + 1}: not a _bulk create action: {lines[i][:80]}")
            i += 1
            if i >= len(lines):
                bad.append("a _bulk action line without its document")
                break
        doc = json.loads(lines[i])
        docs += 1
        where = f"line {i + 1}"
        for name, v in flatten(doc):
            if name.startswith("mailsleuth."):
                continue
            if name not in fields:
                bad.append(f"{where}: {name} is not an ECS field")
                continue
            ftype, arr = fields[name]
            if arr and not isinstance(v, list):
                bad.append(f"{where}: {name} must be an array")
            err = check_type(ftype, v)
            if err:
                bad.append(f"{where}: {name}={v!r}: {err} ({ftype})")
            if name in allowed:
                for x in v if isinstance(v, list) else [v]:
                    if x not in allowed[name]:
                        bad.append(f"{where}: {name}={x!r} is not an allowed value")
        for req in ("@timestamp", "ecs.version", "event.kind", "message"):
            if req not in dict(flatten(doc)):
                bad.append(f"{where}: {req} missing")
        ev = doc.get("event", {})
        for cat in ev.get("category", []):
            for t in ev.get("type", []):
                if t not in expected.get(cat, set()):
                    bad.append(f"{where}: event.type {t} is not expected for category {cat}")
        i += 1
    return bad, docs


def hec(lines, defs):
    top, actions, cim = set(), set(), set()
    for line in open(defs + "/splunk-hec-cim-email.txt", encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("!top"):
            top = set(line.split()[1:])
        elif line.startswith("!action"):
            actions = set(line.split()[1:])
        else:
            cim.update(line.split())
    bad = []
    for n, line in enumerate(lines, 1):
        doc = json.loads(line)
        where = f"line {n}"
        for k in doc:
            if k not in top:
                bad.append(f"{where}: {k} is not a key of an HEC event")
        if not isinstance(doc.get("event"), dict) or not doc["event"]:
            bad.append(f"{where}: event missing or empty")
            continue
        t = doc.get("time")
        if not isinstance(t, (int, float)) or isinstance(t, bool) or t <= 0:
            bad.append(f"{where}: time must be epoch seconds")
        for k in ("host", "source", "sourcetype"):
            if k in doc and not isinstance(doc[k], str):
                bad.append(f"{where}: {k} must be a string")
        ev = doc["event"]
        if "action" in ev and ev["action"] not in actions:
            bad.append(f"{where}: action {ev['action']!r} is not a CIM Email action")
        for k, v in ev.items():
            if isinstance(v, (dict, list)):
                bad.append(f"{where}: event.{k} is not a flat value")
        for k in ("src", "recipient", "src_user", "internal_message_id", "message_id"):
            if k in ev and not isinstance(ev[k], str):
                bad.append(f"{where}: {k} must be a string")
        if not any(k in cim for k in ev):
            bad.append(f"{where}: no CIM Email field at all")
    return bad, len(lines)


def main():
    mode, defs = sys.argv[1], sys.argv[2]
    lines = [l for l in sys.stdin.read().split("\n") if l]
    try:
        if mode == "splunk-hec":
            bad, docs = hec(lines, defs)
        else:
            bad, docs = ecs(lines, defs, mode == "ecs-bulk")
    except json.JSONDecodeError as e:
        print(f"not JSON: {e}")
        return 1
    for b in bad[:20]:
        print(b)
    if bad:
        print(f"{len(bad)} problems")
        return 1
    print(f"{docs} documents ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
