#!/usr/bin/env python3
"""Turns the raw outputs of bench/run (OUT/raw/*.json) into OUT/results.json, OUT/results.md and
OUT/p99.svg. Standard library only: the SVG is written by hand because matplotlib is not part of
the machine's Python."""
import argparse
import datetime
import html
import json
import math
import os
import platform
import re
import statistics
from typing import NamedTuple

SERVERS = ["pulseboard", "node-baseline", "article-uws", "uws-fanout"]
# What each peer is (bench/peers/*), named in the results.
UWS_PACKAGE = "@trufflesuite/uws-js-unofficial 20.30.0-unofficial.0"
PEER_NOTES = {
    "pulseboard": "this gateway (C++, Boost.Beast)",
    "node-baseline": "the article's server.js: Socket.IO 4.8 on Node's http server, Redis adapter",
    "article-uws": f"the same server.js on uWebSockets.js through io.attachApp(app) ({UWS_PACKAGE})",
    "uws-fanout": f"a plain uWebSockets.js topic fan-out speaking the Engine.IO/Socket.IO subset the "
                  f"dashboards use ({UWS_PACKAGE})",
}

# The targets of docs/benchmarks.md.
TARGET_USER_US_PER_FRAME = 0.3
TARGET_CPU_RATIO_TO_FLOOR = 1.15
TARGET_RSS_BYTES_PER_CONNECTION = 3 * 1024
TARGET_CONNECTIONS_HELD = 19900
TARGET_P99_MS = {10000: 50.0, 19000: 100.0}  # at 10 msg/s
TARGET_DB_P99_MS = 15.0  # commit -> dashboard
TARGET_DB_RATE = 1000  # commits/s
TARGET_DB_CLIENTS = 100
TARGET_CLUSTER_PER_GATEWAY = 19900


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "kernel": platform.release()}


def collect(out):
    raw = os.path.join(out, "raw")
    floor = load(os.path.join(raw, "floor.json"))
    servers = {}
    for name in SERVERS:
        if os.path.exists(os.path.join(raw, f"{name}-skipped.json")):
            servers[name] = {"skipped": load(os.path.join(raw, f"{name}-skipped.json"))["skipped"]}
            continue
        runs, repeats = [], []
        for file in sorted(os.listdir(raw)):
            m = re.fullmatch(rf"{re.escape(name)}-\d+(\.r\d+)?\.json", file)
            report = load(os.path.join(raw, file)) if m else None
            if report:
                (repeats if m.group(1) else runs).append(report)
        runs.sort(key=lambda r: r["connections"]["requested"])
        capacity = None
        parts = [load(os.path.join(raw, f"{name}-capacity-{p}.json")) for p in "ab"]
        rss = load(os.path.join(raw, f"{name}-capacity-rss.json"))
        if any(parts) or rss:
            held = sum(p["connections"]["held"] for p in parts if p)
            capacity = {
                "requested": sum(p["connections"]["requested"] for p in parts if p),
                "held": held,
                "held_after_hold": sum(p.get("held_after_hold", 0) for p in parts if p),
                "failed": sum(p["connections"]["failed"] for p in parts if p),
            }
            if rss and held:
                capacity.update(rss)
                capacity["rss_bytes_per_connection"] = round(rss["rss_kb_held"] * 1024 / held)
                capacity["rss_delta_bytes_per_connection"] = round(
                    (rss["rss_kb_held"] - rss["rss_kb_before"]) * 1024 / held)
        if runs or capacity:
            servers[name] = {"runs": runs, "repeats": repeats, "capacity": capacity}
    return floor, servers


def floor_pass(floor, frames_per_send):
    if not floor:
        return None
    for p in floor["passes"]:
        if p["frames_per_send"] == frames_per_send:
            return p
    return None


class LoadPoint(NamedTuple):
    clients: int
    name: str       # the phase's name: "10/s 100B", "sat 100B"
    saturate: bool
    rate: float     # messages per second; inf when saturated
    payload_bytes: int


def load_point(run, phase):
    return LoadPoint(run["connections"]["requested"], phase["name"], phase["saturate"],
                     phase["rate_msgs_per_s"] if not phase["saturate"] else math.inf,
                     phase["payload_bytes"])


def rounds(servers):
    """(clients, phase name, ...) -> {server: [phase of each round]}, first round first"""
    table = {}
    for name, s in servers.items():
        for run in s.get("runs", []) + s.get("repeats", []):
            for phase in run["phases"]:
                table.setdefault(load_point(run, phase), {}).setdefault(name, []).append(phase)
    # By clients, then payload, then rate (saturated last).
    return dict(sorted(table.items(),
                       key=lambda kv: (kv[0].clients, kv[0].payload_bytes, kv[0].rate)))


def rows(servers):
    """(clients, phase name, ...) -> {server: phase}, from each server's first round"""
    return {point: {name: phases[0] for name, phases in by_server.items()}
            for point, by_server in rounds(servers).items()}


def median_over_rounds(phases, figure):
    """The median of figure(phase) over the rounds that delivered frames, with its range."""
    values = [figure(p) for p in phases if p["received_frames"] and figure(p) is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "rounds": len(values)}


