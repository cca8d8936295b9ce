"""`perfbot evaluation score FILE.csv`, run as the finance officer runs it: a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

import pytest

HEADER = "level1,name,sign,target,actual,weight,band,score,applicable\n"
ROOT = Path(__file__).resolve().parent.parent


def run_score(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "evaluation", "score", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=path.parent,  # no stray .env
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"},
        check=False,
        timeout=60,
    )


def write(tmp_path: Path, body: str, *, bom: bool = False) -> Path:
    path = tmp_path / "自评表.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + (HEADER + body).encode())
    return path


def two(value: D) -> str:
    return str(value.quantize(D("0.01"), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("bom", [False, True])
def test_a_good_table_prints_every_row_and_the_total(tmp_path: Path, bom: bool) -> None:
    path = write(
        tmp_path,
        "预算执行率,预算执行率,≥,200,150,10,,,\n"
        "产出,培训人次,≥,1000,800,30,,,\n"
        "产出,培训天数,=,5,5,20,,,是\n"
        "效益,投诉率,≤,2,3,30,,,\n"
        "满意度,参训人员满意度,定性,,,10,部分达成,6.5,否\n",
        bom=bom,
    )
    result = run_score(path)
    assert result.returncode == 0, result.stderr
    execution = D(150) / D(200) * 10  # 7.5
    trained = D(800) / D(1000) * 30  # 24
    complaints = D(2) / D(3) * 30  # 20
    total = (execution + trained + 20 + complaints) * 100 / (10 + 30 + 20 + 30)
    assert result.stdout.splitlines() == [
        f"预算执行率\t{two(execution)}",
        f"培训人次\t{two(trained)}",
        "培训天数\t20.00",
        f"投诉率\t{two(complaints)}",
        "参训人员满意度\t不适用",
        f"总分\t{two(total)}\t中",  # 79.44
    ]


def test_a_total_rounding_up_to_ninety_is_graded_excellent(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "预算执行率,预算执行率,≥,100,120,10,,,\n"
        "产出,完成率,≥,10000,7999,50,,,\n"
        "效益,受益人数,>,500,501,30,,,\n"
        "满意度,满意度,定性,,,10,达成,10,\n",
    )
    result = run_score(path)
    assert result.returncode == 0, result.stderr
    total = 10 + D(7999) / D(10000) * 50 + 30 + 10  # 89.995
    assert result.stdout.splitlines()[-1] == f"总分\t{two(total)}\t优"
    assert two(total) == "90.00"


def test_a_bad_file_names_every_bad_line_and_scores_nothing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "预算执行率,预算执行率,≥,200,150,10,,,\n"
        "产出,培训人次,≥,1000,,30,,,\n"
        "产出,培训天数,≈,5,5,20,,,\n"
        "效益,投诉率,≤,2,三,30,,,\n"
        "满意度,参训人员满意度,定性,,,9,部分达成,8.5,\n",
    )
    result = run_score(path)
    assert result.returncode == 2
    assert result.stdout == ""
    err = result.stderr
    assert "自评表有 5 处问题，没有计分" in err
    assert "第 3 行：培训人次：缺少实际完成值。" in err
    assert "第 4 行：培训天数：符号“≈”不认识" in err
    assert "第 5 行：投诉率：实际完成值“三”不是数字。" in err
    # 部分达成 on a weight of 9: 50 % to 80 %, 4.5 to 7.2
    assert "第 6 行：参训人员满意度：“部分达成”档的得分应在 4.5 到 7.2 分之间" in err
    assert "合计 99 分" in err  # 10 + 30 + 20 + 30 + 9


def test_weights_not_summing_to_one_hundred_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "预算执行率,预算执行率,≥,200,200,10,,,\n产出,a,≥,1,1,50,,,\n效益,b,≥,1,1,35,,,\n"
        "满意度,c,定性,,,10,达成,9,\n",
    )
    result = run_score(path)
    assert result.returncode == 2
    assert "现在预算执行率 10 分、各项指标 95 分，合计 105 分" in result.stderr


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("level1,name,sign,target,weight,band,score,applicable\n", encoding="utf-8")
    result = run_score(path)
    assert result.returncode == 2
    assert "表头缺少列：actual" in result.stderr


def test_a_missing_execution_row_and_a_zero_budget_are_explained(tmp_path: Path) -> None:
    missing = write(tmp_path, "产出,a,≥,1,1,90,,,\n")
    result = run_score(missing)
    assert result.returncode == 2
    assert "缺少预算执行率一行" in result.stderr
    zero = write(tmp_path, "预算执行率,预算执行率,≥,0,5,10,,,\n产出,a,≥,1,1,90,,,\n")
    result = run_score(zero)
    assert result.returncode == 2
    assert "第 2 行：预算执行率：全年预算数为 0" in result.stderr


def test_a_file_that_is_not_utf8_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "产出,培训人次,≥,1,1,90,,,\n").encode("gbk"))
    result = run_score(path)
    assert result.returncode == 2
    assert "不是 UTF-8 编码" in result.stderr
