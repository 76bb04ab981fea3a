#!/bin/sh
# helm upgrade --install of the chart into one environment, with its images pinned by digest.
#
#   RELEASE, CHART, NAMESPACE, VALUES_FILES  where and what (see .gitlab-ci.yml)
#   API_IMAGE, JOB_IMAGE                     the repositories
#   JOB_FLAVOUR                              cpu or gpu: the job image this environment runs
#   the images, by digest:
#     ACTION=deploy (Run pipeline)           DEPLOY_API_DIGEST, DEPLOY_JOB_DIGEST, DEPLOY_IMAGE_TAG
#     otherwise (the build or promotion      API_DIGEST, JOB_CPU_DIGEST or JOB_GPU_DIGEST, IMAGE_TAG
#     it needs, as dotenv)
#   IMAGE_TAG is the commit the images were built from (default: this commit); it is recorded as the
#   images' tag beside their digests, which decide.
# Writes deployed.env (the digests and commit now running), kept as the job's artifact.
# Exit 2: a digest or flavour that is not one; nothing is deployed then.
set -eu

fail() { echo "deploy: $*" >&2; exit 2; }
is_digest() { printf '%s' "$1" | grep -Eq '^sha256:[0-9a-f]{64}$'; }

case "${JOB_FLAVOUR:-}" in
  cpu) suffix=-cpu built_job_digest=${JOB_CPU_DIGEST:-} ;;
  gpu) suffix= built_job_digest=${JOB_GPU_DIGEST:-} ;;
  *) fail "JOB_FLAVOUR must be cpu or gpu, not '${JOB_FLAVOUR:-}'" ;;
esac
if [ "${ACTION:-}" = deploy ]; then
  api_digest=${DEPLOY_API_DIGEST:-} job_digest=${DEPLOY_JOB_DIGEST:-} tag=${DEPLOY_IMAGE_TAG:-}
else
  api_digest=${API_DIGEST:-} job_digest=$built_job_digest tag=${IMAGE_TAG:-}
fi
is_digest "$api_digest" || fail "the API image's digest must be sha256:<64 hex digits>, not '$api_digest'"
is_digest "$job_digest" || fail "the job image's digest must be sha256:<64 hex digits>, not '$job_digest'"
tag=${tag:-$CI_COMMIT_SHORT_SHA}

set -- upgrade --install "$RELEASE" "$CHART" --namespace "$NAMESPACE" --create-namespace
for values in $VALUES_FILES; do set -- "$@" -f "$values"; done
set -- "$@" \
  --set image.repository="$API_IMAGE" --set-string image.tag="$tag" --set-string image.digest="$api_digest" \
  --set jobs.image.repository="$JOB_IMAGE" --set-string jobs.image.tag="$tag$suffix" \
  --set-string jobs.image.digest="$job_digest" \
  --description "platecut $tag ($CI_PIPELINE_URL)" --wait --timeout 15m --history-max 20
helm "$@"
helm status "$RELEASE" --namespace "$NAMESPACE"

printf 'IMAGE_TAG=%s\nAPI_DIGEST=%s\nJOB_%s_DIGEST=%s\n' "$tag" "$api_digest" \
  "$(printf '%s' "$JOB_FLAVOUR" | tr a-z A-Z)" "$job_digest" > deployed.env