def side_by_side(servers):
    """Per load point and server: p99 (ms), user and total CPU per delivered frame (µs), each the
    median over the rounds (REPEATS in bench/run)."""
    figures = {"p99_ms": lambda p: ms(p["latency_us"]["p99"]),
               "user_us_per_frame": lambda p: p["server"].get("user_us_per_frame"),
               "cpu_us_per_frame": lambda p: p["server"].get("cpu_us_per_frame"),
               "cores_busy": cores_busy,
               "frames_per_s": lambda p: p["frames_per_s"]}
    out = {}
    for point, by_server in rounds(servers).items():
        out[point] = {n: {k: median_over_rounds(phases, f) for k, f in figures.items()}
                      for n, phases in by_server.items()}
    return out


def cores_busy(phase):
    """The server's CPU in cores while the phase's frames arrived: CPU per frame × frames per
    second (the load generator counts both over the time until the last frame came in)."""
    cpu = phase["server"].get("cpu_us_per_frame")
    return None if cpu is None else cpu * phase["frames_per_s"] / 1e6


def fmt(v, digits=2):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def ms(us):
    return None if us is None else us / 1000.0


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def verdict(ok):
    return "–" if ok is None else ("met" if ok else "missed")


def targets(servers, floor):
    single = floor_pass(floor, 1)
    lines = []
    for name in SERVERS:
        s = servers.get(name)
        if not s or "skipped" in s:
            continue
        phases = [p for r in s["runs"] for p in r["phases"] if p["received_frames"] > 0
                  and p["server"].get("cpu_us_per_frame") is not None]
        # CPU per frame is judged on the busiest unsaturated phase: most frames, least tick noise.
        steady = [p for p in phases if not p["saturate"]]
        best = max(steady, key=lambda p: p["received_frames"], default=None)
        user = best["server"]["user_us_per_frame"] if best else None
        total = best["server"]["cpu_us_per_frame"] if best else None
        floor_cpu = single["cpu_us_per_frame"] if single else None
        r = ratio(total, floor_cpu)
        lines.append((name, f"user CPU per delivered frame ≤ {TARGET_USER_US_PER_FRAME} µs",
                      f"{fmt(user, 3)} µs" + (f" ({best['connections']} clients, {best['name']})" if best else ""),
                      verdict(None if user is None else user <= TARGET_USER_US_PER_FRAME)))
        lines.append((name, f"total CPU per frame ≤ {TARGET_CPU_RATIO_TO_FLOOR}× raw floor (1 frame/send)",
                      f"{fmt(total, 3)} µs vs {fmt(floor_cpu, 3)} µs = {fmt(r)}×",
                      verdict(None if r is None else r <= TARGET_CPU_RATIO_TO_FLOOR)))
        cap = s.get("capacity")
        per_conn = cap.get("rss_delta_bytes_per_connection") if cap else None
        lines.append((name, f"RSS per idle connection ≤ {TARGET_RSS_BYTES_PER_CONNECTION} B",
                      f"{fmt(per_conn, 0)} B (growth over the idle server)",
                      verdict(None if per_conn is None else per_conn <= TARGET_RSS_BYTES_PER_CONNECTION)))
        held = cap.get("held_after_hold") if cap else None
        lines.append((name, f"{TARGET_CONNECTIONS_HELD} connections held",
                      f"{fmt(held)} of {cap['requested'] if cap else '–'}",
                      verdict(None if held is None else held >= TARGET_CONNECTIONS_HELD)))
        for clients, limit in TARGET_P99_MS.items():
            p = next((p for r in s["runs"] if r["connections"]["requested"] == clients
                      for p in r["phases"] if not p["saturate"] and p["rate_msgs_per_s"] == 10
                      and p["payload_bytes"] == 100), None)
            p99 = ms(p["latency_us"]["p99"]) if p else None
            lines.append((name, f"p99 < {limit:g} ms at {clients} clients × 10 msg/s",
                          f"{fmt(p99)} ms" if p else "not run", verdict(None if p99 is None else p99 < limit)))
    return lines


