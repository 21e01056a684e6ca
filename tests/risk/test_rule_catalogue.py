"""Guards the catalogue of rules: every model under models/risk/rules carries the `risk_rule` tag, risk.flags
unions exactly the tagged models, and the evaluation scores exactly their rule codes. The tag in the manifest
is the one source; a rule added in one place and forgotten in another fails here."""
from __future__ import annotations

import json
import re

from pipelines.lib.dbt_project import prepare_manifest
from sources.synthetic.score_rules import RULES


def test_the_rule_catalogue_is_one_list():
    manifest = json.loads(prepare_manifest().read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    in_folder = {name for name, n in models.items() if "/risk/rules/" in "/" + n["original_file_path"]}
    tagged = {name for name, n in models.items() if "risk_rule" in n["tags"]}
    assert in_folder and tagged == in_folder
    unioned = {dep.split(".")[-1] for dep in models["flags"]["depends_on"]["nodes"]} & set(models)
    assert tagged <= unioned, f"risk.flags leaves out {sorted(tagged - unioned)}"
    codes = {re.match(r"flag_([a-z]+\d+)_", name).group(1).upper() for name in tagged}
    assert codes == set(RULES), f"evaluation scores {sorted(set(RULES))}, the rules are {sorted(codes)}"
