"""Load CloudFormation / SAM YAML templates as plain Python data.

CloudFormation's short-form tags become their long form, as CloudFormation reads them:
``!Ref X`` -> ``{"Ref": "X"}``, ``!Condition C`` -> ``{"Condition": "C"}``,
``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``, and any other ``!Name v`` ->
``{"Fn::Name": v}`` (``!Sub``, ``!Join``, ``!If``, ``!Select``, ...).

Unlike plain ``yaml.safe_load`` it also refuses duplicate mapping keys (the last one would
silently win) and keeps unquoted dates such as ``2010-09-09`` as strings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["CfnLoader", "load_template", "loads_template"]


class CfnLoader(yaml.SafeLoader):
    """A SafeLoader that understands CloudFormation intrinsic-function tags."""


def _construct_node(loader: CfnLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _construct_intrinsic(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict:
    value = _construct_node(loader, node)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{tag_suffix}": value}


def _construct_unique_mapping(loader: CfnLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


CfnLoader.add_multi_constructor("!", _construct_intrinsic)
CfnLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)
CfnLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def loads_template(text: str) -> dict:
    """Parse template text (YAML or JSON) into plain data."""
    data = yaml.load(text, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader
    if not isinstance(data, dict):
        raise ValueError("a template must be a mapping at its top level")
    return data


def load_template(path: str | Path) -> dict:
    """Read and parse the template at ``path``."""
    return loads_template(Path(path).read_text(encoding="utf-8"))