def markdown(mode, floor, servers, when):
    single, batched = floor_pass(floor, 1), floor_pass(floor, 4)
    out = [f"# Benchmark results — {when} ({mode} mode)", ""]
    m = machine()
    out += [f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), Linux {m['kernel']}. Load generator, "
            "Redis and the server share these CPUs, so absolute numbers are pessimistic; ratios "
            "measured in the same run are the meaningful part.", ""]
    for name in SERVERS:
        s = servers.get(name)
        if s and "skipped" in s:
            out += [f"**{name}: skipped** ({s['skipped']}).", ""]
    if single:
        out += ["## Raw floor (plain C, loopback TCP, 10,000 sockets)", "",
                "| frames per send() | user µs/frame | sys µs/frame | total µs/frame | broadcast floor to 10k sockets |",
                "|---|---|---|---|---|"]
        for p in (single, batched):
            if p:
                out.append(f"| {p['frames_per_send']} | {fmt(p['user_us_per_frame'], 3)} | "
                           f"{fmt(p['sys_us_per_frame'], 3)} | {fmt(p['cpu_us_per_frame'], 3)} | "
                           f"{fmt(p['broadcast_floor_ms'])} ms |")
        out.append("")

    present = [n for n in SERVERS[:2] if n in servers and "skipped" not in servers[n]]
    out += ["## Latency and cost per load point", "",
            "Latency is publish → client receipt (ms). *Floor* is the broadcast floor for that "
            "client count: the raw floor's CPU per frame (one frame per send) times the clients, "
            "the time one broadcast needs on one core at kernel cost alone. CPU is the server's "
            "user+system time per delivered frame.", ""]
    header = "| clients | load | floor ms |"
    sep = "|---|---|---|"
    for n in present:
        header += f" {n} p50 / p99 / max ms | {n} delivered | {n} frames/s | {n} user / total µs per frame |"
        sep += "---|---|---|---|"
    if len(present) == 2:
        header += " p99 ratio | CPU ratio |"
        sep += "---|---|"
    header += " CPU / floor |" if present else ""
    sep += "---|" if present else ""
    out += [header, sep]
    floor_us = single["cpu_us_per_frame"] if single else None
    for (clients, pname, sat, _, _), by_server in rows(servers).items():
        line = f"| {clients} | {pname} | {fmt(floor_us * clients / 1000 if floor_us else None)} |"
        for n in present:
            p = by_server.get(n)
            if not p:
                line += " – | – | – | – |"
                continue
            lat = p["latency_us"]
            srv = p["server"]
            if p["received_frames"] == 0:  # e.g. all frames still queued behind an earlier phase
                line += f" none received ({p.get('stale_frames', 0)} stale) | 0% | 0 | – |"
                continue
            line += (f" {fmt(ms(lat['p50']))} / {fmt(ms(lat['p99']))} / {fmt(ms(lat['max']))} |"
                     f" {fmt(p['delivery_ratio'] * 100, 1)}% |"
                     f" {p['frames_per_s']:.0f} |"
                     f" {fmt(srv.get('user_us_per_frame'), 3)} / {fmt(srv.get('cpu_us_per_frame'), 3)} |")
        if len(present) == 2:
            a, b = (by_server.get(n) for n in present)
            line += (f" {fmt(ratio(a and a['latency_us']['p99'], b and b['latency_us']['p99']))} |"
                     f" {fmt(ratio(a and a['server'].get('cpu_us_per_frame'), b and b['server'].get('cpu_us_per_frame')))} |")
        if present:
            first = by_server.get(present[0])
            line += f" {fmt(ratio(first and first['server'].get('cpu_us_per_frame'), floor_us))} |"
        out.append(line)
    if len(present) == 2:
        out += ["", f"Ratios are {present[0]} ÷ {present[1]} (below 1: {present[0]} is better). "
                f"*CPU / floor* is {present[0]}'s total CPU per frame ÷ the raw floor's."]
    out.append("")

    out += peers_markdown(servers)
    present = [n for n in SERVERS if n in servers and "skipped" not in servers[n]]
    out += ["## Connections", "", "| server | clients | held | failed | connect rate /s | RSS per connection (growth) |",
            "|---|---|---|---|---|---|"]
    for n in present:
        for run in servers[n]["runs"]:
            c = run["connections"]
            mem = run.get("server_idle_memory", {})
            out.append(f"| {n} | {c['requested']} | {c['held']} | {c['failed']} | {c['connect_rate_per_s']:.0f} | "
                       f"{fmt(mem.get('rss_delta_bytes_per_connection'), 0)} B |")
        cap = servers[n].get("capacity")
        if cap:
            out.append(f"| {n} | {cap['requested']} (2 processes) | {cap['held_after_hold']} | {cap['failed']} | – | "
                       f"{fmt(cap.get('rss_delta_bytes_per_connection'), 0)} B |")
    out.append("")

    out += ["## Targets", "", "| server | target | measured | verdict |", "|---|---|---|---|"]
    for name, what, measured, v in targets(servers, floor):
        out.append(f"| {name} | {what} | {measured} | {v} |")
    out += ["", "![p99 latency vs offered load](p99.svg)", ""]
    return "\n".join(out)


def with_ratio(value, best, digits=2):
    r = ratio(value, best)
    return "–" if value is None else f"{fmt(value, digits)} ({fmt(r)}×)"


def with_range(m, best, digits=2):
    """median (× ratio to the best median) and, over several rounds, [min–max]"""
    if m is None:
        return "–"
    cell = with_ratio(m["median"], best, digits)
    if m["rounds"] > 1:
        cell += f" [{fmt(m['min'], digits)}–{fmt(m['max'], digits)}]"
    return cell


def standing(name, table, present):
    """How often a server's median is the best at the load points every server ran, and its
    worst ratio there."""
    shared = [by for by in table.values() if all(n in by for n in present)]
    parts = []
    for key, label in (("p99_ms", "p99"), ("cpu_us_per_frame", "total CPU per frame")):
        ratios = []
        for by_server in shared:
            mine = by_server.get(name, {}).get(key)
            best = min((m[key]["median"] for m in by_server.values() if m[key]), default=None)
            if mine and best:
                ratios.append(mine["median"] / best)
        if ratios:
            parts.append(f"best {label} at {sum(r <= 1.0 for r in ratios)} of {len(ratios)} points "
                         f"(highest ratio {max(ratios):.2f}×)")
    return f"- **{name}**: " + ("; ".join(parts) if parts else "no load point delivered")


