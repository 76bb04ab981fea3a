"""The pipeline's rules, evaluated for the cases that matter (tests/deploy/gitlab_rules.py): which jobs
each pushes, merge request and Run pipeline gets, with which needs and variables."""

from __future__ import annotations

import pytest

from tests.deploy.conftest import ROOT
from tests.deploy.gitlab_rules import Event, PipelineError, PlannedJob, holds, load, plan

BUILDS = {"build-api", "build-job", "build-job-cpu"}
DIGEST = "sha256:" + "ab" * 32


def jobs_of(event: Event) -> dict[str, PlannedJob]:
    planned = plan(load(ROOT / ".gitlab-ci.yml"), event)
    assert planned is not None, f"no pipeline for {event}"
    return planned


@pytest.mark.parametrize("open_merge_request", [False, True])
def test_a_push_to_dev_builds_and_deploys_dev_open_merge_request_or_not(open_merge_request: bool) -> None:
    jobs = jobs_of(Event("push", "dev", changed=frozenset({"api/app.py"}),
                         open_merge_request=open_merge_request))
    assert set(jobs) == {"test", *BUILDS, "deploy-dev"}
    assert jobs["deploy-dev"].needs == ("build-api", "build-job-cpu")  # not the GPU image it never runs
    assert jobs["deploy-dev"].when == "on_success"
    assert all(jobs[name].variables["PUSH"] == "true" for name in BUILDS)


@pytest.mark.parametrize("open_merge_request", [False, True])
def test_a_push_to_staging_deploys_staging_with_the_gpu_image(open_merge_request: bool) -> None:
    jobs = jobs_of(Event("push", "staging", changed=frozenset({"jobs/detect.py"}),
                         open_merge_request=open_merge_request))
    assert set(jobs) == {"test", *BUILDS, "deploy-staging"}
    assert jobs["deploy-staging"].needs == ("build-api", "build-job")


@pytest.mark.parametrize("open_merge_request", [False, True])
def test_a_push_to_main_promotes_staging_s_images_and_builds_nothing(open_merge_request: bool) -> None:
    jobs = jobs_of(Event("push", "main", changed=frozenset({"images/job/Dockerfile"}),
                         open_merge_request=open_merge_request))
    assert set(jobs) == {"test", "promote-production", "deploy-production"}
    assert jobs["deploy-production"].needs == ("promote-production",)
    promote = jobs["promote-production"].body
    assert promote["environment"] == {"name": "staging", "action": "access"}  # reads staging, deploys nothing
    assert promote["artifacts"]["reports"]["dotenv"] == "promoted.env"


def test_a_feature_branch_push_is_tested_and_with_an_open_merge_request_left_to_it() -> None:
    alone = jobs_of(Event("push", "shot-notes", changed=frozenset({"images/api/Dockerfile"})))
    assert set(alone) == {"test"}
    with_merge_request = Event("push", "shot-notes", changed=frozenset({"api/app.py"}),
                               open_merge_request=True)
    assert plan(load(ROOT / ".gitlab-ci.yml"), with_merge_request) is None


@pytest.mark.parametrize("changed", ["images/job/Dockerfile", "pyproject.toml", ".gitlab-ci.yml",
                                     ".gitlab/ci/build-image.sh"])
def test_a_merge_request_touching_the_images_builds_them_without_pushing(changed: str) -> None:
    jobs = jobs_of(Event("merge_request_event", "shot-notes", changed=frozenset({"api/app.py", changed})))
    assert set(jobs) == {"test", *BUILDS}
    assert all(jobs[name].variables["PUSH"] == "false" for name in BUILDS)
    assert all(jobs[name].needs == ("test",) for name in BUILDS)


def test_a_merge_request_touching_only_code_is_tested_only() -> None:
    jobs = jobs_of(Event("merge_request_event", "shot-notes", changed=frozenset({"api/app.py", "docs/x.md"})))
    assert set(jobs) == {"test"}


@pytest.mark.parametrize(("branch", "job", "environment"), [("dev", "rollback-dev", "dev"),
                                                            ("staging", "rollback-staging", "staging"),
                                                            ("main", "rollback-production", "production")])
