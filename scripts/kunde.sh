#!/usr/bin/env bash
# kunde_crm developer set-up: one script behind `make run`, `make test`, `make bench`.
#
# Every step is idempotent: it checks before it acts, so running it again only
# does what is missing.  Nothing here is exported by hand: the Odoo source is
# found (ODOO_SRC, a remembered location, conventional paths, an installed
# odoo, a clone of upstream 18.0) and remembered for the next run.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${KUNDE_CRM_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kunde_crm}"
CONFIG_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/kunde_crm"
DATA_DIR="${KUNDE_CRM_DATA_DIR:-$STATE_DIR/data}"
VENV="${KUNDE_CRM_VENV:-$STATE_DIR/venv}"
RUN_DIR="$REPO/.run"
PG_VERSION=15
RUN_DB="${KUNDE_CRM_DB:-kunde_crm}"
TEST_DB="${KUNDE_CRM_TEST_DB:-kunde_crm_test}"
HTTP_PORT="${KUNDE_CRM_PORT:-8069}"
BASE_MODULES="base,mail,portal,account,resource"
# The second stage of make test runs the addon's tests with Odoo's own runner in a
# database that also holds the apps a Norwegian company runs beside us.
NEIGHBOUR_MODULES="l10n_no,crm,sale_management,website,calendar"
# A Norwegian company also gets Peppol e-invoicing (account_peppol installs itself
# for Norway), which needs phonenumbers: not in Odoo's requirements.txt.
NEIGHBOUR_PY_PACKAGES="phonenumbers>=8.13,<10"
# The first language is the database default: English, with Norwegian installed beside it.
LANGUAGES="en_US,nb_NO"
UPSTREAM_URL="https://github.com/odoo/odoo.git"

log() { printf '\033[1;34m[kunde_crm]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[kunde_crm] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root for: $*  (run as root or install sudo)"
    fi
}

# --------------------------------------------------------------------------
# System packages
# --------------------------------------------------------------------------
SYSTEM_PACKAGES=(
    "postgresql-$PG_VERSION" "postgresql-client-$PG_VERSION"
    python3-venv python3-dev build-essential
    libldap2-dev libsasl2-dev libpq-dev libxml2-dev libxslt1-dev libjpeg-dev zlib1g-dev
    git curl chromium
)