def saturation_markdown(table, present):
    """At a saturated load point a server that keeps its event loop busy spends one core whatever
    it does per frame, so its CPU per frame there is that core over the frames it delivered: the
    busy cores and the delivered rate say which of the two moved."""
    points = [(point, by) for point, by in table.items() if point.saturate]
    if not points:
        return []
    out = ["", "At the saturated points, each server's CPU in cores (CPU per frame × frames per "
           "second) and the frames it delivered per second, medians over the rounds:",
           "", "| clients | load | " + " | ".join(f"{n} cores / frames per s" for n in present) + " |",
           "|---|---|" + "---|" * len(present)]
    for (clients, pname, *_), by_server in points:
        cells = []
        for n in present:
            m = by_server.get(n)
            busy, rate = (m["cores_busy"], m["frames_per_s"]) if m else (None, None)
            cells.append("–" if not busy or not rate else
                         f"{fmt(busy['median'])} / {rate['median'] / 1000:.0f}k")
        out.append(f"| {clients} | {pname} | " + " | ".join(cells) + " |")
    return out


def peers_markdown(servers):
    """Every server side by side per load point: p99 and CPU per delivered frame, each the median
    over the rounds with its ratio to the best server's median at that load point."""
    present = [n for n in SERVERS if n in servers and "skipped" not in servers[n]]
    if len(present) < 2:
        return []
    table = side_by_side({n: servers[n] for n in present})
    most = max((m["p99_ms"]["rounds"] for by in table.values() for m in by.values() if m["p99_ms"]),
               default=1)
    out = ["## All servers side by side", ""]
    out += [f"- **{n}**: {PEER_NOTES.get(n, n)}" for n in present]
    out += ["", "Each cell: the figure, then (×) its ratio to the best server at that load point "
            "(1.00× is the best). CPU is the server's user / total time per delivered frame (µs).",
            f"Each figure is the median over up to {most} rounds (bench/run's REPEATS, the servers "
            "in alternating order), with the lowest and highest round in brackets.", "",
            "| clients | load | " + " | ".join(f"{n} p99 ms | {n} user / total µs" for n in present) + " |",
            "|---|---|" + "---|---|" * len(present)]
    for (clients, pname, *_), by_server in table.items():
        best = lambda k: min((m[k]["median"] for m in by_server.values() if m[k]), default=None)
        line = f"| {clients} | {pname} |"
        for n in present:
            m = by_server.get(n)
            if not m or not m["p99_ms"]:
                line += " – | – |"
                continue
            user = m["user_us_per_frame"]
            line += (f" {with_range(m['p99_ms'], best('p99_ms'))} | "
                     f"{fmt(user and user['median'], 3)} / "
                     f"{with_range(m['cpu_us_per_frame'], best('cpu_us_per_frame'), 3)} |")
        out.append(line)
    out += ["", "At the load points every server ran (a server that delivered nothing there has "
            "no figure):", ""] + [standing(n, table, present) for n in present]
    out += saturation_markdown(table, present)
    out += ["", "| server | RSS per idle connection (growth, capacity run) | ratio to the smallest |", "|---|---|---|"]
    rss = {n: (servers[n].get("capacity") or {}).get("rss_delta_bytes_per_connection") for n in present}
    smallest = min((v for v in rss.values() if v), default=None)
    for n in present:
        out.append(f"| {n} | {fmt(rss[n], 0)} B | {fmt(ratio(rss[n], smallest))}× |")
    return out + [""]


# --- the dashboard mix and the reconnect storm ----------------------------------------------------

def collect_mix(out):
    rows = []
    raw = os.path.join(out, "raw")
    for file in sorted(os.listdir(raw)) if os.path.isdir(raw) else []:
        m = re.fullmatch(r"mix-(.+)-(\d+)\.json", file)
        report = load(os.path.join(raw, file)) if m else None
        for p in (report or {}).get("phases", []):
            rows.append({"server": m.group(1), "dashboards": p["connections"], "requested": int(m.group(2)),
                         "orders_per_s": p["rate_msgs_per_s"], "update_bytes": p["payload_bytes"],
                         "snapshot_bytes": p["snapshot_bytes"], "delivery_ratio": p["delivery_ratio"],
                         "bytes_per_dashboard_per_s": p["per_dashboard"]["bytes_per_s"],
                         "server_cpu_us_per_dashboard_per_s": p["per_dashboard"]["server_cpu_us_per_s"],
                         "latency_us": p["latency_us"]})
    return rows


