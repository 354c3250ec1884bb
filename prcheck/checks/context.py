"""What every checker may read about the run; never written to by checkers."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Mapping

from prcheck.records import dataclass


@dataclass(frozen=True)
class CheckContext:
    """What every per-document check needs to know about the run: version, strictness, skips."""

    kube_version: str = "1.32"
    strict: bool = False
    skip_kinds: frozenset[str] = frozenset()
    skip_missing_schemas: bool = False
    schema_locations: tuple[str, ...] = ()
    env: str = ""
    rule_config: dict = field(default_factory=dict, hash=False, compare=False)
    # A rendered Helm environment's values files as (path, text): where a value in a rendered
    # object came from, for checks that report at the line a user edits (secrets).
    values_files: tuple[tuple[str, str], ...] = field(default=(), hash=False, compare=False)
    # With `--base`: the base version of each object the change touched, by (group, kind,
    # namespace, name), for `oldObject` (CEL transition rules, immutable fields). Empty: no base.
    base_objects: Mapping[tuple[str, str, str, str], Any] = field(default_factory=dict, hash=False, compare=False,
                                                               repr=False)
    # The same base documents with their places (path, index), to pair an object the change
    # renamed with its base version (a removal plus an addition to the diff).
    base_docs: tuple = field(default=(), hash=False, compare=False, repr=False)
    cel: dict = field(default_factory=dict, hash=False, compare=False)  # config `cel:` (userInfo, authorizer)
    # A narrowed `--base` run: admission policies, bindings, their params and Namespaces from
    # files outside the checked set, which still decide how admission treats checked objects.
    admission_docs: tuple = field(default=(), hash=False, compare=False, repr=False)
    # JSON schemas converted from the run's CRDs (they keep x-kubernetes-validations), by (apiVersion, kind).
    crd_schemas: Mapping[tuple[str, str], Any] = field(default_factory=dict, hash=False, compare=False, repr=False)