ensure_system_packages() {
    local missing=() pkg
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    # python3-venv is irrelevant when the interpreter in PATH already has venv (pyenv).
    if python3 -c 'import venv, ensurepip' 2>/dev/null; then
        local filtered=()
        for pkg in "${missing[@]}"; do
            case "$pkg" in python3-venv|python3-dev) ;; *) filtered+=("$pkg") ;; esac
        done
        missing=("${filtered[@]+"${filtered[@]}"}")
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing system packages: ${missing[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# --------------------------------------------------------------------------
# PostgreSQL 15
# --------------------------------------------------------------------------
ensure_postgres() {
    if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" '$1==v && $2=="main"' | grep -q .; then
        log "creating PostgreSQL $PG_VERSION cluster"
        as_root pg_createcluster "$PG_VERSION" main >/dev/null
    fi
    if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
        log "starting PostgreSQL $PG_VERSION"
        as_root pg_ctlcluster "$PG_VERSION" main start
    fi
    local user
    user="$(id -un)"
    [ "$user" != "postgres" ] || die "Odoo refuses the 'postgres' role: run as another user"
    if ! as_root runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='$user'" | grep -q 1; then
        log "creating PostgreSQL role '$user'"
        as_root runuser -u postgres -- createuser --createdb --login "$user"
    fi
}

psql_q() { psql -X -d postgres -tAc "$1"; }
db_exists() { [ "$(psql_q "SELECT 1 FROM pg_database WHERE datname='$1'")" = "1" ]; }

# --------------------------------------------------------------------------
# Locating Odoo 18
# --------------------------------------------------------------------------
is_odoo18() {
    [ -f "$1/odoo/release.py" ] && [ -f "$1/odoo-bin" ] && [ -d "$1/addons/mail" ] &&
        grep -Eq "^version_info = \(18, 0" "$1/odoo/release.py"
}

find_odoo() {
    local tried=() candidate remembered="$CONFIG_DIR/odoo_src"
    if [ -n "${ODOO_SRC:-}" ]; then
        is_odoo18 "$ODOO_SRC" && { echo "$ODOO_SRC"; return; }
        tried+=("ODOO_SRC=$ODOO_SRC (not an Odoo 18.0 source tree)")
    else
        tried+=("ODOO_SRC (not set)")
    fi
    if [ -f "$remembered" ]; then
        candidate="$(cat "$remembered")"
        is_odoo18 "$candidate" && { echo "$candidate"; return; }
        tried+=("$remembered -> $candidate")
    else
        tried+=("$remembered (nothing remembered)")
    fi
    for candidate in "$REPO/../odoo" "$REPO/../odoo-18.0" "$HOME/odoo" "$HOME/odoo-18.0" \
        "$HOME/src/odoo" /opt/odoo-18.0 /opt/odoo18 /opt/odoo /opt/odoo/odoo \
        /usr/src/odoo /srv/odoo "$STATE_DIR/odoo-18.0"; do
        is_odoo18 "$candidate" && { echo "$(cd "$candidate" && pwd)"; return; }
        tried+=("$candidate")
    done
    # An odoo installed as a Python package (pip install -e, Debian's odoo-18 package).
    for py in python3 /usr/bin/python3; do
        candidate="$("$py" -c 'import odoo, os; print(os.path.dirname(os.path.dirname(odoo.__file__)))' 2>/dev/null || true)"
        if [ -n "$candidate" ] && is_odoo18 "$candidate"; then echo "$candidate"; return; fi
        tried+=("'import odoo' with $py")
    done
    if [ "${KUNDE_CRM_NO_CLONE:-0}" != "1" ] && command -v git >/dev/null 2>&1; then
        log "cloning Odoo 18.0 from $UPSTREAM_URL (shallow) into $STATE_DIR/odoo-18.0"
        mkdir -p "$STATE_DIR"
        rm -rf "$STATE_DIR/odoo-18.0.partial"
        if timeout 1800 git clone --quiet --depth 1 --branch 18.0 "$UPSTREAM_URL" "$STATE_DIR/odoo-18.0.partial" 2>/dev/null; then
            mv "$STATE_DIR/odoo-18.0.partial" "$STATE_DIR/odoo-18.0"
            echo "$STATE_DIR/odoo-18.0"
            return
        fi
        rm -rf "$STATE_DIR/odoo-18.0.partial"
        tried+=("git clone --branch 18.0 $UPSTREAM_URL (failed)")
    else
        tried+=("git clone of upstream 18.0 (disabled or git missing)")
    fi
    {
        echo "Odoo 18.0 source not found. Places tried:"
        printf '  - %s\n' "${tried[@]}"
        echo "Set ODOO_SRC=/path/to/odoo-18.0 (the folder holding odoo-bin) and run again."
    } >&2
    return 1
}

ensure_odoo() {
    ODOO_SRC="$(find_odoo)" || die "cannot continue without Odoo 18.0"
    chmod +x "$ODOO_SRC/odoo-bin" 2>/dev/null || true
    mkdir -p "$CONFIG_DIR"
    echo "$ODOO_SRC" >"$CONFIG_DIR/odoo_src"
    export ODOO_SRC
    log "Odoo 18.0 source: $ODOO_SRC"
}

# --------------------------------------------------------------------------
# Python environment
# --------------------------------------------------------------------------
ensure_venv() {
    local stamp="$VENV/.kunde_crm_requirements" want
    want="$(cat "$ODOO_SRC/requirements.txt" "$REPO/requirements-dev.txt" | sha256sum | cut -c1-16)"
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return
    fi
    log "preparing Python environment in $VENV (Odoo requirements + ours)"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    local constraint="$STATE_DIR/pip-build-constraints.txt"
    # cbor2 (pinned by Odoo) only builds with setuptools < 81.
    echo 'setuptools<81' >"$constraint"
    PIP_CONSTRAINT="$constraint" PIP_BUILD_CONSTRAINT="$constraint" \
        "$VENV/bin/pip" install -q -r "$ODOO_SRC/requirements.txt" -r "$REPO/requirements-dev.txt"
    # Odoo's gevent worker (--workers) resolves gevent's requirements through
    # pkg_resources when it starts: fail here, not in a restart loop there.
    "$VENV/bin/python" -W ignore -c 'import pkg_resources; pkg_resources.require("gevent")' ||
        die "pkg_resources cannot resolve gevent's requirements in $VENV: Odoo's gevent worker would not start (see requirements-dev.txt)"
    echo "$want" >"$stamp"
}

# --------------------------------------------------------------------------
# Odoo configuration and databases
# --------------------------------------------------------------------------
write_config() {
    mkdir -p "$RUN_DIR" "$DATA_DIR"
    cat >"$RUN_DIR/odoo.conf" <<EOF
[options]
addons_path = $ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$REPO
data_dir = $DATA_DIR
db_host = False
db_port = False
http_interface = 127.0.0.1
http_port = $HTTP_PORT
admin_passwd = admin
list_db = False
log_level = warn
EOF
    ODOO_CONF="$RUN_DIR/odoo.conf"
    PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}"
    export ODOO_CONF PYTHONPATH
}

odoo() { "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" "$@"; }

copy_filestore() {  # createdb -T copies the rows, not the attachments on disk
    local from="$DATA_DIR/filestore/$1" to="$DATA_DIR/filestore/$2"
    rm -rf "$to"
    if [ -d "$from" ]; then mkdir -p "$(dirname "$to")" && cp -a "$from" "$to"; fi
}

drop_db() {
    if db_exists "$1"; then
        psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname='$1'" >/dev/null
        dropdb "$1"
    fi
    rm -rf "${DATA_DIR:?}/filestore/$1"
}

# The base modules are installed once into a template database, named after the
# Odoo source and module list so that a new Odoo or a new dependency builds a new one.
template_name() {
    local key
    key="$( (echo "$ODOO_SRC|$BASE_MODULES|$LANGUAGES"; cat "$ODOO_SRC/odoo/release.py") | sha256sum | cut -c1-10)"
    echo "kunde_crm_tmpl_$key"
}

ensure_template() {
    TEMPLATE_DB="$(template_name)"
    if db_exists "$TEMPLATE_DB"; then return; fi
    local building="${TEMPLATE_DB}_building"
    drop_db "$building"
    log "building template database $TEMPLATE_DB ($BASE_MODULES, no demo data; about a minute)"
    odoo -d "$building" -i "$BASE_MODULES" --without-demo=all --load-language="$LANGUAGES" \
        --stop-after-init --log-level=warn || die "could not build $building"
    psql_q "ALTER DATABASE \"$building\" RENAME TO \"$TEMPLATE_DB\"" >/dev/null
    mkdir -p "$DATA_DIR/filestore"
    if [ -d "$DATA_DIR/filestore/$building" ]; then mv "$DATA_DIR/filestore/$building" "$DATA_DIR/filestore/$TEMPLATE_DB"; fi
}

# The apps template: a Norwegian company (the company in Norway before account
# chooses its chart, so it gets the Norwegian chart and NOK; users in
# Europe/Oslo), with the apps it runs beside us. English only, no demo data: the
# tests must load Norwegian themselves and build every record they use.
neighbour_template_name() {  # keyed on the modules, the Odoo source and how it is built
    local key
    key="$( (echo "$ODOO_SRC|$BASE_MODULES,$NEIGHBOUR_MODULES"; cat "$ODOO_SRC/odoo/release.py"
        declare -f ensure_neighbour_template) | sha256sum | cut -c1-10)"
    echo "kunde_crm_apps_$key"
}