def mix_markdown(mix):
    if not mix:
        return ""
    out = ["## Dashboard mix: per-order updates plus the 1/s snapshot", "",
           f"Each order's `metrics-update` ({mix[0]['update_bytes']} B of data) and the retained "
           f"`metrics-snapshot` ({mix[0]['snapshot_bytes']} B) once a second, published on the bridge "
           "channel as the worker publishes them; every server delivers them through its own path. "
           "p99 is publish → receipt; bytes are WebSocket bytes received per dashboard per second "
           "(payload + frame header); CPU is the server's user+system time per dashboard per second. "
           "(×) is the ratio to the best server for the same dashboards and rate.", "",
           "| dashboards | orders/s | server | delivered | bytes / dashboard / s | server CPU µs / dashboard / s | p99 ms |",
           "|---|---|---|---|---|---|---|"]
    groups = {}
    for r in mix:
        groups.setdefault((r["requested"], r["orders_per_s"]), []).append(r)
    for (clients, rate), rs in sorted(groups.items()):
        best_p99 = min((ms(r["latency_us"]["p99"]) for r in rs if r["latency_us"]["samples"]), default=None)
        best_cpu = min((r["server_cpu_us_per_dashboard_per_s"] for r in rs if r["server_cpu_us_per_dashboard_per_s"]), default=None)
        for r in sorted(rs, key=lambda r: SERVERS.index(r["server"]) if r["server"] in SERVERS else 99):
            p99 = ms(r["latency_us"]["p99"]) if r["latency_us"]["samples"] else None
            out.append(f"| {r['dashboards']} | {rate:g} | {r['server']} | {fmt(r['delivery_ratio'] * 100, 1)}% | "
                       f"{r['bytes_per_dashboard_per_s']:.0f} | "
                       f"{with_ratio(r['server_cpu_us_per_dashboard_per_s'], best_cpu, 1)} | "
                       f"{with_ratio(p99, best_p99)} |")
    return "\n".join(out) + "\n\n"


def collect_storm(out):
    storms = []
    raw = os.path.join(out, "raw")
    for file in sorted(os.listdir(raw)) if os.path.isdir(raw) else []:
        m = re.fullmatch(r"storm-(.+)\.json", file)
        if not m or m.group(1).endswith("-nginx"):
            continue
        report = load(os.path.join(raw, file))
        if report:
            report["server"] = m.group(1)
            report["nginx"] = load(os.path.join(raw, f"storm-{m.group(1)}-nginx.json")) or {}
            report["lookups"] = recovery_lookups(os.path.join(raw, f"storm-{m.group(1)}-metrics.txt"))
            storms.append(report)
    return storms


def recovery_lookups(path):
    """The gateway's recovery counters and lookup histogram after the storm (its /metrics lines),
    or None when the server exports none."""
    if not os.path.exists(path):
        return None
    values, buckets = {}, []
    with open(path) as f:
        for line in f:
            name, _, value = line.rpartition(" ")
            m = re.fullmatch(r'pulseboard_recovery_lookup_seconds_bucket\{le="([^"]+)"\}', name)
            if m:
                buckets.append((float(m.group(1)), float(value)))
            elif name:
                values[name] = float(value)
    answered = values.get("pulseboard_recovery_lookup_seconds_count", 0)
    # The smallest bucket bound under which 99 % of the answers came.
    p99_le = next((le for le, n in buckets if answered and n >= 0.99 * answered), None)
    return {"attempted": values.get("pulseboard_recoveries_attempted_total"),
            "timed_out": values.get("pulseboard_recoveries_timed_out_total"),
            "answered": answered, "answered_p99_le_s": p99_le}


