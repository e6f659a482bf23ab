"""Project rule checks that ruff cannot express; run by ``make test``.

1. ``.status`` may be assigned (or passed to ``.update(status=...)``) only inside a function whose
   name ends in ``_transition``: each stateful model has one transition function.
2. No bare ``.delay(`` call in services modules: background work goes through the outbox or
   ``transaction.on_commit``.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["oms", "inventory", "marketing", "orders", "payments", "reports"]


def python_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


class StatusVisitor(ast.NodeVisitor):
    def __init__(self, path: Path):
        self.path = path
        self.stack: list[str] = []
        self.problems: list[str] = []

    def _inside_transition(self) -> bool:
        return any(name.endswith("_transition") for name in self.stack)

    def visit_FunctionDef(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _report(self, node, what: str):
        rel = self.path.relative_to(ROOT)
        self.problems.append(f"{rel}:{node.lineno}: {what} outside a *_transition function")

    def visit_Assign(self, node):
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "status" and not self._inside_transition():
                self._report(node, "assignment to .status")
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in {"update", "bulk_update"} and not self._inside_transition():
                names = {kw.arg for kw in node.keywords}
                fields = [a for a in node.args if isinstance(a, ast.List)]
                listed = any(
                    isinstance(e, ast.Constant) and e.value == "status" for f in fields for e in f.elts
                )
                if "status" in names or listed:
                    self._report(node, f".{func.attr}(status=...)")
            if func.attr == "delay" and self.path.name == "services.py":
                rel = self.path.relative_to(ROOT)
                self.problems.append(f"{rel}:{node.lineno}: bare .delay() in a services module")
        self.generic_visit(node)


def main() -> int:
    problems = []
    for path in python_files():
        visitor = StatusVisitor(path)
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        problems.extend(visitor.problems)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} rule violation(s)")
        return 1
    print("project rules: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
