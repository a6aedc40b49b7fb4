"""An import-linter contract type the project needs and import-linter lacks.

``feature_api``: a feature package imports another feature only through that feature's
``operations`` or ``queries`` module, and never a name that starts with an underscore.
What a feature keeps to itself (views, forms, templates' helpers, private helpers) can
then change without breaking another feature. Configured in setup.cfg."""

from __future__ import annotations

import ast
import importlib.util
from functools import cache

from importlinter import Contract, ContractCheck, fields, output


class FeatureApiContract(Contract):
    type_name = "feature_api"

    features = fields.ListField(subfield=fields.ModuleField())
    api_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        features = [m.name for m in self.features]  # type: ignore[attr-defined]
        api = set(self.api_modules)  # type: ignore[attr-defined]
        problems = []
        for feature in features:
            for importer in sorted(graph.find_descendants(feature) | {feature}):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    target = next((f for f in features if imported == f or imported.startswith(f + ".")), None)
                    if target is None or target == feature:
                        continue
                    rest = imported[len(target) + 1:].split(".")[0] if imported != target else ""
                    for detail in graph.get_import_details(importer=importer, imported=imported):
                        line = detail["line_contents"]
                        names = _imported_names(importer, detail["line_number"])
                        if rest:
                            bad = rest not in api
                        else:  # "from rec_portal.x import operations"
                            bad = any(name not in api for name in names)
                        private = [n for n in names if n.startswith("_")]
                        if bad or private:
                            problems.append(f"{importer}:{detail['line_number']}: {line.strip()}")
        return ContractCheck(kept=not problems, metadata={"problems": problems})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for problem in check.metadata["problems"]:
            output.print_error(problem, bold=False)
            output.new_line()


@cache
def _import_names_by_line(module: str) -> dict[int, list[str]]:
    """The names each ``from ... import ...`` statement of ``module`` imports, by line."""
    spec = importlib.util.find_spec(module)
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    return {
        node.lineno: [alias.name for alias in node.names]
        for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }


def _imported_names(module: str, line_number: int) -> list[str]:
    return _import_names_by_line(module).get(line_number, [])
