import subprocess
import sys

from conftest import REPO


def test_marker_docs_match_the_registry():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_docs.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + "\nrun: python scripts/gen_docs.py"


def test_cli_help_teaches():
    proc = subprocess.run([sys.executable, "-m", "gaitcheck", "--help"], capture_output=True,
                          text=True)
    assert proc.returncode == 0
    for word in ("analyze", "pose", "models", "drills", "examples:", "does not diagnose"):
        assert word in proc.stdout, word
