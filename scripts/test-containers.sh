#!/bin/sh
# make test-containers: the container examples (examples/docker,
# examples/kubernetes) on real engines, tests/containers.
#
# Installs what is missing (docker.io, docker-compose, mmdebstrap; kubectl
# only when none is on PATH), starts a PRIVATE dockerd (its own data-root,
# exec-root and socket under a temporary directory: a system dockerd is never
# touched), builds a Debian bookworm base image with mmdebstrap (no registry
# needed; the root tarball is cached in $CACHE), builds the example images,
# then runs pytest on tests/containers with DOCKER_HOST exported.
#
# Always cleans up, even on failure or ^C: the swarm, every container,
# network, volume and image, the private dockerd, the bridges and iptables
# rules Docker made, and ip_forward and the FORWARD policy as they were.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE=${DROVER_CONTAINERS_CACHE:-/var/tmp/drover-containers-cache}
PYTEST=${PYTEST:-/usr/bin/python3 -m pytest}
BASE_IMAGE=local/bookworm:minbase
APP_IMAGE=drover-test/hello:latest
NGINX_IMAGE=drover-test/nginx:latest

if [ "$(id -u)" -ne 0 ]; then
    echo "test-containers: needs root (a private dockerd, iptables)" >&2
    exit 1
fi

t0=$(date +%s)
step() { echo "== test-containers [$(($(date +%s) - t0)) s] $*"; }

# --- packages ---
missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v docker >/dev/null 2>&1 || missing="$missing docker.io"
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
command -v mmdebstrap >/dev/null 2>&1 || missing="$missing mmdebstrap"
command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
command -v iptables >/dev/null 2>&1 || missing="$missing iptables"
/usr/bin/python3 -c 'import yaml, pytest' 2>/dev/null || missing="$missing python3-yaml python3-pytest"
if [ -n "$missing" ]; then
    step "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # no service is started (no systemd here; policy-rc.d elsewhere is respected)
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
fi

# --- what the machine looks like before: restored at the end ---
T=$(mktemp -d /tmp/drover-ctr.XXXXXX)
chmod 711 "$T"
ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)
# Docker turns bridged traffic through iptables on (br_netfilter)
bridge_nf=""
for k in iptables ip6tables; do
    f=/proc/sys/net/bridge/bridge-nf-call-$k
    [ -f "$f" ] && bridge_nf="$bridge_nf $k=$(cat "$f")"
done
forward_policy=$(iptables -S FORWARD | awk '$1 == "-P" {print $3}')
for table in filter nat mangle raw; do
    iptables -t $table -S > "$T/ipt.$table.before" 2>/dev/null || true
done
ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort > "$T/links.before"
DOCKERD_PID=""

