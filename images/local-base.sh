#!/bin/sh
# The base the images build FROM on a machine that reaches no container registry: Debian bookworm
# with Python 3.11, made with mmdebstrap from Debian's packages and committed with buildah as
#   localhost/platecut-python:3.11-bookworm
# It stands in for python:3.11.13-slim-bookworm (same Debian release, same Python minor; Debian's
# python3 is /usr/bin/python3, with `python` beside it). Like Debian's official images, apt keeps
# no downloaded packages and no package cache. Made again only when this recipe changes (the image
# carries the recipe's hash as a label). Needs root, buildah and mmdebstrap.
set -eu

BASE=${BASE:-localhost/platecut-python:3.11-bookworm}
PACKAGES=python3,python3-venv,python-is-python3,ca-certificates
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs} BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
recipe=$(cat "$0" | sha256sum | cut -c1-16)

if [ "$(buildah inspect --type image --format '{{index .ImageAnnotations "org.platecut.recipe"}}' "$BASE" 2>/dev/null)" = "$recipe" ]; then
  echo "$BASE is up to date"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clean='DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };'
mmdebstrap --quiet --variant=minbase --include="$PACKAGES" \
  --aptopt="$clean" --aptopt='Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  bookworm "$work/rootfs.tar"
container=$(buildah from scratch)
buildah add --quiet "$container" "$work/rootfs.tar" /
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env LANG=C.UTF-8 \
  --cmd '["python3"]' --annotation "org.platecut.recipe=$recipe" "$container"
buildah commit --quiet --rm "$container" "$BASE" >/dev/null
echo "made $BASE"
