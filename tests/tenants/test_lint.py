"""The linter through its front doors: ``banwen lint`` on real files, and ``lint_source``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from runtime.cli import cli
from tenants.bundle import BundleSource, read_folder
from tenants.lint import TemplateLibrary, lint_paths, lint_source
from tenants.paths import ROOT, TEMPLATES_DIR
from tenants.references import Context, platform_role_ids

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"


def lint_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["lint", *args])
    return result.exit_code, result.output


def test_seed_bundles_are_valid() -> None:
    code, out = lint_cli(str(ROOT / "seeds"))
    assert code == 0, out
    assert "no errors" in out


def test_valid_unit_extending_templates_passes() -> None:
    code, out = lint_cli(str(FIXTURES / "valid_unit"))
    assert code == 0, out


def test_four_mistakes_give_exactly_four_precise_messages() -> None:
    code, out = lint_cli(str(FIXTURES / "broken_four"), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert not report["ok"]
    found = {(Path(e["file"]).name, e["pointer"], e["code"]) for e in report["errors"]}
    assert found == {
        ("leave_request.yaml", "/nodes/2/handlers/0/ref", "unknown_post"),
        ("leave_request.yaml", "/nodes/8", "unreachable_node"),
        ("leave_request.yaml", "/ui/sections/0/columns", "schema"),
        ("notice.yaml", "", "yaml_syntax"),
    }
    by_code = {e["code"]: e for e in report["errors"]}
    assert "deputy_director" in by_code["unknown_post"]["message_zh"]
    assert "deputy_director" in by_code["unknown_post"]["message_en"]
    assert by_code["unknown_post"]["file"].endswith("flows/leave_request.yaml")
    assert by_code["schema"]["file"].endswith("forms/leave_request.yaml")
    assert "integer" in by_code["schema"]["message_en"] and "整数" in by_code["schema"]["message_zh"]
    assert by_code["yaml_syntax"]["line"] == 8
    assert "归档" in by_code["unreachable_node"]["message_zh"]


def test_text_output_names_file_line_and_pointer_without_traceback() -> None:
    code, out = lint_cli(str(FIXTURES / "broken_four"))
    assert code == 1
    assert "Traceback" not in out
    assert "flows/leave_request.yaml:11 /nodes/2/handlers/0/ref" in out
    assert "forms/notice.yaml:8" in out
    assert "4 error(s)" in out


def test_missing_path_is_a_clear_error() -> None:
    code, out = lint_cli("/no/such/folder")
    assert code != 0
    assert "Traceback" not in out


def mutate(tmp_path: Path, edit) -> list:
    target = tmp_path / "bundle"
    shutil.copytree(FIXTURES / "valid_unit", target)
    edit(target)
    return lint_paths([target])[0].errors


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "code", "pointer"),
    [
        ("flows/leave_request.yaml", "{from: route, to: dept_ok, default: true}", "{from: route, to: dept_ok, when: true}",
         "branch_default", "/nodes/1"),
        ("flows/leave_request.yaml", "{from: join, to: done}", "{from: join, to: split}", "no_path_to_end", "/nodes/4"),
        ("flows/leave_request.yaml", "{var: days}, 3]}, name", "{var: weeks}, 3]}, name", "unknown_field", "/edges/1/when"),
        ("flows/leave_request.yaml", "ref: substitute", "ref: reason", "handler_field_widget",
         "/nodes/5/handlers/0/ref"),
        ("flows/leave_request.yaml", "return_targets: [apply]", "return_targets: [done]", "return_not_earlier",
         "/nodes/2/return_targets/0"),
        ("flows/leave_request.yaml", "time_limit: {class: general}", "time_limit: {class: weekly}",
         "unknown_time_class", "/nodes/2/time_limit/class"),
        ("flows/leave_request.yaml", "form: leave_request", "form: leave_form", "unknown_form", "/form"),
        ("flows/leave_request.yaml", "name: 科室审批", "name: 局长审批", "duplicate_name", "/nodes/3/name"),
        ("forms/leave_request.yaml", "{field: substitute, widget: user}", "{field: deputy, widget: user}",
         "unknown_field", "/ui/sections/0/fields/3/field"),
        ("forms/leave_request.yaml", "list_columns: [kind, days, status]", "list_columns: [kind, color]",
         "unknown_field", "/list_columns/1"),
        ("forms/leave_request.yaml", '"{kind}{days}天"', '"{kind}{hours}小时"', "unknown_field", "/title_template"),
        ("forms/leave_request.yaml", "{field: days, widget: number}", "{field: days, widget: date}", "widget_type",
         "/ui/sections/0/fields/1/widget"),
        ("forms/leave_request.yaml", "{field: kind, widget: select}", "{field: kind, widget: select, options_from: leave_kinds}",
         "unknown_list", "/ui/sections/0/fields/0/options_from"),
        ("org.yaml", "head_post: planning_head", "head_post: chief", "unknown_post", "/departments/1/head_post"),
        ("org.yaml", "b_holders: [tb_04]", "b_holders: [tb_03]", "a_is_b", "/posts/1/b_holders"),
        ("unit.yaml", "extends: [gov_documents]", "extends: [gov_nothing]", "unknown_template", "/extends/0"),
        ("unit.yaml", "level: 县区", "level: 省", "schema", "/level"),
    ],
)
def test_each_cross_reference_is_checked(tmp_path: Path, file: str, old: str, new: str, code: str,
                                         pointer: str) -> None:
    errors = mutate(tmp_path, lambda root: replace(root / file, old, new))
    hits = [e for e in errors if e.code == code and e.pointer == pointer]
    assert hits, f"expected {code} at {pointer}, got {[(e.code, e.pointer) for e in errors]}"
    assert all(e.zh and e.en for e in errors)
    assert hits[0].file.endswith(file)


def test_error_in_inherited_item_names_the_template_file(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    replace(templates / "gov_documents" / "flows" / "outgoing_doc.yaml", "ref: unit_head", "ref: mayor")
    source = read_folder(FIXTURES / "valid_unit")
    result = lint_source(source, TemplateLibrary([templates]))
    hits = [e for e in result.errors if e.code == "unknown_post"]
    assert hits and hits[0].file.endswith("gov_documents/flows/outgoing_doc.yaml")


def test_unit_item_replaces_template_item_of_same_id(tmp_path: Path) -> None:
    def edit(root: Path) -> None:
        # the unit drops the template's doc_clerk post: the template's flows still need it
        replace(root / "org.yaml", "  - {id: unit_head, name: 局长", "  - {id: unit_head, name: 一把手")

    assert mutate(tmp_path, edit) == []
    source = read_folder(FIXTURES / "valid_unit")
    resolved = lint_source(source).resolved
    posts = {p["id"]: p for p in resolved.org["posts"]}
    assert posts["unit_head"]["name"] == "局长" and posts["unit_head"]["a_holder"] == "tb_01"
    assert "doc_clerk" in posts  # inherited from gov_base, not replaced
    assert set(resolved.forms) == {"outgoing_doc", "incoming_doc", "leave_request", "staff_appointment", "absence"}


def test_options_from_needs_a_list_of_the_unit_and_the_unit_may_replace_a_template_list(tmp_path: Path) -> None:
    def no_enum(root: Path) -> None:
        replace(root / "forms" / "leave_request.yaml", "type: string, enum: [年假, 病假, 事假]}", "type: string}")

    def from_list(root: Path, lists: str | None) -> None:
        no_enum(root)
        replace(root / "forms" / "leave_request.yaml", "{field: kind, widget: select}",
                "{field: kind, widget: select, options_from: leave_kind}")
        if lists is not None:
            (root / "lists.yaml").write_text(lists, encoding="utf-8")

    leave = "format_version: 1\nlists:\n  - {id: leave_kind, name: 假别, options: [{value: 年假}, {value: 病假}]}\n"
    assert [(e.code, e.pointer) for e in mutate(tmp_path / "a", no_enum)] == [
        ("missing_options", "/ui/sections/0/fields/0/widget")]
    missing = mutate(tmp_path / "b", lambda root: from_list(root, None))
    assert {(e.code, e.pointer) for e in missing} == {("unknown_list", "/ui/sections/0/fields/0/options_from"),
                                                      ("missing_options", "/ui/sections/0/fields/0/widget")}
    assert all("leave_kind" in e.zh and "leave_kind" in e.en for e in missing if e.code == "unknown_list")
    assert mutate(tmp_path / "c", lambda root: from_list(root, leave)) == []
    twice = "format_version: 1\nlists:\n  - {id: leave_kind, name: 假别, options: [{value: 年假}, {value: 年假}]}\n"
    found = mutate(tmp_path / "d", lambda root: from_list(root, twice))
    assert [(e.code, e.pointer) for e in found] == [("duplicate_name", "/lists/0/options/1/value")]
    assert found[0].file.endswith("lists.yaml")

    # the unit's list of the template's id replaces it: gov_base's disclosure, as outgoing_doc sees it
    own = "format_version: 1\nlists:\n  - {id: disclosure, name: 公开, options: [{value: 公开}, {value: 不公开}]}\n"
    target = tmp_path / "e"
    shutil.copytree(FIXTURES / "valid_unit", target)
    (target / "lists.yaml").write_text(own, encoding="utf-8")
    result = lint_paths([target])[0]
    assert result.errors == []
    lists = {x["id"]: x for x in result.resolved.singles["lists"]["lists"]}
    assert [o["value"] for o in lists["disclosure"]["options"]] == ["公开", "不公开"] and "doc_kind" in lists


def test_template_cycle_is_reported(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    replace(templates / "gov_base" / "unit.yaml", "kind: template", "kind: template\nextends: [gov_documents]")
    result = lint_source(read_folder(FIXTURES / "valid_unit"), TemplateLibrary([templates]))
    assert any(e.code == "template_cycle" for e in result.errors)


def test_json_bundle_files_are_accepted(tmp_path: Path) -> None:
    source = read_folder(FIXTURES / "valid_unit")
    from tenants.yamlio import parse_text

    files = dict(source.files)
    data = parse_text("org.yaml", files.pop("org.yaml")).data
    files["org.json"] = json.dumps(data, ensure_ascii=False)
    assert lint_source(BundleSource("json", files)).errors == []


def test_unknown_file_is_reported(tmp_path: Path) -> None:
    source = read_folder(FIXTURES / "valid_unit")
    files = {**source.files, "widgets/x.yaml": "a: 1\n"}
    errors = lint_source(BundleSource("x", files)).errors
    assert [e.code for e in errors] == ["unknown_file"]


def test_a_filing_post_cannot_name_its_holders(tmp_path: Path) -> None:
    def edit(root: Path) -> None:
        replace(root / "org.yaml", "posts:\n", "posts:\n  - {id: sys_admin, name: 系统管理员, filing: true, a_holder: tb_03}\n"
                "  - {id: doc_clerk, name: 收发文员, filing: true, b_holders: [tb_04]}\n")

    errors = mutate(tmp_path, edit)
    assert [(e.code, e.pointer) for e in errors] == [("filing_post_holder", "/posts/0/a_holder"),
                                                     ("filing_post_holder", "/posts/1/b_holders")]
    assert "任命须经备案，不能在 org.yaml 中直接指定" in errors[0].zh and "filed appointments" in errors[0].en
    assert errors[0].file.endswith("org.yaml")
    # the template's own filing posts name nobody, so the unit that merely inherits them is clean
    assert mutate(tmp_path / "again", lambda root: None) == []


def test_a_unit_cannot_drop_the_filing_of_a_template_post(tmp_path: Path) -> None:
    """Redefining sys_admin without ``filing`` keeps the template's flag, so named holders are still refused."""
    def edit(root: Path) -> None:
        replace(root / "org.yaml", "posts:\n", "posts:\n  - {id: sys_admin, name: 系统管理员, a_holder: tb_03}\n")

    errors = mutate(tmp_path, edit)
    assert [(e.code, e.pointer) for e in errors] == [("filing_post_holder", "/posts/0/a_holder")]