ensure_neighbour_template() {
    NEIGHBOUR_TEMPLATE_DB="$(neighbour_template_name)"
    if db_exists "$NEIGHBOUR_TEMPLATE_DB"; then return; fi
    local building="${NEIGHBOUR_TEMPLATE_DB}_building"
    drop_db "$building"
    log "building template database $NEIGHBOUR_TEMPLATE_DB ($BASE_MODULES,$NEIGHBOUR_MODULES;" \
        "a Norwegian company, no demo data; a few minutes, once)"
    "$VENV/bin/python" -c 'import phonenumbers' 2>/dev/null ||
        "$VENV/bin/pip" install -q "$NEIGHBOUR_PY_PACKAGES" || die "pip install $NEIGHBOUR_PY_PACKAGES failed"
    odoo -d "$building" -i base --without-demo=all --stop-after-init --log-level=warn ||
        die "could not create $building"
    # What Odoo's database manager does for a new database in Norway.
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" shell -c "$ODOO_CONF" -d "$building" --no-http \
        --log-level=warn >/dev/null <<'PY' || die "could not make $building's company Norwegian"
env.company.write({"country_id": env.ref("base.no").id, "currency_id": env.ref("base.NOK").id})
env["res.users"].with_context(active_test=False).search([]).write({"tz": "Europe/Oslo"})
env.cr.commit()
PY
    odoo -d "$building" -i "$BASE_MODULES,$NEIGHBOUR_MODULES" --without-demo=all \
        --stop-after-init --log-level=warn || die "could not install the apps in $building"
    # Before its browser tests, Odoo's runner builds every asset bundle of the
    # database (minutes, with website). Built here once, every copy reuses them.
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" shell -c "$ODOO_CONF" -d "$building" --no-http \
        --log-level=warn >/dev/null <<'PY' || die "could not build the asset bundles of $building"
env["ir.qweb"]._pregenerate_assets_bundles()
env.cr.commit()
PY
    psql_q "ALTER DATABASE \"$building\" RENAME TO \"$NEIGHBOUR_TEMPLATE_DB\"" >/dev/null
    mkdir -p "$DATA_DIR/filestore"
    if [ -d "$DATA_DIR/filestore/$building" ]; then
        mv "$DATA_DIR/filestore/$building" "$DATA_DIR/filestore/$NEIGHBOUR_TEMPLATE_DB"
    fi
}