def storm_markdown(storms):
    if not storms:
        return ""
    out = ["## Reconnect storm: every dashboard cut at once", "",
           "The dashboards connect through NGINX (deploy/nginx.conf, 4 workers) to one server; once "
           "all receive, the server is killed (SIGKILL) and started again on the same port. They "
           "reconnect as socket.io-client does (1 s doubling to 5 s, ±50 % jitter) with connection "
           "state recovery (pid and offset), while updates are published (`STORM_RATE`, 1/s). Times are from the "
           "first cut connection; *receiving* is connected and one event received since the cut. "
           "Server CPU is the restarted process's, from its start to the end of the measurement.", "",
           "*Ramp* is the rate at which the same dashboards first connected, one after another, "
           "through the same NGINX: what this machine's load generator and NGINX sustain.", "",
           "| server | dashboards | ramp connections/s | cut | 99 % connected s | 100 % connected s | 99 % receiving s | "
           "100 % receiving s | recovered sessions | connection attempts | server CPU s | NGINX CPU s |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in storms:
        st = s.get("storm", {})
        c = s["connections"]
        rate = c["held_before_cut"] / c["ramp_seconds"] if c.get("ramp_seconds") else None
        out.append(f"| {s['server']} | {c['held_before_cut']} | {fmt(rate, 0)} | {st.get('cut')} | "
                   f"{fmt(st.get('connected_99_s'))} | {fmt(st.get('connected_100_s'))} | "
                   f"{fmt(st.get('receiving_99_s'))} | {fmt(st.get('receiving_100_s'))} | "
                   f"{st.get('recovered_sessions')} | {st.get('connection_attempts')} | "
                   f"{fmt(st.get('server_cpu_s'))} | {fmt(s['nginx'].get('nginx_cpu_s'))} |")
    for s in storms:
        lk = s.get("lookups")
        if not lk or lk["attempted"] is None:
            continue
        le = lk["answered_p99_le_s"]
        out += ["", f"{s['server']}'s recovery store (its /metrics after the storm): "
                f"{lk['attempted']:.0f} lookups, {lk['answered']:.0f} answered "
                f"(99 % within {'–' if le is None else f'{le:g} s'}), "
                f"{lk['timed_out'] or 0:.0f} past the 5 s deadline (fresh sockets)."]
    return "\n".join(out) + "\n\n"


# --- database commit -> dashboard (bench/dblatency) ------------------------------------------------

def collect_db(out):
    return load(os.path.join(out, "raw", "db-latency.json"))


def db_judged_phase(db):
    return next((p for p in db["phases"] if not p["warmup"]
                 and p["target_commits_per_s"] == TARGET_DB_RATE), None)


def db_targets(db):
    p = db_judged_phase(db)
    if not p:
        return [(f"p99 ≤ {TARGET_DB_P99_MS:g} ms at {TARGET_DB_RATE} commits/s", "not run", "–")]
    held = db["dashboards"]["held"]
    p99 = ms(p["latency_us"]["p99"])
    d = p["delivery"]
    return [
        (f"p99 commit → dashboard ≤ {TARGET_DB_P99_MS:g} ms at {TARGET_DB_RATE} commits/s, "
         f"{TARGET_DB_CLIENTS} dashboards",
         f"{fmt(p99)} ms = {fmt(ratio(p99, TARGET_DB_P99_MS))}× the target "
         f"({held} dashboards)",
         verdict(p99 <= TARGET_DB_P99_MS and held >= TARGET_DB_CLIENTS)),
        (f"{TARGET_DB_RATE} commits/s sustained",
         f"{fmt(p['achieved_commits_per_s'], 0)} commits/s ({p['late_commits']} commits > 1 ms late)",
         verdict(p["achieved_commits_per_s"] >= 0.99 * TARGET_DB_RATE)),
        ("every dashboard receives every event, once",
         f"{d['missing']} missing, {d['duplicates']} duplicates of {d['expected']}",
         verdict(d["missing"] == 0 and d["duplicates"] == 0 and d["expected"] > 0)),
    ]


def db_markdown(db):
    if not db:
        return ""
    dash = db["dashboards"]
    out = ["", "## Database commit → dashboard (PostgreSQL worker)", "",
           f"Orders committed straight into PostgreSQL ({db['write_path']}); `pulseboard worker` "
           f"follows logical replication (pgoutput) and publishes on the Redis bridge; one gateway "
           f"delivers `metrics-update` to {dash['held']} of {dash['requested']} dashboards "
           f"(WebSocket, token, room `live-metrics`). Latency is measured from "
           f"{db['latency_from']} to receipt at each dashboard; *from committedAt* uses the "
           "event's own commit timestamp (PostgreSQL's, whole milliseconds) instead.", "",
           "| commits/s (target → achieved) | commits | p50 / p90 / p99 / max ms | from committedAt p50 / p99 ms "
           "| delivered | missing / duplicates | commit round trip p50 / p99 ms | CPU µs per commit |",
           "|---|---|---|---|---|---|---|---|"]
    for p in db["phases"]:
        lat, cat, d = p["latency_us"], p["latency_from_committed_at_us"], p["delivery"]
        cpu = ", ".join(f"{n} {fmt(v['cpu_us_per_commit'], 0)}" for n, v in p.get("processes", {}).items())
        rt = p["commit_round_trip_us"]
        out.append(f"| {p['name']}: {p['target_commits_per_s']:g} → {fmt(p['achieved_commits_per_s'], 0)} | "
                   f"{p['committed']} | {fmt(ms(lat['p50']))} / {fmt(ms(lat['p90']))} / "
                   f"{fmt(ms(lat['p99']))} / {fmt(ms(lat['max']))} | "
                   f"{fmt(ms(cat['p50']))} / {fmt(ms(cat['p99']))} | "
                   f"{fmt(d['delivery_ratio'] * 100, 2)}% | {d['missing']} / {d['duplicates']} | "
                   f"{fmt(ms(rt['p50']))} / {fmt(ms(rt['p99']))} | {cpu or '–'} |")
    out += ["", f"Events that arrived before the writer saw its commit acknowledgement (measured from "
            f"the send instead): {db['arrived_before_commit_ack']}. Other frames (snapshots): "
            f"{db['other_events']}. *probe* is the writer and the dashboards themselves: they share the "
            "CPUs with the processes measured, so when the CPU per commit of all of them approaches "
            "cores × 10⁶ ÷ rate µs, the tail is mostly waiting for a CPU.", "",
            "| target | measured | verdict |", "|---|---|---|"]
    for what, measured, v in db_targets(db):
        out.append(f"| {what} | {measured} | {v} |")
    out.append("")
    return "\n".join(out)


# --- gateway cluster at the connection limit (bench/cluster) ---------------------------------------

def merged_percentile(buckets, fraction):
    """Percentile of merged [lower, upper, count] buckets, bucket midpoint, as the C++ histogram."""
    buckets = sorted(buckets)
    total = sum(b[2] for b in buckets)
    if not total:
        return None
    rank = min(int(fraction * total), total - 1)
    seen = 0
    for lower, upper, count in buckets:
        seen += count
        if seen > rank:
            return (lower + upper) / 2
    return buckets[-1][1]


def collect_cluster(out):
    raw = os.path.join(out, "raw")
    try:
        files = sorted(f for f in os.listdir(raw) if re.fullmatch(r"cluster-clients-\d+\.json", f))
    except OSError:
        return None
    procs = [r for r in (load(os.path.join(raw, f)) for f in files) if r]
    gateways = (load(os.path.join(raw, "cluster-gateways.json")) or {}).get("gateways", [])
    publish = load(os.path.join(raw, "cluster-publish.json"))
    if not procs and not gateways:
        return None
    by_port = {g["port"]: g for g in gateways}
    rows = []
    buckets = []
    for p in procs:
        g = by_port.get(p["port"], {})
        held = p["connections"]["held"]
        row = {"port": p["port"], "requested": p["connections"]["requested"], "held": held,
               "held_at_end": p["connections"]["held_at_end"], "failed": p["connections"]["failed"],
               "connect_rate_per_s": p["connections"]["connect_rate_per_s"],
               "established_at_gateway": g.get("established"), "delivery": p["delivery"],
               "latency_us": p["latency_us"], "other_events": p["other_events"]}
        if g and held:
            row["rss_kb_before"], row["rss_kb_held"] = g["rss_kb_before"], g["rss_kb_held"]
            row["rss_delta_bytes_per_connection"] = round(
                (g["rss_kb_held"] - g["rss_kb_before"]) * 1024 / held)
        rows.append(row)
        buckets += p.get("latency_histogram", [])
    d = {k: sum(r["delivery"][k] for r in rows) for k in
         ("clients", "expected", "delivered", "missing", "duplicates", "clients_missing_any",
          "clients_with_duplicates")}
    d["delivery_ratio"] = d["delivered"] / d["expected"] if d["expected"] else 0.0
    latency = {"samples": sum(b[2] for b in buckets)}
    for name, f in (("p50", .5), ("p90", .9), ("p99", .99), ("p999", .999)):
        latency[name] = merged_percentile(buckets, f)
    latency["max"] = max((b[1] for b in buckets), default=None)
    return {"gateways": rows, "publish": publish, "messages": procs[0]["messages"] if procs else None,
            "held": sum(r["held"] for r in rows), "requested": sum(r["requested"] for r in rows),
            "delivery": d, "latency_us": latency}


def cluster_targets(c):
    n = len(c["gateways"])
    goal = n * TARGET_CLUSTER_PER_GATEWAY
    per_conn = [r.get("rss_delta_bytes_per_connection") for r in c["gateways"]]
    worst = max((v for v in per_conn if v is not None), default=None)
    d = c["delivery"]
    published = (c.get("publish") or {}).get("published")
    return [
        (f"{n} × {TARGET_CLUSTER_PER_GATEWAY} connections held", f"{c['held']} of {goal} "
         f"= {fmt(ratio(c['held'], goal) * 100 if goal else None, 1)}%", verdict(c["held"] >= goal)),
        (f"each dashboard receives each of the {c['messages']} messages once",
         f"{d['missing']} missing, {d['duplicates']} duplicates of {d['expected']} "
         f"({published} published)",
         verdict(d["expected"] > 0 and d["missing"] == 0 and d["duplicates"] == 0
                 and published == c["messages"])),
        (f"RSS per idle connection ≤ {TARGET_RSS_BYTES_PER_CONNECTION} B (worst gateway)",
         f"{fmt(worst, 0)} B", verdict(None if worst is None else worst <= TARGET_RSS_BYTES_PER_CONNECTION)),
    ]


def cluster_markdown(c):
    if not c:
        return ""
    lat = c["latency_us"]
    out = ["", "## Gateway cluster at the connection limit", "",
           f"{len(c['gateways'])} `pulseboard gateway` processes on one Redis, each with one probe process "
           "of dashboards (WebSocket, token, room `live-metrics`); then "
           f"{c['messages']} bridge messages at 1/s, which every dashboard must receive exactly once. "
           "RSS growth is the gateway's RSS with the dashboards held minus its idle RSS.", "",
           "| gateway port | requested | held (at end) | at the gateway (ss) | connect rate /s | "
           "RSS idle → held | RSS per connection (growth) | delivered | missing / duplicates | p50 / p99 / max ms |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in c["gateways"]:
        l, d = r["latency_us"], r["delivery"]
        rss = (f"{r['rss_kb_before'] / 1024:.0f} → {r['rss_kb_held'] / 1024:.0f} MiB"
               if "rss_kb_held" in r else "–")
        out.append(f"| {r['port']} | {r['requested']} | {r['held']} ({r['held_at_end']}) | "
                   f"{fmt(r['established_at_gateway'])} | {fmt(r['connect_rate_per_s'], 0)} | {rss} | "
                   f"{fmt(r.get('rss_delta_bytes_per_connection'), 0)} B | "
                   f"{fmt(d['delivery_ratio'] * 100, 3)}% | {d['missing']} / {d['duplicates']} | "
                   f"{fmt(ms(l['p50']))} / {fmt(ms(l['p99']))} / {fmt(ms(l['max']))} |")
    d = c["delivery"]
    out.append(f"| all | {c['requested']} | {c['held']} | – | – | – | – | "
               f"{fmt(d['delivery_ratio'] * 100, 3)}% | {d['missing']} / {d['duplicates']} | "
               f"{fmt(ms(lat['p50']))} / {fmt(ms(lat['p99']))} / {fmt(ms(lat['max']))} |")
    out += ["", "| target | measured | verdict |", "|---|---|---|"]
    for what, measured, v in cluster_targets(c):
        out.append(f"| {what} | {measured} | {v} |")
    out.append("")
    return "\n".join(out)


def svg_chart(servers, floor):
    """p99 latency (log y) against offered frames/s (log x), one line per server and payload."""
    width, height, left, right, top, bottom = 760, 440, 70, 200, 30, 50
    colors = {"pulseboard": "#1f77b4", "node-baseline": "#d62728", "article-uws": "#2ca02c",
              "uws-fanout": "#9467bd"}
    series = []
    for name, s in servers.items():
        if "skipped" in s:
            continue
        for payload in (100, 1024):
            points = []
            for run in s["runs"]:
                for p in run["phases"]:
                    if p["payload_bytes"] == payload and p["latency_us"]["samples"] > 0:
                        load_fps = p["offered_frames_per_s"]
                        points.append((load_fps, max(ms(p["latency_us"]["p99"]), 0.01)))
            if points:
                series.append((f"{name} {payload} B", colors.get(name, "#555"), payload == 1024,
                               sorted(points)))
    single = floor_pass(floor, 1)
    xs = [x for _, _, _, pts in series for x, _ in pts] or [1, 10]
    ys = [y for _, _, _, pts in series for _, y in pts] or [1, 10]
    x0, x1 = 10 ** math.floor(math.log10(min(xs))), 10 ** math.ceil(math.log10(max(xs) * 1.01))
    y0, y1 = 10 ** math.floor(math.log10(min(ys))), 10 ** math.ceil(math.log10(max(ys) * 1.01))
    if x1 == x0:
        x1 *= 10
    if y1 == y0:
        y1 *= 10
    pw, ph = width - left - right, height - top - bottom

    def sx(x):
        return left + (math.log10(x) - math.log10(x0)) / (math.log10(x1) - math.log10(x0)) * pw

    def sy(y):
        return top + ph - (math.log10(y) - math.log10(y0)) / (math.log10(y1) - math.log10(y0)) * ph

    e = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'font-family="sans-serif" font-size="12">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{left}" y="18" font-size="14">p99 latency vs offered load (frames/s = clients × msg/s)</text>']
    for k in range(int(math.log10(x0)), int(math.log10(x1)) + 1):
        x = sx(10 ** k)
        e.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#ddd"/>')
        e.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">1e{k}</text>')
    for k in range(int(math.log10(y0)), int(math.log10(y1)) + 1):
        y = sy(10 ** k)
        e.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        e.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{10 ** k:g} ms</text>')
    e.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    e.append(f'<text x="{left + pw / 2}" y="{height - 10}" text-anchor="middle">offered frames/s</text>')
    for i, (label, color, dashed, pts) in enumerate(series):
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        dash = ' stroke-dasharray="5,4"' if dashed else ""
        e.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for x, y in pts:
            e.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{color}"/>')
        ly = top + 10 + i * 18
        e.append(f'<line x1="{left + pw + 12}" y1="{ly}" x2="{left + pw + 36}" y2="{ly}" stroke="{color}" '
                 f'stroke-width="2"{dash}/>')
        e.append(f'<text x="{left + pw + 42}" y="{ly + 4}">{html.escape(label)}</text>')
    if single:
        e.append(f'<text x="{left + pw + 12}" y="{top + 10 + len(series) * 18 + 10}" fill="#555">'
                 f'raw floor: {single["cpu_us_per_frame"]:.2f} µs/frame</text>')
    e.append("</svg>")
    return "\n".join(e) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mode", default="full")
    args = ap.parse_args()
    floor, servers = collect(args.out)
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    db = collect_db(args.out)
    cluster = collect_cluster(args.out)
    mix = collect_mix(args.out)
    storms = collect_storm(args.out)
    results = {"generated": when, "mode": args.mode, "machine": machine(), "floor": floor,
               "servers": servers,
               "targets": [dict(zip(("server", "target", "measured", "verdict"), t))
                           for t in targets(servers, floor)]}
    if db:
        results["db_latency"] = dict(db, targets=[dict(zip(("target", "measured", "verdict"), t))
                                                  for t in db_targets(db)])
    if cluster:
        results["cluster"] = dict(cluster, targets=[dict(zip(("target", "measured", "verdict"), t))
                                                    for t in cluster_targets(cluster)])
    results["peers"] = {n: PEER_NOTES[n] for n in SERVERS if n in servers}
    results["side_by_side"] = [
        {"clients": point.clients, "load": point.name, "servers": by_server}
        for point, by_server in side_by_side(
            {n: s for n, s in servers.items() if "skipped" not in s}).items()]
    if mix:
        results["mix"] = mix
    if storms:
        results["storm"] = storms
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(markdown(args.mode, floor, servers, when))
        f.write(db_markdown(db))
        f.write(cluster_markdown(cluster))
        f.write(mix_markdown(mix))
        f.write(storm_markdown(storms))
    with open(os.path.join(args.out, "p99.svg"), "w") as f:
        f.write(svg_chart(servers, floor))


if __name__ == "__main__":
    main()
