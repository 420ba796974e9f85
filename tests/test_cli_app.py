"""The CLI shell: help text reflowed for the terminal, stdout reserved for cnnbench, user code's exit codes ignored."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from cnnbench.cli.app import reflow


def test_reflow_joins_paragraph_lines_and_keeps_lists():
    doc = """First line
        continues here.

        - item one
        - item two
          indented detail
        """
    assert reflow(doc) == "First line continues here.\n\n- item one\n- item two\n  indented detail"
    assert reflow(None) is None and reflow("") == ""


def test_help_piped_into_head_is_quiet(tmp_path):
    # `cnnbench --help | head -1`: the pipe closes early; click exits 1 on EPIPE, which must not read as user code
    out = subprocess.run(f"{sys.executable} -m cnnbench --help | head -1", shell=True, capture_output=True,
                         text=True, check=False)
    assert "user code" not in out.stderr and "Traceback" not in out.stderr


def test_user_sys_exit_at_import_is_one_line_exit_2(tmp_path):
    f = tmp_path / "exits.py"
    f.write_text(textwrap.dedent("""
        import sys
        print("noise at import")
        sys.exit(3)
    """))
    out = subprocess.run([sys.executable, "-m", "cnnbench", "profile", f"{f}:Net", "--no-latency"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2, out.stderr
    assert out.stdout == ""  # the user's print went to stderr, not our stdout
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "sys.exit(3)" in lines[0]


def test_faces_import_no_torch_and_every_listed_name_resolves():
    code = textwrap.dedent("""
        import importlib, sys
        faces = [importlib.import_module(f"cnnbench{p}") for p in ("", ".analysis", ".catalog", ".check",
                 ".comparison", ".explainer", ".latency", ".report", ".reproduce", ".sweep")]
        heavy = [m for m in ("torch", "rich", "matplotlib", "pydantic") if m in sys.modules]
        assert not heavy, heavy  # importing every face loads none of them
        for mod in faces:
            for name in mod.__all__:
                getattr(mod, name)  # every listed name exists (loaded now)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_reproduce_list_imports_no_torch():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "cnnbench", "reproduce", "--list"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0 and "resnet-checkpoints" in out.stdout, out.stderr[-2000:]
    assert not [ln for ln in out.stderr.splitlines() if ln.rsplit("|", 1)[-1].strip() in ("torch", "ray")]


def test_commands_do_not_import_each_other():
    import ast
    import re
    from pathlib import Path

    import cnnbench.cli

    for path in Path(cnnbench.cli.__file__).parent.glob("*_cmd.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            # `import cnnbench.cli.x_cmd`, `from cnnbench.cli.x_cmd import f` and `from cnnbench.cli import x_cmd`
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
                     if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if re.fullmatch(r"cnnbench\.cli\.\w+_cmd", n)], path.name