clone_db() {  # clone_db TEMPLATE NEW
    drop_db "$2" && createdb -T "$1" "$2" && copy_filestore "$1" "$2"
}

# Bridge addons: every kunde_crm_<app>/ folder of the repository with a manifest
# (kunde_crm_crm, kunde_crm_mass_mailing ...), each depending on kunde_crm and
# another Odoo app, auto_install. The core addon never depends on those apps.
bridge_addons() {  # their names, comma-separated (empty when there is none)
    local dir names=()
    for dir in "$REPO"/kunde_crm_*/; do
        [ -f "$dir/__manifest__.py" ] && names+=("$(basename "$dir")")
    done
    (IFS=,; echo "${names[*]}")
}

bridge_apps() {  # the Odoo apps the bridges depend on (not kunde_crm nor a bridge), comma-separated
    "$VENV/bin/python" - "$REPO" <<'PY'
import ast, pathlib, sys

repo = pathlib.Path(sys.argv[1])
bridges = sorted(p.parent for p in repo.glob("kunde_crm_*/__manifest__.py"))
names = {bridge.name for bridge in bridges} | {"kunde_crm"}
apps = []
for bridge in bridges:
    for name in ast.literal_eval((bridge / "__manifest__.py").read_text()).get("depends", []):
        if name not in names and name not in apps:
            apps.append(name)
print(",".join(apps))
PY
}

with_modules() {  # with_modules "a,b" "b,c" -> a,b,c (in order, each once)
    local list="$1" name
    local IFS=,
    for name in $2; do
        case ",$list," in *",$name,"*) ;; *) list="${list:+$list,}$name" ;; esac
    done
    echo "$list"
}

# The apps template holds the apps the bridges need too (crm is there already;
# mass_mailing for kunde_crm_mass_mailing): its name changes when they do.
add_bridge_apps_to_neighbours() {
    NEIGHBOUR_MODULES="$(with_modules "$NEIGHBOUR_MODULES" "$(bridge_apps)")"
}

setup() {
    ensure_system_packages
    ensure_postgres
    ensure_odoo
    ensure_venv
    write_config
}

# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------
ensure_run_db() {
    if ! db_exists "$RUN_DB"; then
        log "creating database '$RUN_DB' with demo data and kunde_crm (first run only; a few minutes)"
        local building="${RUN_DB}_building"
        drop_db "$building"
        odoo -d "$building" -i "$(with_modules kunde_crm "$(bridge_addons)")" --load-language="$LANGUAGES" \
            --stop-after-init --log-level=warn
        psql_q "ALTER DATABASE \"$building\" RENAME TO \"$RUN_DB\"" >/dev/null
        if [ -d "$DATA_DIR/filestore/$building" ]; then mv "$DATA_DIR/filestore/$building" "$DATA_DIR/filestore/$RUN_DB"; fi
    else
        # -u the installed modules; -i only the bridges the database lacks (made
        # before them): -i on an installed module would load its data and demo again.
        local installed missing="" name
        installed="$(psql -X -d "$RUN_DB" -tAc "SELECT string_agg(name, ',') FROM ir_module_module
            WHERE state = 'installed' AND name LIKE 'kunde_crm%'")"
        local IFS=,
        for name in $(bridge_addons); do
            case ",$installed," in *",$name,"*) ;; *) missing="${missing:+$missing,}$name" ;; esac
        done
        unset IFS
        log "database '$RUN_DB' exists: updating ${installed:-kunde_crm}${missing:+, installing $missing}"
        odoo -d "$RUN_DB" -u "${installed:-kunde_crm}" ${missing:+-i "$missing"} --stop-after-init --log-level=warn
    fi
}

cmd_run() {
    setup
    ensure_run_db
    cat >&2 <<EOF

  kunde_crm is starting on http://localhost:$HTTP_PORT  (database '$RUN_DB')
  Log in as:
    admin / admin                    administrator and Kundeservice manager (English)
    ingrid.agent / ingrid.agent      agent, team Kundeservice (Norwegian)
    lars.agent / lars.agent          agent, team Faktura (Norwegian)
    mona.rapport / mona.rapport      read-only reporting (Norwegian)
    kunde.portal / kunde.portal      a customer: http://localhost:$HTTP_PORT/my/cases
  Stop with Ctrl+C.

EOF
    exec "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$RUN_DB" --db-filter="^$RUN_DB\$" --log-level=info
}

