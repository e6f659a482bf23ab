import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_project_rule_check_passes_on_the_tree():
    result = subprocess.run([sys.executable, "scripts/check_rules.py"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_project_rule_check_flags_a_status_assignment(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    import ast

    import check_rules

    source = "def order_ship(order):\n    order.status = 'shipped'\n\ndef order_transition(o):\n    o.status = 'x'\n"
    visitor = check_rules.StatusVisitor(ROOT / "orders" / "services.py")
    visitor.visit(ast.parse(source))
    assert visitor.problems == ["orders/services.py:2: assignment to .status outside a *_transition function"]