def test_a_unit_may_not_define_a_platform_role(tmp_path: Path) -> None:
    def edit(root: Path) -> None:
        (root / "policy.yaml").write_text(
            "format_version: 1\nroles:\n  - id: city_filer\n    name: 冒名备案员\n"
            "    permissions: [{object: bundle, actions: [read]}]\n", encoding="utf-8")

    errors = mutate(tmp_path, edit)
    assert [(e.code, e.pointer) for e in errors] == [("reserved_role", "/roles/0/id")]
    assert "city_filer" in errors[0].zh and errors[0].file.endswith("policy.yaml")


def test_a_flow_may_hand_a_task_to_a_platform_role_but_not_to_an_unknown_role(tmp_path: Path) -> None:
    flow, handler = "flows/leave_request.yaml", "kind: post, ref: unit_head"
    assert mutate(tmp_path / "a", lambda root: replace(root / flow, handler, "kind: role, ref: city_auditor")) == []
    errors = mutate(tmp_path / "b", lambda root: replace(root / flow, handler, "kind: role, ref: mayor"))
    assert [e.code for e in errors] == ["unknown_role"] and "mayor" in errors[0].en
    # without the platform's roles the seed flow's city_filer is unknown too: the rule comes from that file
    result = lint_source(read_folder(FIXTURES / "valid_unit"), ctx=Context(platform_roles=frozenset()))
    assert {(e.code, e.file.rsplit("/", 1)[-1]) for e in result.errors} == {("unknown_role", "staff_appointment.yaml")}


def test_platform_roles_come_from_the_platform_policy_file() -> None:
    assert {"city_auditor", "city_filer", "platform_admin"} <= platform_role_ids()