cmd_lint() {
    setup
    log "ruff"
    "$VENV/bin/ruff" check "$REPO"
    "$VENV/bin/ruff" format --check "$REPO"
    log "pylint-odoo (mandatory checks)"
    local addons
    addons="$(with_modules kunde_crm "$(bridge_addons)")"
    (cd "$REPO" && "$VENV/bin/pylint" --rcfile="$REPO/.pylintrc-mandatory" ${addons//,/ })
}

free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stage 1: pytest-odoo on the base modules, the black-box tests, the linters.
test_stage_pytest() {
    ensure_template
    log "fresh test database '$TEST_DB' from $TEMPLATE_DB, installing kunde_crm"
    clone_db "$TEMPLATE_DB" "$TEST_DB" || return 1
    odoo -d "$TEST_DB" -i kunde_crm --without-demo=all --stop-after-init --log-level=warn || return 1
    # The black-box tests get their own copy, so both suites start from the same state.
    clone_db "$TEST_DB" "${TEST_DB}_e2e" || return 1
    local rc=0
    log "addon tests (pytest-odoo, real PostgreSQL)"
    (cd "$REPO" && "$VENV/bin/python" -m pytest -p no:cacheprovider --odoo-config="$ODOO_CONF" \
        --odoo-database="$TEST_DB" --odoo-http --odoo-log-level=warn kunde_crm/tests "$@") || rc=$?
    log "black-box tests (running server over JSON-RPC)"
    (cd "$REPO" && KUNDE_CRM_E2E_DB="${TEST_DB}_e2e" "$VENV/bin/python" -m pytest -p no:cacheprovider tests) || rc=$?
    cmd_lint || rc=$?
    return "$rc"
}

# Stage 2: the addon's tests with Odoo's own runner, as integrators and Odoo CI
# run them, in a database that also holds the apps of a Norwegian company.
# The bridge addons are installed there too (their apps are in the template), and
# their tests run with the core's: the core's tests also pass beside them.
test_stage_odoo_runner() {
    add_bridge_apps_to_neighbours
    ensure_neighbour_template
    local db="${TEST_DB}_apps" log="$RUN_DIR/odoo-runner-tests.log" port rc=0 modules tags
    modules="$(with_modules kunde_crm "$(bridge_addons)")"
    tags="/${modules//,/,/}"
    log "fresh database '$db' from $NEIGHBOUR_TEMPLATE_DB, installing $modules"
    clone_db "$NEIGHBOUR_TEMPLATE_DB" "$db" || return 1
    odoo -d "$db" -i "$modules" --without-demo=all --stop-after-init --log-level=warn || return 1
    port="$(free_port)"
    log "addon tests with Odoo's runner: odoo-bin -d $db -u $modules --test-tags $tags" \
        "(HTTP on port $port; full log in ${log#"$REPO/"})"
    # The log goes to the file (Odoo appends: start it empty); failures, errors and
    # the summary to the screen.
    : >"$log"
    timeout --kill-after=30 1500 "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$db" \
        -u "$modules" --test-tags "$tags" --stop-after-init --http-port="$port" \
        --max-cron-threads=0 --log-level=info --logfile="$log" || rc=$?
    check_odoo_test_log "$log" "$rc" "$modules"
}

# Odoo's runner can exit 0 although tests failed, did not run or were skipped
# (no Chromium: the tours are skipped). Passes only when the run exited 0, logged
# no ERROR or CRITICAL line, its summary says 0 failed and 0 errors of more than
# 0 tests, nothing was skipped, and every test method of each addon's tests/ started.
check_odoo_test_log() {  # check_odoo_test_log LOG EXIT_CODE [ADDONS, default kunde_crm]
    "$VENV/bin/python" - "$1" "$2" "$REPO" "${3:-kunde_crm}" <<'PY'
import ast, pathlib, re, sys

log_path, exit_code, repo = sys.argv[1], int(sys.argv[2]), pathlib.Path(sys.argv[3])
addons = sys.argv[4].split(",")
record = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (\w+) \S+ (\S+): (.*)$")
records, current = [], None
for line in pathlib.Path(log_path).read_text(errors="replace").splitlines():
    match = record.match(line)
    if match:
        current = [match[1], match[2], match[3], []]
        records.append(current)
    elif current:
        current[3].append(line)  # a traceback under its record

problems = []
if exit_code:
    problems.append(f"odoo-bin exited with {exit_code}")
for level, logger, message, more in records:
    if level in ("ERROR", "CRITICAL"):
        print(f"{level} {logger}: {message}", *more, sep="\n", file=sys.stderr)
        problems.append(f"{level} {logger}: {message.splitlines()[0][:160]}")
summary = [
    re.search(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests", message)
    for _level, logger, message, _more in records
    if logger == "odoo.tests.result" and "tests when loading database" in message
]
summary = [match for match in summary if match]
if not summary:
    problems.append("no test summary: the run stopped before its tests ended")
else:
    failed, errors, run = map(int, summary[-1].groups())
    print(f"Odoo's runner: {failed} failed, {errors} error(s) of {run} tests", file=sys.stderr)
    if failed or errors:
        problems.append(f"{failed} failed, {errors} error(s)")
    if not run:
        problems.append("no test ran")
started, skipped = set(), []
for _level, logger, message, _more in records:
    parts = logger.split(".")
    if parts[:2] != ["odoo", "addons"] or len(parts) < 3 or parts[2] not in addons:
        continue
    if match := re.match(r"Starting (\w+)\.(\w+) \.\.\.", message):
        started.add((parts[2], *match.groups()))
    elif message.startswith("skipped "):
        skipped.append(message)
problems += [f"test {line}" for line in skipped]
expected = set()
for addon in addons:
    for path in sorted((repo / addon / "tests").glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                expected |= {
                    (addon, node.name, item.name)
                    for item in node.body
                    if isinstance(item, ast.FunctionDef) and item.name.startswith("test")
                }
problems += [f"did not run: {a}: {c}.{n}" for a, c, n in sorted(expected - started)]
for addon in addons:
    ran = len({t for t in started if t[0] == addon})
    wanted = len({t for t in expected if t[0] == addon})
    print(f"Odoo's runner: {ran} of the {wanted} test methods of {addon}/tests ran",
          file=sys.stderr)
if problems:
    print("Odoo's runner stage FAILED:", *problems, sep="\n  ", file=sys.stderr)
    sys.exit(1)
PY
}

cmd_test() {
    setup
    local rc=0 start
    start=$SECONDS
    log "stage 1: pytest-odoo, black-box tests, linters"
    test_stage_pytest "$@" || rc=$?
    log "stage 1 took $((SECONDS - start)) s$([ "$rc" -eq 0 ] || echo " and FAILED (exit $rc)")"
    local rc2=0
    start=$SECONDS
    log "stage 2: Odoo's own test runner, beside $NEIGHBOUR_MODULES"
    test_stage_odoo_runner || rc2=$?
    log "stage 2 took $((SECONDS - start)) s$([ "$rc2" -eq 0 ] || echo " and FAILED (exit $rc2)")"
    [ "$rc" -ne 0 ] || rc=$rc2
    [ "$rc" -eq 0 ] && log "all tests and linters passed" || log "FAILED (exit $rc)"
    return "$rc"
}

# make bench: 200,000 cases side by side with helpdesk_mgmt (bench/README.md).
# Arguments go to bench/run.py: make bench GROWTH=1 passes --growth (the same
# figures again with ten times the history), CASES=N --cases N, ARGS the rest.
cmd_bench() {
    setup
    ensure_template
    "$VENV/bin/python" "$REPO/bench/run.py" --base-template "$TEMPLATE_DB" \
        --odoo-src "$ODOO_SRC" --conf "$ODOO_CONF" --data-dir "$DATA_DIR" "$@"
}

cmd_screenshots() {  # PNGs of the demo database for the README (docs/)
    setup
    ensure_run_db
    local port log rc=0
    port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    log="$RUN_DIR/screenshots-odoo.log"
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$RUN_DB" --db-filter="^$RUN_DB\$" \
        --http-port="$port" --gevent-port=0 --workers=0 --max-cron-threads=0 --logfile="$log" &
    SCREENSHOT_SERVER=$!
    trap 'kill "$SCREENSHOT_SERVER" 2>/dev/null || true' EXIT
    for _ in $(seq 1 120); do
        curl -fs "http://127.0.0.1:$port/web/health" >/dev/null 2>&1 && break
        sleep 1
    done
    "$VENV/bin/python" "$REPO/scripts/screenshots.py" --url "http://127.0.0.1:$port" \
        --db "$RUN_DB" --out "$REPO/docs" || rc=$?
    kill "$SCREENSHOT_SERVER" 2>/dev/null || true
    return "$rc"
}

cmd_env() {  # print the located paths, for other scripts (bench, screenshots)
    setup >/dev/null
    printf 'ODOO_SRC=%s\nVENV=%s\nODOO_CONF=%s\nDATA_DIR=%s\n' "$ODOO_SRC" "$VENV" "$ODOO_CONF" "$DATA_DIR"
}

main() {
    local cmd="${1:-}"
    shift || true
    case "$cmd" in
        run) cmd_run "$@" ;;
        screenshots) cmd_screenshots ;;
        test) cmd_test "$@" ;;
        test-odoo-runner) setup; test_stage_odoo_runner ;;  # stage 2 of make test alone
        lint) cmd_lint "$@" ;;
        bench) cmd_bench "$@" ;;
        setup) setup ;;
        env) cmd_env ;;
        # Not `setup && ensure_template`: set -e does not apply inside an && list.
        template) setup; ensure_template; echo "$TEMPLATE_DB" ;;
        apps-template) setup; add_bridge_apps_to_neighbours; ensure_neighbour_template; echo "$NEIGHBOUR_TEMPLATE_DB" ;;
        *) die "usage: scripts/kunde.sh run|test|test-odoo-runner|lint|setup|env|template|apps-template" ;;
    esac
}

main "$@"
