"""What a run starts from: the peer, the kunde_crm snapshot, odoo.conf, the machine."""

import ast
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
from common import DB_PREFIX, PEER_PACKAGE, REPO, WORK, log
from databases import sql


# --------------------------------------------------------------------------
# helpdesk_mgmt from PyPI, into a bench-only addons path
# --------------------------------------------------------------------------
def ensure_peer(ctx):
    version = ctx.args.peer_version
    target = WORK / "peer" / f"helpdesk_mgmt-{version}"
    addons = target / "odoo" / "addons"
    if not (addons / "helpdesk_mgmt" / "__manifest__.py").exists():
        log(f"installing {PEER_PACKAGE}=={version} into {target} (bench only)")
        shutil.rmtree(target, ignore_errors=True)
        _pip_target(target, f"{PEER_PACKAGE}=={version}")
    # Its OCA dependencies, found from the manifests, the same way.
    core = {p.name for p in (ctx.odoo_src / "addons").iterdir()}
    core |= {p.name for p in (ctx.odoo_src / "odoo" / "addons").iterdir()}
    todo, seen = ["helpdesk_mgmt"], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        manifest = addons / module / "__manifest__.py"
        if not manifest.exists():
            if module in core:
                continue
            log(f"installing OCA dependency {module} (18.0) into {target}")
            _pip_target(target, f"odoo-addon-{module}>=18.0,<18.1")
        depends = ast.literal_eval(manifest.read_text()).get("depends", [])
        todo.extend(d for d in depends if d not in core)
    ctx.peer_addons = addons
    return addons


def _pip_target(target, requirement):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--upgrade",
            "--target",
            str(target),
            requirement,
        ],
        check=True,
    )


def snapshot_kunde_crm(ctx):
    """Measure the kunde_crm of the moment the bench started.

    kunde_crm and its bridge addons (every ``kunde_crm_*/`` with a manifest)
    are copied to bench/.work/snapshot, and every odoo-bin of the run loads
    that copy: edits made to them during the run do not mix in.
    """
    target = WORK / "snapshot"
    shutil.rmtree(target, ignore_errors=True)
    ctx.addons = addon_dirs()
    for name in ctx.addons:
        shutil.copytree(
            REPO / name,
            target / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    digest = hashlib.sha1()
    for path in sorted(target.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(target)).encode())
            digest.update(path.read_bytes())
    ctx.snapshot = target
    ctx.snapshot_digest = digest.hexdigest()[:12]
    ctx.repo_rev = _git(REPO, "rev-parse", "--short", "HEAD")
    ctx.repo_dirty = bool(_git(REPO, "status", "--porcelain", "--", *ctx.addons))


def addon_dirs():
    """kunde_crm and the bridge addons beside it, by name."""
    return ["kunde_crm"] + sorted(
        path.parent.name for path in REPO.glob("kunde_crm_*/__manifest__.py")
    )


def write_conf(ctx):
    """The set-up's odoo.conf: kunde_crm from the snapshot, the peer's path added."""
    lines = []
    for line in ctx.base_conf.read_text().splitlines():
        if line.startswith("addons_path"):
            paths = [p.strip() for p in line.split("=", 1)[1].split(",")]
            paths = [str(ctx.snapshot) if Path(p) == REPO else p for p in paths]
            if ctx.peer_addons:
                paths.append(str(ctx.peer_addons))
            line = "addons_path = " + ",".join(paths)
        lines.append(line)
    WORK.mkdir(parents=True, exist_ok=True)
    ctx.conf.write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------
def machine_info(ctx):
    cpu = "?"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        mem_kb = int(handle.readline().split()[1])
    os_name = platform.platform()
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    settings = dict(
        sql(
            "SELECT name, setting || COALESCE(unit, '') FROM pg_settings WHERE name IN "
            "('shared_buffers', 'work_mem', 'effective_cache_size', 'jit', "
            "'random_page_cost', 'max_connections')"
        )
    )
    release = {}
    exec((ctx.odoo_src / "odoo" / "release.py").read_text(), release)
    odoo_rev = _git(ctx.odoo_src, "rev-parse", "--short", "HEAD")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": sql("SHOW server_version")[0][0],
        "pg_settings": settings,
        "odoo": release.get("version", "?") + (f" ({odoo_rev})" if odoo_rev else ""),
        "kunde_crm": (ctx.repo_rev or "?")
        + (" + uncommitted changes in kunde_crm/" if ctx.repo_dirty else "")
        + f" (snapshot {ctx.snapshot_digest} of kunde_crm/ taken at the start)",
        "peer": f"helpdesk_mgmt {ctx.args.peer_version} ({PEER_PACKAGE}, AGPL-3)",
    }


def _git(path, *args):
    try:
        return subprocess.run(
            ["git", "-C", str(path), *args],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return ""


def machine_load(label, results):
    """The load of the machine when a phase starts, and how much CPU others use.

    The bench shares the machine (a developer's tests, another Odoo): every
    process outside the bench's own tree, except the PostgreSQL backends of the
    bench's databases, counts as "others", sampled over one second.
    """
    mine = {os.getpid(), *(p.pid for p in psutil.Process().children(recursive=True))}
    mine |= {
        pid
        for (pid,) in sql(
            "SELECT pid FROM pg_stat_activity WHERE datname LIKE %s",
            (DB_PREFIX + "%",),
        )
    }
    others = [p for p in psutil.process_iter() if p.pid not in mine]
    for proc in others:
        try:
            proc.cpu_percent(None)
        except psutil.Error:
            pass
    time.sleep(1.0)
    cpu, busy = 0.0, []
    for proc in others:
        try:
            used = proc.cpu_percent(None)
        except psutil.Error:
            continue
        cpu += used
        if used >= 10:
            busy.append(f"{proc.name()} {used:.0f}%")
    entry = {
        "phase": label,
        "loadavg_1min": round(os.getloadavg()[0], 2),
        "others_cpu_percent": round(cpu),
        "others_busy": busy[:5],
    }
    results.setdefault("load", []).append(entry)
    if cpu >= 20:
        log(f"other processes use {cpu:.0f}% CPU: {', '.join(busy[:5])}")