cleanup() {
    rc=$?
    set +e
    trap '' INT TERM
    if [ -s "$T/report.txt" ]; then
        echo "== test-containers: measured"
        sed 's/^/   /' "$T/report.txt"
    fi
    step "cleaning up"
    if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
        # containers and networks through the engine (it tears their veths,
        # bridges and rules down); images and volumes go with the data-root
        docker swarm leave --force >/dev/null 2>&1
        ids=$(docker ps -aq)
        # shellcheck disable=SC2086
        [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
        docker network prune -f >/dev/null 2>&1
        kill "$DOCKERD_PID"
        i=0
        while kill -0 "$DOCKERD_PID" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
        kill -9 "$DOCKERD_PID" 2>/dev/null
    fi
    # the containerd dockerd started for itself, when still there
    if [ -f "$T/exec/containerd/containerd.pid" ]; then
        cpid=$(cat "$T/exec/containerd/containerd.pid" 2>/dev/null)
        [ -n "$cpid" ] && kill "$cpid" 2>/dev/null
    fi
    # the links Docker made (docker0, docker_gwbridge, br-*, veth*): only
    # those that were not there before
    ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort > "$T/links.after"
    for l in $(comm -13 "$T/links.before" "$T/links.after"); do
        case "$l" in docker0 | docker_gwbridge | br-* | veth*) ip link del "$l" 2>/dev/null ;; esac
    done
    # iptables and forwarding as they were: the rules and chains added since
    # the start are deleted (someone else's rules stay)
    for table in filter nat mangle raw; do
        iptables -t $table -S > "$T/ipt.$table.after" 2>/dev/null || continue
        /usr/bin/python3 - "$T/ipt.$table.before" "$T/ipt.$table.after" "$table" <<'PY'
import shlex, subprocess, sys
before = set(open(sys.argv[1]).read().splitlines())
after = open(sys.argv[2]).read().splitlines()
table = sys.argv[3]
added = [l for l in after if l not in before]
for l in reversed([l for l in added if l.startswith("-A ")]):
    subprocess.run(["iptables", "-t", table, "-D", *shlex.split(l)[1:]], check=False)
for l in [l for l in added if l.startswith("-N ")]:
    subprocess.run(["iptables", "-t", table, "-F", l.split()[1]], check=False)
for l in [l for l in added if l.startswith("-N ")]:
    subprocess.run(["iptables", "-t", table, "-X", l.split()[1]], check=False)
PY
    done
    [ -n "$forward_policy" ] && iptables -P FORWARD "$forward_policy"
    echo "$ip_forward" > /proc/sys/net/ipv4/ip_forward
    for kv in $bridge_nf; do
        echo "${kv#*=}" > "/proc/sys/net/bridge/bridge-nf-call-${kv%%=*}"
    done
    # the swarm's and Docker's mounts under the temporary directory
    grep " $T/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$T"
    step "done (exit $rc)"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- a private dockerd ---
step "starting a private dockerd in $T"
mkdir -p "$T/data" "$T/exec"
dockerd --data-root "$T/data" --exec-root "$T/exec" -H "unix://$T/docker.sock" \
    --pidfile "$T/dockerd.pid" --containerd-namespace drover-test \
    --containerd-plugins-namespace drover-test-plugins >"$T/dockerd.log" 2>&1 &
DOCKERD_PID=$!
export DOCKER_HOST="unix://$T/docker.sock" DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
export DOCKER_CONFIG="$T/docker-config"
i=0
until docker version >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 150 ] || ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
        echo "test-containers: FAILED: the private dockerd did not serve within 30 s" >&2
        tail -n 30 "$T/dockerd.log" >&2
        exit 1
    fi
    sleep 0.2
done

# --- images ---
mkdir -p "$CACHE"
if [ ! -s "$CACHE/bookworm-minbase.tar" ]; then
    step "building the Debian bookworm root with mmdebstrap (cached in $CACHE)"
    mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm \
        "$CACHE/bookworm-minbase.partial.tar" /etc/apt/sources.list.d/debian.sources
    mv "$CACHE/bookworm-minbase.partial.tar" "$CACHE/bookworm-minbase.tar"
fi
step "importing $BASE_IMAGE"
docker import "$CACHE/bookworm-minbase.tar" "$BASE_IMAGE" >/dev/null
# both at once: the nginx image mostly waits on the mirror while drover compiles
step "building $APP_IMAGE (examples/docker/Dockerfile) and $NGINX_IMAGE (examples/docker/nginx.Dockerfile)"
docker build -f examples/docker/nginx.Dockerfile --build-arg "BASE=$BASE_IMAGE" \
    -t "$NGINX_IMAGE" examples/docker >"$T/build-nginx.log" 2>&1 &
nginx_build=$!
app_rc=0
docker build -f examples/docker/Dockerfile --build-arg "BASE=$BASE_IMAGE" -t "$APP_IMAGE" . \
    >"$T/build-app.log" 2>&1 || app_rc=$?
nginx_rc=0
wait "$nginx_build" || nginx_rc=$?
[ $app_rc -eq 0 ] || { tail -n 40 "$T/build-app.log" >&2; exit 1; }
[ $nginx_rc -eq 0 ] || { tail -n 40 "$T/build-nginx.log" >&2; exit 1; }
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -v '^<none>'

# --- the tests ---
step "pytest tests/containers"
export DROVER_TEST_DOCKERD=1 DROVER_IMAGE="$APP_IMAGE" NGINX_IMAGE="$NGINX_IMAGE" \
    DROVER_CTR_TMP="$T"
# shellcheck disable=SC2086
$PYTEST -v --durations=0 tests/containers
step "passed"