def test_run_pipeline_rollback_rolls_back_only_and_is_a_deployment(branch: str, job: str,
                                                                  environment: str) -> None:
    jobs = jobs_of(Event("web", branch, {"ACTION": "rollback", "REVISION": "7"}))
    assert set(jobs) == {job}
    assert jobs[job].needs == () and jobs[job].when == "on_success"
    assert jobs[job].body["environment"]["name"] == environment
    assert jobs[job].body["environment"].get("action", "start") == "start"  # recorded as a deployment
    assert jobs[job].body["script"] == [".gitlab/ci/rollback.sh"]


@pytest.mark.parametrize(("branch", "job"), [("dev", "deploy-dev"), ("main", "deploy-production")])
def test_run_pipeline_deploy_deploys_the_digests_given_and_builds_nothing(branch: str, job: str) -> None:
    jobs = jobs_of(Event("web", branch, {"ACTION": "deploy", "DEPLOY_API_DIGEST": DIGEST,
                                         "DEPLOY_JOB_DIGEST": DIGEST}))
    assert set(jobs) == {job} and jobs[job].needs == ()


@pytest.mark.parametrize(("branch", "expected"), [("shot-notes", {"test"}),
                                                  ("dev", {"test", *BUILDS, "deploy-dev"}),
                                                  ("main", {"test", "promote-production",
                                                            "deploy-production"})])
def test_run_pipeline_without_an_action_runs_as_a_push_on_every_branch(branch: str,
                                                                      expected: set[str]) -> None:
    assert set(jobs_of(Event("web", branch))) == expected


@pytest.mark.parametrize(("branch", "action"), [("main", "rolback"), ("shot-notes", "rollback"),
                                                ("shot-notes", "deploy")])
def test_run_pipeline_with_an_action_it_cannot_do_fails_saying_so(branch: str, action: str) -> None:
    jobs = jobs_of(Event("web", branch, {"ACTION": action}))
    assert set(jobs) == {"refuse-action"}
    assert jobs["refuse-action"].body["script"][-1] == "exit 2"


def test_a_tag_push_is_tested_only() -> None:
    assert set(jobs_of(Event("push", "", tag="v0.9.0"))) == {"test"}


# -- the evaluator itself, on GitLab's documented semantics ------------------------------------------


@pytest.mark.parametrize(("expression", "expected"), [
    ('$A == "x"', True), ('$A != "x"', False), ("$A", True), ("$EMPTY", False), ("$UNSET", False),
    ("$UNSET == null", True), ("$EMPTY == null", False), ('$EMPTY == ""', True), ("$A == $B", False),
    ("$A =~ /^x$/", True), ("$A =~ /y/", False), ("$A !~ /y/", True), ("$UNSET =~ /x/", False),
    ('$A == "y" || $B == "z" && $A == "x"', True), ('($A == "y" || $B == "z") && $UNSET', False),
    ('$A == "y" || $B == "z" && $UNSET', False), ("$B =~ /^(dev|staging|main)$/", False),
])
def test_expressions_follow_gitlab(expression: str, expected: bool) -> None:
    assert holds(expression, {"A": "x", "B": "z", "EMPTY": ""}) is expected


def test_a_need_outside_the_pipeline_is_an_error() -> None:
    config = {"a": {"script": ["x"], "needs": ["b"]},
              "b": {"script": ["y"], "rules": [{"if": '$CI_COMMIT_BRANCH == "main"'}]}}
    assert set(plan(config, Event("push", "main")) or {}) == {"a", "b"}
    with pytest.raises(PipelineError, match="needs"):
        plan(config, Event("push", "dev"))


def test_changes_globs_cross_folders_only_with_two_stars() -> None:
    config = {"a": {"script": ["x"], "rules": [{"changes": ["images/*"]}]},
              "b": {"script": ["x"], "rules": [{"changes": {"paths": ["images/**/*"]}}]},
              "c": {"script": ["x"]}}
    deep = plan(config, Event("push", "f", changed=frozenset({"images/job/Dockerfile"})))
    assert set(deep or {}) == {"b", "c"}
    top = plan(config, Event("push", "f", changed=frozenset({"images/README"})))
    assert set(top or {}) == {"a", "b", "c"}
    assert set(plan(config, Event("web", "f")) or {}) == {"a", "b", "c"}  # no push: changes hold
