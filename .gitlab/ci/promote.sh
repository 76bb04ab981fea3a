#!/bin/sh
# What production gets on main: the images staging runs, by digest, never a rebuild.
#
#   promote.sh [VALUES_JSON]
#
# Reads the staging release's values (`helm get values "$RELEASE" --namespace "$STAGING_NAMESPACE"
# --output json`, with staging's KUBE_CONTEXT; or the file given), checks that staging runs images
# pinned by digest, built from a commit of this repository, and that this commit changes nothing
# the images are built from since then (SOURCE_PATHS), and writes promoted.env for deploy-production:
# API_DIGEST, JOB_GPU_DIGEST and IMAGE_TAG (staging's commit).
# Exit 2: staging cannot be promoted (the message says why); nothing is written then.
set -eu

fail() { echo "promote: $*" >&2; rm -f promoted.env; exit 2; }
is_digest() { printf '%s' "$1" | grep -Eq '^sha256:[0-9a-f]{64}$'; }
SOURCE_PATHS=${SOURCE_PATHS:-images api jobs pyproject.toml README.md}

if [ $# -gt 0 ]; then
  values=$1
else
  values=staging-values.json
  helm get values "$RELEASE" --namespace "$STAGING_NAMESPACE" --output json > "$values" \
    || fail "cannot read the staging release $RELEASE in $STAGING_NAMESPACE"
fi
field() { jq -r "$1 // \"\"" "$values" 2>/dev/null || fail "$values is not the JSON of a release's values"; }
api_digest=$(field .image.digest)
job_digest=$(field .jobs.image.digest)
commit=$(field .image.tag)

is_digest "$api_digest" || fail "staging's API image is not pinned by digest ('$api_digest'): deploy staging from a pipeline first"
is_digest "$job_digest" || fail "staging's job image is not pinned by digest ('$job_digest'): deploy staging from a pipeline first"
git cat-file -e "$commit^{commit}" 2>/dev/null \
  || fail "staging runs images of commit '$commit', which this repository does not hold"
changed=$(git diff --name-only "$commit" HEAD -- $SOURCE_PATHS)
if [ -n "$changed" ]; then
  fail "main changes what the images are built from since staging's $commit; merge through staging first:
$changed"
fi

printf 'API_DIGEST=%s\nJOB_GPU_DIGEST=%s\nIMAGE_TAG=%s\n' "$api_digest" "$job_digest" "$commit" > promoted.env
echo "promoting staging's images of $commit: api $api_digest, job $job_digest"
