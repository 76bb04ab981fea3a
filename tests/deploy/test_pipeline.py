""".gitlab-ci.yml, skaffold.yaml and the Dockerfiles: GitLab's own schema, and the references between
them and the repository (stages, needs, extends, values files, Dockerfiles, contexts, base images)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import CHART, ROOT
from tests.deploy.gitlab_rules import GLOBAL_KEYS, resolved

GITLAB_CI = ROOT / ".gitlab-ci.yml"
SKAFFOLD = ROOT / "skaffold.yaml"
DOCKERFILES = {"api": ROOT / "images" / "api" / "Dockerfile", "job": ROOT / "images" / "job" / "Dockerfile"}
BRANCH_ENVIRONMENTS = {"dev": "dev", "staging": "staging", "main": "production"}


def gitlab_ci() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(GITLAB_CI.read_text())
    return data


def jobs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in config.items() if name not in GLOBAL_KEYS and isinstance(body, dict)}


def visible(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: resolved(config, name) for name in jobs(config) if not name.startswith(".")}


def script_text(job: dict[str, Any]) -> str:
    return "\n".join(str(line) for key in ("before_script", "script") for line in job.get(key, []))


# -- .gitlab-ci.yml ----------------------------------------------------------------------------------


def test_gitlab_ci_matches_gitlabs_schema() -> None:
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci",
                             str(GITLAB_CI)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gitlab_ci_references_resolve() -> None:
    config = gitlab_ci()
    assert config["stages"] == ["test", "build", "deploy"]
    all_jobs = jobs(config)
    for name, body in all_jobs.items():
        parents = body.get("extends", [])
        for parent in [parents] if isinstance(parents, str) else parents:
            assert parent in all_jobs, f"{name} extends unknown {parent}"
    for name, job in visible(config).items():
        assert job.get("stage", "test") in config["stages"], f"{name}: stage {job.get('stage')}"
        for need in job.get("needs", []):
            needed = need if isinstance(need, str) else need["job"]
            assert needed in visible(config), f"{name} needs unknown job {needed}"
            order = config["stages"].index
            assert order(visible(config)[needed].get("stage", "test")) <= order(job.get("stage", "test")), (
                f"{name} needs {needed} of a later stage")
        if "rules" in job:  # GitLab refuses a job-level when/only/except beside rules
            assert not {"only", "except", "when"} & set(job), name


def test_gitlab_ci_test_stage_runs_make_test() -> None:
    test = visible(gitlab_ci())["test"]
    assert test["stage"] == "test" and test["script"] == ["make test WITH_IMAGES=0"]


def test_gitlab_ci_builds_the_three_images_with_buildah_by_commit() -> None:
    builds = {name: job for name, job in visible(gitlab_ci()).items() if name.startswith("build-")}
    built = set()
    for name, job in builds.items():
        assert job["image"].startswith("quay.io/buildah/stable:v1.")
        assert job["script"] == [".gitlab/ci/build-image.sh"]
        variables = job["variables"]
        assert (ROOT / variables["DOCKERFILE"]).is_file(), f"{name}: {variables['DOCKERFILE']}"
        assert variables["TAG"].startswith("$CI_COMMIT_SHORT_SHA")
        built.add((variables["DOCKERFILE"], variables.get("TARGET"), variables["DIGEST_NAME"]))
        assert job["needs"] == ["test"] and job["artifacts"]["reports"]["dotenv"] == "build.env"
    assert built == {("images/api/Dockerfile", None, "API_DIGEST"),
                     ("images/job/Dockerfile", "gpu", "JOB_GPU_DIGEST"),
                     ("images/job/Dockerfile", "cpu", "JOB_CPU_DIGEST")}
    text = (ROOT / ".gitlab" / "ci" / "build-image.sh").read_text()
    assert "kaniko" not in GITLAB_CI.read_text() and "STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot" in text


@pytest.mark.parametrize(("branch", "environment"), BRANCH_ENVIRONMENTS.items())
def test_gitlab_ci_deploys_and_rolls_back_each_branch(branch: str, environment: str) -> None:
    config = visible(gitlab_ci())
    name = {"main": "production"}.get(branch, branch)
    deploy, rollback = config[f"deploy-{name}"], config[f"rollback-{name}"]
    assert deploy["environment"]["name"] == rollback["environment"]["name"] == environment
    assert deploy["environment"]["url"].startswith("https://")
    assert set(deploy["environment"]) == {"name", "url"} == set(rollback["environment"])  # deployments both
    assert deploy["script"] == [".gitlab/ci/deploy.sh"] and rollback["script"] == [".gitlab/ci/rollback.sh"]
    assert deploy["artifacts"]["paths"] == ["deployed.env"]
    assert rollback["needs"] == []  # a rollback must not wait for (or on) a failed build
    assert deploy["resource_group"] == rollback["resource_group"] == name
    for values_file in deploy["variables"]["VALUES_FILES"].split():
        assert (ROOT / values_file).is_file(), values_file
    assert deploy["variables"]["NAMESPACE"] == rollback["variables"]["NAMESPACE"]
    assert deploy["variables"]["JOB_FLAVOUR"] == ("cpu" if branch == "dev" else "gpu")


def test_gitlab_ci_chart_variable_is_the_chart() -> None:
    assert ROOT / gitlab_ci()["variables"]["CHART"] == CHART


# -- skaffold.yaml -----------------------------------------------------------------------------------


def skaffold_configs() -> list[dict[str, Any]]:
    documents = [doc for doc in yaml.safe_load_all(SKAFFOLD.read_text()) if doc]
    assert documents
    return documents


def _artifacts(section: dict[str, Any]) -> list[dict[str, Any]]:
    artifacts: list[dict[str, Any]] = section.get("build", {}).get("artifacts", [])
    return artifacts


def _releases(section: dict[str, Any]) -> list[dict[str, Any]]:
    releases: list[dict[str, Any]] = section.get("deploy", {}).get("helm", {}).get("releases", [])
    return releases


def test_skaffold_artifacts_exist() -> None:
    for config in skaffold_configs():
        assert re.fullmatch(r"skaffold/v4beta\d+", config["apiVersion"]) and config["kind"] == "Config"
        sections = [config, *config.get("profiles", [])]
        for section in sections:
            for artifact in _artifacts(section):
                context = ROOT / artifact.get("context", ".")
                dockerfile = context / artifact["docker"]["dockerfile"]
                assert context.is_dir() and dockerfile.is_file(), artifact
                target = artifact["docker"].get("target")
                if target:
                    stages = [stage for _, stage in _from_lines(dockerfile.read_text())]
                    assert target in stages, f"{dockerfile} has no stage {target}"
        assert {a["image"] for a in _artifacts(config)} == {"platecut-api", "platecut-job"}


def test_skaffold_profiles_deploy_the_chart_with_existing_values() -> None:
    for config in skaffold_configs():
        profiles = {p["name"]: p for p in config.get("profiles", [])}
        assert {"dev", "staging", "prod"} <= set(profiles)
        for name, section in [("(default)", config), *profiles.items()]:
            releases = _releases(section)
            assert releases, f"{name} deploys nothing"
            for release in releases:
                assert ROOT / release["chartPath"] == CHART
                for values_file in release.get("valuesFiles", []):
                    assert (ROOT / values_file).is_file(), f"{name}: {values_file}"
                templates = release["setValueTemplates"]
                assert templates["image.repository"] == "{{.IMAGE_REPO_platecut_api}}"
                assert templates["jobs.image.repository"] == "{{.IMAGE_REPO_platecut_job}}"
        # skaffold dev against a local cluster: the small site, bundled services, CPU jobs
        for section in (config, profiles["dev"]):
            assert "charts/platecut/sites/small-site.yaml" in _releases(section)[0]["valuesFiles"]
            job = next(a for a in _artifacts(section) if a["image"] == "platecut-job")
            assert job["docker"]["target"] == "cpu"
        assert {"command": "dev"} in profiles["dev"].get("activation", [])


# -- Dockerfiles ------------------------------------------------------------------------------------


def _from_lines(text: str) -> list[tuple[str, str | None]]:
    """(image, stage name) of every FROM, with ARG defaults substituted."""
    defaults = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, re.MULTILINE))
    found = []
    for image, stage in re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.MULTILINE | re.IGNORECASE):
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), image)
        found.append((image, stage or None))
    return found


@pytest.mark.parametrize("name", DOCKERFILES)
def test_dockerfiles_pin_their_base_images(name: str) -> None:
    text = DOCKERFILES[name].read_text()
    stages: set[str] = set()
    froms = _from_lines(text)
    assert len(froms) >= 2, "multi-stage"
    for image, stage in froms:
        if image not in stages:  # FROM another stage of this file
            assert "$" not in image, f"{image}: an ARG without default"
            assert ":latest" not in image and (":" in image.rsplit("/", 1)[-1] or "@sha256:" in image), image
            tag = image.rsplit(":", 1)[-1]
            # an exact version (python:3.11.13-..., 12.6.3-..., RELEASE...) or a digest
            assert "@sha256:" in image or re.search(r"\d+\.\d+\.\d+", tag), f"{image} is not an exact tag"
        if stage:
            stages.add(stage)


@pytest.mark.parametrize("name", DOCKERFILES)
def test_dockerfiles_run_as_uid_10001_with_the_platecut_entrypoint(name: str) -> None:
    text = DOCKERFILES[name].read_text()
    finals = [block for block in re.split(r"^FROM\s", text, flags=re.MULTILINE)[1:]]
    # every stage that is a final target (cpu, gpu, runtime) ends as uid 10001 with the entrypoint
    final_stages = [b for b in finals if "ENTRYPOINT" in b]
    assert final_stages
    for block in final_stages:
        users = re.findall(r"^USER\s+(\S+)", block, re.MULTILINE)
        assert users and users[-1].split(":")[0] == "10001", block.splitlines()[0]
        assert re.search(r'^ENTRYPOINT \["platecut"\]', block, re.MULTILINE)
    assert "useradd --uid 10001" in text


def test_job_image_is_built_for_gpus_and_cpus() -> None:
    text = DOCKERFILES["job"].read_text()
    stages = [stage for _, stage in _from_lines(text)]
    assert stages[-1] == "gpu" and "cpu" in stages  # gpu is the default target
    gpu = text[text.index("AS gpu\n"):]
    for needle in ("PLATECUT_OCR_ENGINE=paddle", "PLATECUT_OCR_DET_DIR=", "PLATECUT_OCR_REC_DIR=",
                   "PLATECUT_OCR_DEVICE=gpu:0", "HOME=/scratch", "TMPDIR=/scratch",
                   "NVIDIA_DRIVER_CAPABILITIES=compute,utility,video", 'CMD ["job", "run", "--help"]'):
        assert needle in gpu, needle
    cuda = r"^ARG CUDA_IMAGE=nvidia/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu2[24]\.04$"
    assert re.search(cuda, text, re.MULTILINE)
    for needle in ("python -m jobs.ocr.models", "paddlepaddle-gpu==", "onnxruntime-gpu=="):
        assert needle in text, needle
    assert "https://www.paddlepaddle.org.cn/packages/stable/cu1" in text
    assert "paddleocr==${PADDLEOCR_VERSION}" in text and "ARG PADDLEOCR_VERSION=3.7.0" in text
    cpu = text[text.index("AS cpu\n"):text.index("AS gpu-base")]
    assert "PLATECUT_OCR_ENGINE=onnx" in cpu and "'.[job]'" in text


def test_api_image_installs_only_the_api_extra() -> None:
    text = DOCKERFILES["api"].read_text()
    extras = set(re.findall(r"'\.\[(\w+)\]'", text))
    assert extras == {"api"}
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm$", text, re.MULTILINE)


def test_dockerignore_keeps_the_context_small() -> None:
    patterns = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", ".git", "platecut-data", "bench/work", ".pytest_cache", "tests"} <= patterns
    assert any(p.startswith("demo-output") for p in patterns)
    # what the Dockerfiles COPY stays in
    for text in (path.read_text() for path in DOCKERFILES.values()):
        for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
            for item in source.split():
                assert item.rstrip("/") not in patterns and (ROOT / item).exists(), item


def test_chart_app_version_is_the_package_version() -> None:
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == version


def test_deploy_docs_exist() -> None:
    docs = (ROOT / "docs" / "DEPLOY.md").read_text()
    for needle in ("helm install", "helm upgrade", "helm rollback", "AbortIncompleteMultipartUpload",
                   "mc ilm", "proxy-body-size", "sites/gpu-kueue.yaml", "sites/small-site.yaml"):
        assert needle in docs, needle
    assert Path(CHART / "values.schema.json").is_file()
