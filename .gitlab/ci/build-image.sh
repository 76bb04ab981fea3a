#!/bin/sh
# Build one image with buildah: no daemon, no privileged container (vfs storage, chroot isolation),
# the same way the images are built and tried on a developer's machine.
#
#   DOCKERFILE   images/api/Dockerfile or images/job/Dockerfile
#   TARGET       the Dockerfile stage to build (optional)
#   IMAGE        repository to tag (and push) as IMAGE:TAG
#   TAG          the commit the image is built from ($CI_COMMIT_SHORT_SHA)
#   DIGEST_NAME  the dotenv variable the pushed digest is written to (API_DIGEST, JOB_GPU_DIGEST, ...)
#   PUSH         true: push the image and its layer cache, write DIGEST_NAME to build.env;
#                false: build only (merge requests, and `make images` on a developer's machine)
#   BASE_IMAGE   the Python base instead of the Dockerfiles' public default (optional; `make images`
#                passes the one images/local-base.sh makes)
#   PIP_CONF, CA_BUNDLE  files handed to pip's steps as build secrets (optional): the site's package
#                index settings and CA bundle, mounted for those steps only, never in a layer
set -eu

: "${DOCKERFILE:?}" "${IMAGE:?}" "${TAG:?}" "${DIGEST_NAME:?}" "${PUSH:?}"
case "$PUSH" in true|false) ;; *) echo "PUSH must be true or false, not '$PUSH'" >&2; exit 2 ;; esac

export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
reference="$IMAGE:$TAG"

set -- --file "$DOCKERFILE" --tag "$reference" --layers
if [ -n "${CI_REGISTRY:-}" ]; then
  printf '%s' "$CI_REGISTRY_PASSWORD" | buildah login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
  set -- "$@" --cache-from "$IMAGE/cache"
  if [ "$PUSH" = true ]; then set -- "$@" --cache-to "$IMAGE/cache"; fi
fi
if [ -n "${TARGET:-}" ]; then set -- "$@" --target "$TARGET"; fi
if [ -n "${BASE_IMAGE:-}" ]; then set -- "$@" --build-arg "PYTHON_IMAGE=$BASE_IMAGE"; fi
for secret in pip.conf:${PIP_CONF:-} ca-certificates.crt:${CA_BUNDLE:-}; do
  id=${secret%%:*} src=${secret#*:}
  if [ -n "$src" ]; then
    [ -r "$src" ] || { echo "$src (the $id secret) cannot be read" >&2; exit 2; }
    set -- "$@" --secret "id=$id,src=$src"
  fi
done
buildah build "$@" .

if [ "$PUSH" = true ]; then
  buildah push --digestfile digest "$reference"
  digest=$(cat digest)
  case "$digest" in sha256:*) ;; *) echo "buildah push wrote no digest for $reference" >&2; exit 1 ;; esac
  printf '%s=%s\n' "$DIGEST_NAME" "$digest" > build.env
  echo "pushed $reference@$digest"
fi
