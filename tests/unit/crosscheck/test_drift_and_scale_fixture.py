"""Drift (handler, env, state machine functions, jurisdiction packs) and scale budgets on the mini fixture."""

from __future__ import annotations

import json

from tapgate.crosscheck.drift import ENV, HANDLER, JURISDICTION, STATE_FUNCTION
from tapgate.crosscheck.scale import CONCURRENCY, DATA_API, HISTORY, SES, WINDOW


def test_an_env_var_the_helper_reads_but_the_function_lacks(mini):
    data = mini.template
    del data["Resources"]["WorkFunction"]["Properties"]["Environment"]["Variables"]["KMS_KEY_ARN"]
    mini.write_template(data)
    (finding,) = [f for f in mini.findings() if f.status.value == "FAIL"]
    assert (finding.rule, finding.resource, finding.extra["variable"]) == (ENV, "WorkFunction", "KMS_KEY_ARN")
    assert finding.code_location == "lambdas/common/aws.py:7"


def test_a_handler_that_does_not_exist(mini):
    data = mini.template
    data["Resources"]["WorkFunction"]["Properties"]["Handler"] = "work.missing_handler"
    mini.write_template(data)
    assert (HANDLER, "WorkFunction") in mini.failing()


def test_a_state_machine_task_naming_a_function_not_in_the_template(mini):
    data = mini.template
    data["Resources"]["Machine"]["Properties"]["DefinitionSubstitutions"]["WorkArn"] = (
        "arn:aws:lambda:x:1:function:y"
    )
    mini.write_template(data)
    assert (STATE_FUNCTION, "Machine") in mini.failing()


def test_a_seeded_jurisdiction_without_a_pack(mini):
    (mini.root / "lambdas" / "packs" / "UK-FCA.json").unlink()
    (finding,) = [f for f in mini.findings() if f.status.value == "FAIL"]
    assert (finding.rule, finding.extra["jurisdiction"]) == (JURISDICTION, "UK-FCA")


def test_inline_map_iterations_count_in_the_parent_history(mini):
    data = mini.template
    definition = data["Resources"]["Machine"]["Properties"]["Definition"]
    each = definition["States"]["Each"]
    each.pop("ItemReader")
    each["ItemProcessor"]["ProcessorConfig"] = {"Mode": "INLINE"}
    mini.write_template(data)
    failing = [f for f in mini.findings() if f.status.value == "FAIL"]
    history = [f for f in failing if f.rule == HISTORY]
    assert {(f.rule, f.resource, f.extra["reports"]) for f in history} == {
        (HISTORY, "Machine", 50_000),
    }
    assert history[0].extra["events"] > history[0].extra["limit"] == 25_000


def test_reserved_concurrency_below_the_map_concurrency(mini):
    data = mini.template
    data["Resources"]["WorkFunction"]["Properties"]["ReservedConcurrentExecutions"] = 2
    mini.write_template(data)
    (finding,) = [f for f in mini.findings() if f.status.value == "FAIL"]
    assert (finding.rule, finding.extra["peak_concurrency"], finding.extra["reserved"]) == (CONCURRENCY, 5, 2)


def test_acu_and_window_budgets_fail_with_their_numbers(mini):
    data = mini.template
    data["Resources"]["Db"]["Properties"]["ServerlessV2ScalingConfiguration"]["MaxCapacity"] = 1
    mini.write_template(data)
    failing = {f.rule: f for f in mini.findings(reports_per_day=50_000) if f.status.value == "FAIL"}
    assert set(failing) == {DATA_API, WINDOW}
    assert failing[DATA_API].extra["acu_max"] == 1.0
    assert failing[WINDOW].extra["minutes"] > failing[WINDOW].extra["deadline_minutes"] == 45.0
    assert failing[WINDOW].extra["bottleneck"] == "WorkFunction"


def test_ses_sender_over_the_quota(mini):
    mini.edit_code(
        "work.py",
        '    return {"ok": True}',
        '    client("sesv2").send_email(Content={})\n    return {"ok": True}',
    )
    mini.edit_code(
        "work.py",
        "from common.aws import Db, put, setting",
        "from common.aws import Db, client, put, setting",
    )
    data = mini.template
    statements = data["Resources"]["WorkRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    statements.append({"Effect": "Allow", "Action": "ses:SendEmail", "Resource": "*"})
    mini.write_template(data)
    (finding,) = [f for f in mini.findings() if f.status.value == "FAIL"]
    assert finding.rule == SES
    assert finding.extra["peak_sends_per_s"] > finding.extra["quota_per_s"] == 14.0


def test_cost_estimate_shape_and_sources(mini):
    from tapgate.crosscheck.cost import estimate_monthly_cost

    cost = estimate_monthly_cost(mini.template, 2_000)
    assert set(cost) >= {"items", "total", "date", "source", "region"}
    assert cost["region"] == "us-east-1" and cost["date"] == "2026-11-27"
    assert cost["total"] == round(sum(i["usd"] for i in cost["items"]), 2) > 0
    assert all(i["price_url"].startswith("https://") for i in cost["items"])
    assert estimate_monthly_cost(mini.template, 50_000)["total"] > cost["total"]
    json.dumps(cost)


def test_cli_exits_1_and_names_the_missing_action(mini, capsys):
    from tapgate.cli import main

    assert main(["crosscheck", str(mini.template_path)]) == 0
    mini.add_sns_publish()
    capsys.readouterr()
    assert main(["crosscheck", str(mini.template_path), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [f["extra"]["action"] for f in out["findings"] if f["status"] == "FAIL"] == ["sns:Publish"]
    assert main(["crosscheck", str(mini.template_path), "--code", str(mini.root / "nope")]) == 2


def test_cli_bad_template_is_a_one_line_usage_error(tmp_path, capsys):
    from tapgate.cli import main

    broken = tmp_path / "broken.json"
    broken.write_text('{"Resources": {')
    assert main(["crosscheck", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(broken) in err


def test_an_aliased_handler_is_followed_and_a_built_one_is_undecidable(mini):
    from tapgate.crosscheck.leastpriv import UNDECIDABLE

    mini.edit_code("work.py", "@tracer.capture_lambda_handler\ndef lambda_handler(", "def handle(")
    (mini.root / "lambdas" / "work.py").write_text(
        (mini.root / "lambdas" / "work.py").read_text() + "\n\nlambda_handler = handle\n"
    )
    assert mini.failing() == set()
    (mini.root / "lambdas" / "work.py").write_text(
        (mini.root / "lambdas" / "work.py").read_text()
        + "\n\nlambda_handler = tracer.capture_lambda_handler(handle)\n"
    )
    assert (UNDECIDABLE, "WorkRole") in mini.failing()


def test_soft_budgets_at_50000_are_headroom_when_2000_is_the_volume_checked(mini):
    windows = {f.extra["reports"]: f for f in mini.findings() if f.rule == WINDOW}
    assert windows[2_000].status.value == "PASS" and "over_budget" not in windows[2_000].extra
    headroom = windows[50_000]
    assert headroom.status.value == "PASS" and headroom.extra["over_budget"] is True
    assert headroom.message.startswith("headroom only")
