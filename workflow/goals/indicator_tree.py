"""The performance indicator tree (一级 → 二级) as versioned data.

"2019": the tree of the national 项目支出绩效目标申报表 the 2019 notice relies on
(产出 / 效益 / 满意度). "2021": 财预〔2021〕101号, where 成本 becomes its own 一级 with
经济 / 社会 / 生态环境成本 and 效益 has three 二级. A budget year names its version
(budget_year.indicator_tree_version); stored indicators keep the names, so old goals stay
readable after the tree changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_VERSION = "2021"


@dataclass(frozen=True, slots=True)
class IndicatorTree:
    """One version: 一级 in order, each with its 二级 in order, and which 一级 are required."""

    version: str
    levels: tuple[tuple[str, tuple[str, ...]], ...]
    required: tuple[str, ...]  # at least one indicator under each of these

    def level1(self) -> tuple[str, ...]:
        """The 一级 names in order."""
        return tuple(name for name, _ in self.levels)

    def level2(self, level1: str) -> tuple[str, ...]:
        """The 二级 names under a 一级 (empty when unknown)."""
        return dict(self.levels).get(level1, ())

    def contains(self, level1: str, level2: str) -> bool:
        """Whether (一级, 二级) is a pair of this tree."""
        return level2 in self.level2(level1)


TREES: Mapping[str, IndicatorTree] = {
    "2019": IndicatorTree(
        "2019",
        (
            ("产出", ("数量", "质量", "时效", "成本")),
            ("效益", ("经济效益", "社会效益", "生态效益", "可持续影响")),
            ("满意度", ("服务对象满意度",)),
        ),
        required=("产出", "效益", "满意度"),
    ),
    "2021": IndicatorTree(
        "2021",
        (
            ("产出", ("数量", "质量", "时效")),
            ("成本", ("经济成本", "社会成本", "生态环境成本")),
            ("效益", ("经济效益", "社会效益", "生态效益")),
            ("满意度", ("服务对象满意度",)),
        ),
        required=("产出", "效益", "满意度"),
    ),
}

# The order indicator rows are listed in on the form, across every version.
LEVEL1_ORDER = ("产出", "成本", "效益", "满意度")


def tree(version: str | None) -> IndicatorTree:
    """The tree of `version`; the newest when the version is unknown or not set."""
    return TREES.get(version or DEFAULT_VERSION, TREES[DEFAULT_VERSION])
